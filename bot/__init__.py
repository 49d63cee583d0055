"""briefbot's Slack bot: turns Slack requests into calls of the core and answers into Block Kit.

Entry points: `bot.app.create_app(settings, service)` (the Bolt app) and
`bot.serve.serve(settings, service_factory, port)` (what `briefbot serve` runs).
It holds no retrieval logic; nothing in the core imports it.
"""
