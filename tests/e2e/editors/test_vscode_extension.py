"""The VS Code extension's own test suites (editors/vscode), run from pytest.

``npm run test:unit`` tests the extension's modules with the ``vscode`` API stubbed, and loads
and activates the built bundle; ``npm run test:integration`` starts this environment's real
``inkmod lsp`` and speaks to it as the extension does (one test resolves a rewrite with the
real default model, hence slow). VS Code itself cannot run here; see editors/vscode/README.md.

Needs Node 20 and npm; ``node_modules`` is installed with ``npm ci`` when missing or older
than ``package-lock.json``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from inkmod_editors_testlib import VSCODE, inkmod_executable


def npm(*args: str, timeout: float, env: dict[str, str] | None = None) -> str:
    found = shutil.which("npm")
    assert found, "Node 20 and npm are needed for the VS Code extension's tests"
    proc = subprocess.run(
        [found, *args],
        cwd=VSCODE,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"npm {' '.join(args)} failed:\n{output[-8000:]}"
    return output


@pytest.fixture(scope="module")
def extension() -> Path:
    """Dependencies installed and the bundle built (the unit tests load dist/extension.js)."""
    marker = VSCODE / "node_modules" / ".package-lock.json"
    lock = VSCODE / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        npm("ci", "--no-audit", "--no-fund", timeout=600)
    npm("run", "build", timeout=120)
    return VSCODE


def test_vscode_unit_tests(extension: Path) -> None:
    output = npm("run", "test:unit", timeout=300)
    assert "# fail 0" in output or "ℹ fail 0" in output, output[-4000:]


@pytest.mark.slow
def test_vscode_integration_tests_against_the_real_server(extension: Path) -> None:
    env = dict(os.environ)
    env["INKMOD_LSP_COMMAND"] = f"{inkmod_executable()} lsp"
    env["INKMOD_PYTHON"] = sys.executable
    env.pop("INKMOD_HOME", None)  # every session makes its own short home
    output = npm("run", "test:integration", timeout=900, env=env)
    assert "ℹ fail 0" in output, output[-4000:]
    assert "ℹ skipped 0" in output, "the integration tests must all run here"
