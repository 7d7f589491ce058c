# Two commands (see README): `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install

.PHONY: setup demo test lint typecheck unit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	# llama-cpp-python compiles llama.cpp from source on first install (~6 min on 2 cores);
	# pip keeps the built wheel in its cache for later installs.
	$(PY) -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m dspex_nb demo

lint: setup
	$(PY) -m ruff check dspex_nb tests benchmarks
	$(PY) -m mypy

test: lint
	$(PY) -m pytest
