"""Ingest (read, clean, chunk), embed, store and search source articles."""
