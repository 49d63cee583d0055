"""The prompt files, shipped with briefbot as package data and read with importlib.resources
(`briefbot.llm.prompts.PromptLibrary`), so an installed briefbot finds them without the repo."""
