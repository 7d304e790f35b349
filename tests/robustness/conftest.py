"""Fixtures for the robustness suite: hostile inputs against the real CLI, daemon and server.

Every test gets its own short ``INKMOD_HOME`` under /tmp (unix socket paths must stay short) and
a teardown that stops every daemon started under it. Tests that start processes are marked
``slow`` (they still run in CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SUPPORT = HERE.parent / "support"
for folder in (HERE, SUPPORT):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from inkmod_daemon_testlib import FAKE_PLUGIN, MAYA, reap_daemons  # noqa: E402

INKMOD = str(Path(sys.executable).with_name("inkmod"))
PROCESS_FIXTURES = {"cli", "samples", "daemon_env"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents and PROCESS_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def inkmod_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private home; the fake backend plugin importable by any daemon started."""
    home = Path(tempfile.mkdtemp(prefix="ink", dir="/tmp"))
    monkeypatch.setenv("INKMOD_HOME", str(home))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("INKMOD_DAEMON_PLUGINS", FAKE_PLUGIN)
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")])),
    )
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
def daemon_env(inkmod_home: Path) -> dict[str, str]:
    return dict(os.environ)


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(inkmod_home: Path) -> Cli:
    """``cli(*args, input=None, env=None, timeout=60)``: run the real ``inkmod`` console script."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        preexec_fn: Callable[[], None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["COLUMNS"] = "200"
        return subprocess.run(
            [INKMOD, *args],
            input=input,
            capture_output=True,
            text=True,
            env={k: v for k, v in full_env.items() if v is not None},
            timeout=timeout,
            preexec_fn=preexec_fn,
        )

    return run


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a failed command: one ``error:`` line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]
