"""The language server process never loads the drift engine, a backend or a model library.

import-linter (``make lint``) checks the static import graph; this checks what a real server
start actually puts in ``sys.modules``, lazy imports included. The one subprocess of the unit
tier: a fresh interpreter is the only clean ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

from testpaths import REPO

FORBIDDEN_PREFIXES = (
    "inkmod.style.drift",
    "inkmod.style.profile",
    "inkmod.style.background",
    "inkmod.style.features",
    "inkmod.style.view",
    "inkmod.style.reports",
    "inkmod.backends",
    "inkmod.generation",
    "inkmod.training",
    "llama_cpp",
    "torch",
    "transformers",
    "gpt4all",
    "openai",
    "sentence_transformers",
    "wordfreq",
)

PROBE = """
import json, sys
import inkmod_lsp.setup
inkmod_lsp.setup.create_server()
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    modules: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return modules


def test_a_started_language_server_loads_no_engine_backend_or_model() -> None:
    modules = _loaded(PROBE)
    assert "inkmod_lsp.server" in modules and "inkmod.style.document" in modules
    bad = [m for m in modules if m.startswith(FORBIDDEN_PREFIXES)]
    assert bad == []


def test_the_model_list_runs_a_module_not_code_in_a_string() -> None:
    """The server lists models with ``python -m`` of a real module (its output is checked in
    tests/integration/test_model_listing.py)."""
    from importlib.util import find_spec

    from inkmod_lsp.features.commands import LIST_MODELS_MODULE

    assert find_spec(LIST_MODELS_MODULE) is not None
