"""Fixtures for the editor-client tests: a short private home per test, cleaned up after.

Each Neovim run gets its own short ``INKMOD_HOME`` under /tmp (unix socket paths must stay
under ~100 bytes) and its own XDG directories (Neovim's log, shada and state stay inside it);
afterwards the daemon the server started there is stopped and the home removed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from inkmod_editors_testlib import stop_daemons


@pytest.fixture
def short_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="ink", dir="/tmp"))
    try:
        yield home
    finally:
        stop_daemons(home)
        shutil.rmtree(home, ignore_errors=True)
