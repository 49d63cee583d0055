# Two commands on a fresh machine (Python 3.11 and the package index):
#   make ask Q="What was agreed on connectivity?"   # set up, ingest sources/ on first use, answer
#   make test                                       # set up, run the test suite
#   make check                                      # the fast tests only (no slow, no server)
#   make lint                                       # ruff (lint + format check) and mypy; part of make test
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup ask brief serve test check lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: it resolves to the CPU build instead of the CUDA wheels.
	$(BIN)/pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

ask: $(STAMP)
	$(BIN)/briefbot ask "$(Q)"

brief: $(STAMP)
	$(BIN)/briefbot brief "$(Q)"

serve: $(STAMP)
	$(BIN)/briefbot serve

test: lint
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check briefbot bot retrieval bench tests
	$(BIN)/ruff format --check briefbot bot retrieval bench tests
	$(BIN)/mypy

check: $(STAMP)
	BRIEFBOT_TEST_MODEL_CACHE=.briefbot/test-model-cache $(BIN)/python -m pytest -m "not slow and not server" -n 3 $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_brief.py
	$(BIN)/python bench/bench_slack_ack.py
	$(BIN)/python bench/bench_baseline.py

clean:
	rm -rf $(VENV) .briefbot
