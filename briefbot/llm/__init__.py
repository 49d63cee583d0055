"""The optional language model: the `ChatModel` seam, the OpenAI-compatible wire, the generator that
prompts it and assembles a cited answer, the grounding guard, and prompt files loaded by name."""
