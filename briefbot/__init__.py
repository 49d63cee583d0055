"""briefbot: cited, retrieval-grounded briefings for officials."""

__version__ = "0.1.0"
