"""Starting a profile's daemon when nothing answers, correctly when many clients race.

:class:`~inkmod.rpc.client.DaemonClient` first tries to connect; only when that fails does it
come here, to :func:`start_or_join`: take the profile's spawn lock (``flock``) and *under the
lock* try again -- the client before us in the queue has probably started it; if still nothing
answers and no process holds the instance lock, remove a stale socket, spawn
``python -m inkmod.daemon`` detached, and poll-connect with backoff until it answers or the
process dies (then its output is quoted in the error).

This module knows processes, locks and files (:mod:`inkmod.rpc.instance`), not the protocol:
connecting is the ``attempt`` callable the client passes in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inkmod.rpc.errors import DaemonNotRunning, DaemonStartError
from inkmod.rpc.instance import (
    DaemonLockTimeout,
    DaemonPaths,
    abandon_lock_of_dying_daemon,
    daemon_alive,
    daemon_command,
    daemon_environment,
    read_instance_info,
    remove_stale_socket,
    spawn_detached,
    spawn_lock,
    spawn_output_tail,
)
from inkmod.rpc.session import Session

log = logging.getLogger(__name__)

Attempt = Callable[[], Session | None]
"""One connect + ``hello``: a compatible session, or None when nothing (compatible) answers."""


@dataclass(frozen=True)
class StartOptions:
    """How to start the daemon, should one have to be started."""

    profile: str
    samples: Path | str | None = None
    backend: str | None = None
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    idle_timeout: float | None = None
    daemon_args: Sequence[str] = ()
    spawn: bool = True
    connect_timeout: float = 30.0


def start_or_join(
    paths: DaemonPaths, options: StartOptions, attempt: Attempt, deadline: float
) -> tuple[Session, bool]:
    """A session with the profile's daemon, started here if need be: ``(session, started)``."""
    try:
        with spawn_lock(paths, max(0.1, deadline - time.monotonic())):
            session = attempt()
            if session is not None:
                return session, False
            if daemon_alive(paths):
                # Started by someone else (maybe `inkmod daemon start`) and not listening yet.
                session = poll(attempt, deadline, alive=lambda: daemon_alive(paths))
                if session is not None:
                    return session, False
            if daemon_alive(paths):
                info = read_instance_info(paths) or {}
                raise DaemonStartError(
                    f"the daemon for profile {options.profile!r} (pid {info.get('pid', '?')}) "
                    f"is running but does not answer; see {paths.log} or stop it "
                    "with `inkmod daemon stop`"
                )
            if not options.spawn:
                raise DaemonNotRunning(f"no daemon is running for profile {options.profile!r}")
            if abandon_lock_of_dying_daemon(paths):
                log.info("the previous daemon is still exiting; starting a new one anyway")
            remove_stale_socket(paths)
            cmd = daemon_command(
                options.profile,
                samples=options.samples,
                backend=options.backend,
                backend_options=options.backend_options,
                idle_timeout=options.idle_timeout,
                extra=options.daemon_args,
            )
            log.info("starting daemon: %s", " ".join(cmd))
            proc = spawn_detached(cmd, paths, env=daemon_environment(options.backend_options))
            session = poll(attempt, deadline, alive=lambda: proc.poll() is None)
            if session is None:
                raise DaemonStartError(start_failure(paths, options, proc.poll()))
            return session, True
    except DaemonLockTimeout as exc:
        raise DaemonStartError(str(exc)) from exc


def poll(attempt: Attempt, deadline: float, alive: Callable[[], bool]) -> Session | None:
    """Connect with backoff until ``deadline``, or until the daemon is no longer ``alive``."""
    delay = 0.01
    while time.monotonic() < deadline:
        session = attempt()
        if session is not None:
            return session
        if not alive():
            return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    return None


def start_failure(paths: DaemonPaths, options: StartOptions, returncode: int | None) -> str:
    """Why a spawned daemon never answered, with the end of its output or log."""
    state = f"exited with status {returncode}" if returncode is not None else "did not answer"
    tail = spawn_output_tail(paths)
    if not tail:
        from inkmod.textfiles import tail as log_tail

        tail = "\n".join(log_tail(paths.log, 15))
    detail = f"\n{tail}" if tail else ""
    return (
        f"the daemon for profile {options.profile!r} {state} within "
        f"{options.connect_timeout:g}s; log: {paths.log}{detail}"
    )
