"""Fixtures for the daemon tests: real daemon processes over real sockets, always cleaned up.

Every test gets its own short ``INKMOD_HOME`` under /tmp (unix socket paths must stay under
~100 bytes, and pytest's tmp_path can be longer), the deterministic ``fake`` backend plugin on
the daemon's path, and a teardown that stops every daemon started under that home -- politely
through its instance lock first, then by scanning for stragglers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from inkmod_daemon_testlib import (
    FAKE_PLUGIN,
    HERE,
    MAYA,
    PROFILE,
    SUPPORT,
    Recorder,
    reap_daemons,
)

from inkmod.rpc.client import DaemonClient, ensure_daemon
from inkmod.rpc.instance import DaemonPaths


@pytest.fixture(autouse=True)
def inkmod_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Overrides the suite-wide fixture with a short path and the fake backend plugin."""
    home = Path(tempfile.mkdtemp(prefix="ink", dir="/tmp"))
    monkeypatch.setenv("INKMOD_HOME", str(home))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("INKMOD_DAEMON_PLUGINS", FAKE_PLUGIN)
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(HERE), str(SUPPORT), os.environ.get("PYTHONPATH")])),
    )
    monkeypatch.setenv("INKMOD_FAKE_TOKEN_DELAY", "0.002")
    for folder in (HERE, SUPPORT):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        yield home
    finally:
        reap_daemons(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def samples(inkmod_home: Path) -> Path:
    target = inkmod_home / "samples"
    shutil.copytree(MAYA, target)
    return target


@pytest.fixture
def paths(inkmod_home: Path) -> DaemonPaths:
    return DaemonPaths.for_profile(PROFILE)


@pytest.fixture
def connect(samples: Path) -> Iterator[Callable[..., DaemonClient]]:
    """``connect(**kw)``: a client for the test profile (fake backend), closed at teardown."""
    clients: list[DaemonClient] = []

    def make(**kwargs: Any) -> DaemonClient:
        kwargs.setdefault("samples", samples)
        kwargs.setdefault("backend", "fake")
        kwargs.setdefault("idle_timeout", 120)
        kwargs.setdefault("request_timeout", 30)
        client = ensure_daemon(PROFILE, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(connect: Callable[..., DaemonClient]) -> DaemonClient:
    return connect()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
