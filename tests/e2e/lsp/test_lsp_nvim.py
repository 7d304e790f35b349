"""A real client: headless Neovim 0.7 opens a Markdown file, attaches the server, receives the
drift diagnostics, runs the rewrite code action through its own UI flow and ends with the
buffer changed. The Lua side is ``nvim_e2e.lua``; it writes what it saw to a JSON file.

Needs ``nvim`` on PATH (``apt-get install -y neovim``: 0.7.2 on Debian 12). The model is the
deterministic ``lspfake`` plugin, so the expected new text is known; the real model is
exercised in ``test_lsp_rewrite_real.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from fake_backend import in_the_voice
from inkmod_lsp_testlib import (
    FOREIGN,
    HERE,
    MIXED,
    cleanup,
    paragraphs,
    server_env,
    short_home,
    workspace,
)

pytestmark = pytest.mark.slow

TEXT = MIXED.read_text(encoding="utf-8")
FOREIGN_LINES = [paragraphs(TEXT)[n - 1][0] for n in FOREIGN]


def test_neovim_gets_diagnostics_and_applies_the_rewrite() -> None:
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed for this test: apt-get install -y neovim"
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True, check=True)
    home = short_home()
    root = workspace(home)
    out = home / "nvim-result.json"
    line = FOREIGN_LINES[0] + 1  # 1-based for Neovim
    env = server_env(home, extra={"INKMOD_FAKE_TOKEN_DELAY": "0.002"})
    env.update(
        {
            "INKMOD_NVIM_OUT": str(out),
            "INKMOD_NVIM_DOC": str(root / "mixed.md"),
            "INKMOD_NVIM_ROOT": str(root),
            "INKMOD_NVIM_LINE": str(line),
            "INKMOD_NVIM_CMD": json.dumps([sys.executable, "-m", "inkmod_lsp"]),
            "INKMOD_NVIM_SETTINGS": json.dumps(
                {"profile": "maya", "samplesFolder": "samples", "backend": "lspfake"}
            ),
        }
    )
    try:
        proc = subprocess.run(
            [nvim, "--headless", "--clean", "-n", "-c", f"luafile {HERE / 'nvim_e2e.lua'}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=root,
        )
        assert out.exists(), f"nvim wrote no result:\n{proc.stdout}\n{proc.stderr}"
        result = json.loads(out.read_text(encoding="utf-8"))
    finally:
        cleanup(home)
    print(f"\n{version.stdout.splitlines()[0]}: {json.dumps(result)[:400]}")
    assert not result["errors"], result["errors"]
    assert result["filetype"] == "markdown"
    assert sorted(result["diagnostic_lines"]) == FOREIGN_LINES
    assert result["source"] == "inkmod"
    assert "Rewrite paragraph in my style" in result["offered"]
    assert result["chosen"] and result["changed"]
    assert result["before"] == TEXT.splitlines()[line - 1]
    # the paragraph now reads as one of the (fake) model's candidates
    assert result["after"] in {in_the_voice(result["before"], seed) for seed in (0, 1)}
    assert result["lines"] == len(TEXT.splitlines())  # nothing else moved
