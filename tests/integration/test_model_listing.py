"""``python -m inkmod.backends.listing``: what the language server's model picker reads."""

from __future__ import annotations

import json
import subprocess
import sys

from inkmod_lsp.features.commands import LIST_MODELS_MODULE


def test_the_listing_module_prints_every_registered_model() -> None:
    out = subprocess.run(
        [sys.executable, "-m", LIST_MODELS_MODULE], capture_output=True, text=True, check=True
    )
    models = json.loads(out.stdout)
    names = [m["name"] for m in models]
    assert "smollm2" in names
    assert all({"name", "installed", "weights", "description"} <= set(m) for m in models)
