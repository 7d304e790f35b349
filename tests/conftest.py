"""Shared fixtures: every test gets its own INKMOD_HOME so nothing touches the user's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testpaths import CORPORA


@pytest.fixture(autouse=True)
def inkmod_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("inkhome")
    monkeypatch.setenv("INKMOD_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The team's shared corpora of real prose (present beside the checkout, in CI too)."""
    assert CORPORA.is_dir(), f"expected the shared corpora at {CORPORA}"
    return CORPORA
