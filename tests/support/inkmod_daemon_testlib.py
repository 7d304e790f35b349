"""Helpers shared by the daemon tests (a uniquely named module, so it never collides with
another test directory's helpers on ``sys.path``)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inkmod.rpc.instance import DaemonPaths, terminate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MAYA = REPO / "examples" / "samples" / "maya"
PROFILE = "maya"
FAKE_PLUGIN = "fake_backend"
SUPPORT = HERE.parent / "support"
OLD_PROTOCOL_PLUGIN = "inkmod_test_old_protocol"

PARAGRAPH = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday. Gus "
    "watched me from the porch like he knew something I didn't, which he probably did."
)
FORMAL = (
    "The quarterly assessment indicates that operational expenditures exceeded the projected "
    "allocation by a statistically significant margin, necessitating a comprehensive review of "
    "procurement protocols and the implementation of enhanced oversight mechanisms across all "
    "departmental subdivisions, notwithstanding previously articulated strategic priorities."
)


def _daemon_processes(home: Path) -> list[Any]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "inkmod.daemon" not in cmdline:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("INKMOD_HOME") == str(home):
                found.append(proc)
    return found


def daemon_processes(home: Path) -> list[Any]:
    """Live (non-zombie) daemon processes started under ``home``."""
    import psutil

    live = []
    for proc in _daemon_processes(home):
        with contextlib.suppress(psutil.Error):
            if proc.status() != psutil.STATUS_ZOMBIE:
                live.append(proc)
    return live


def reap_daemons(home: Path) -> None:
    run = home / "run"
    if run.is_dir():
        for pidfile in run.glob("*.pid"):
            with contextlib.suppress(Exception):
                terminate(DaemonPaths.for_profile(pidfile.stem), None, timeout=3.0)
    for proc in _daemon_processes(home):
        with contextlib.suppress(Exception):
            proc.kill()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class Recorder:
    """Collects notifications from a callback thread; ``wait_for`` polls with a timeout."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self._cond = threading.Condition()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        with self._cond:
            self.items.append((method, params))
            self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for _method, params in self.items:
                    if predicate(params):
                        return params
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching notification in {timeout}s: {self.items}")
                self._cond.wait(remaining)
