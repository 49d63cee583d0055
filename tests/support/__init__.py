"""Helpers shared by the tests and the benchmarks: in-process fakes and senders (the loopback
fakes of Slack's and OpenAI's Web APIs are in tests/fakes)."""
