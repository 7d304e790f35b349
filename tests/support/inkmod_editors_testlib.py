"""Helpers for the editor-client tests (uniquely named: it sits on sys.path beside other
test directories' helpers): paths, the server command, cleanup.

Each Neovim run gets its own short ``INKMOD_HOME`` under /tmp (unix socket paths must stay
under ~100 bytes) and its own XDG directories (Neovim's log, shada and state stay inside it);
afterwards the daemon the server started there is stopped and the home removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
