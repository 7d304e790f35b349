"""Where a daemon's files live, and the two locks that keep it to one process per profile.

* The **instance lock** (``<profile>.pid``) is held with ``flock`` by the running daemon for its
  whole life. The kernel drops it when the process dies -- even on ``kill -9`` -- so "is a daemon
  alive for this profile?" never depends on a pid that may have been reused. The file also holds
  a small JSON record (pid, versions, socket) for ``inkmod daemon status/stop``.
* The **spawn lock** (``<profile>.lock``) is held by a *client* while it checks for a daemon,
  removes a stale socket, starts one and waits for it to answer. Ten editors opening at once
  therefore start exactly one daemon: the others wait on the lock and then find it running.

Neither file is ever deleted: unlinking a lock file while another process has it open is the
classic way to end up with two "exclusive" holders of two different inodes. The one exception
is a lock held by a daemon that is provably dying (:func:`abandon_lock_of_dying_daemon`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkmod import paths
from inkmod.rpc.security import (
    SECRET_OPTIONS_ENV,
    check_socket_path,
    ensure_private_dir,
    is_secret_option,
)

DEFAULT_IDLE_TIMEOUT = 30 * 60.0


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""The style engine's rule for profile names (``inkmod.style.storage.validate_name``), repeated
here so that ``inkmod daemon status`` and editor clients need not import the engine."""


def validate_profile_name(name: str) -> str:
    """Profile names become socket and file names: letters, digits, '.', '_', '-' (max 64)."""
    if not _NAME_RE.match(name):
        raise ValueError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return name


class DaemonLockTimeout(TimeoutError):
    """Another process held the spawn lock for longer than we were willing to wait."""


class DaemonAlreadyRunning(RuntimeError):
    """The instance lock is held: a daemon for this profile is alive."""

    def __init__(self, profile: str, info: dict[str, Any] | None) -> None:
        pid = (info or {}).get("pid")
        super().__init__(
            f"a daemon for profile {profile!r} is already running"
            + (f" (pid {pid})" if pid else "")
        )
        self.info = info


@dataclass(frozen=True)
class DaemonPaths:
    """Every file of one profile's daemon."""

    profile: str
    runtime: Path
    socket: Path
    pidfile: Path
    spawn_lock: Path
    log: Path
    spawn_output: Path
    """stdout/stderr of a spawned daemon: catches a crash before logging is set up."""
    manifest: Path
    """Fingerprints of the sample files the profile was last synchronised with."""

    @classmethod
    def for_profile(cls, profile: str) -> DaemonPaths:
        validate_profile_name(profile)
        runtime = paths.runtime_dir()
        logs = paths.state_dir() / "logs"
        return cls(
            profile=profile,
            runtime=runtime,
            socket=runtime / f"{profile}.sock",
            pidfile=runtime / f"{profile}.pid",
            spawn_lock=runtime / f"{profile}.lock",
            log=logs / f"{profile}.log",
            spawn_output=logs / f"{profile}.out",
            manifest=paths.state_dir() / "daemon" / f"{profile}.manifest",
        )

    def prepare(self) -> None:
        """Create the private runtime dir and check the socket path fits in ``sun_path``."""
        ensure_private_dir(self.runtime)
        check_socket_path(self.socket)


# -- locks -----------------------------------------------------------------------------------------


def _open_lock_file(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextlib.contextmanager
def spawn_lock(dpaths: DaemonPaths, timeout: float) -> Iterator[None]:
    """Hold the profile's spawn lock (polling, so a timeout is possible and a signal works)."""
    dpaths.prepare()
    fd = _open_lock_file(dpaths.spawn_lock)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while not _try_flock(fd, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                raise DaemonLockTimeout(
                    f"timed out after {timeout:.0f}s waiting for {dpaths.spawn_lock} "
                    "(another client is starting the daemon)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


class InstanceLock:
    """The running daemon's claim on its profile, plus the JSON record readers look at."""

    def __init__(self, dpaths: DaemonPaths) -> None:
        self.dpaths = dpaths
        self._fd: int | None = None

    def acquire(self, wait: float = 2.0) -> None:
        """Take the lock or raise :class:`DaemonAlreadyRunning`.

        Retries for ``wait`` seconds because a client probing the lock (shared, non-blocking)
        holds it for a moment; a live daemon holds it forever, so the retry costs nothing then.
        The file is reopened on each attempt, and the lock kept only if the path still names the
        locked inode, because a client may replace the file of a dying daemon meanwhile.
        """
        self.dpaths.prepare()
        deadline = time.monotonic() + wait
        while True:
            fd = _open_lock_file(self.dpaths.pidfile)
            if _try_flock(fd, fcntl.LOCK_EX):
                try:
                    same = os.fstat(fd).st_ino == os.stat(self.dpaths.pidfile).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    self._fd = fd
                    return
            os.close(fd)
            if holder_exiting(self.dpaths) and _abandon_if_no_client_is_spawning(self.dpaths):
                continue
            if time.monotonic() >= deadline:
                raise DaemonAlreadyRunning(self.dpaths.profile, read_instance_info(self.dpaths))
            time.sleep(0.02)

    def write(self, info: dict[str, Any]) -> None:
        """Replace the record in place (not atomically renamed: the inode carries the lock)."""
        if self._fd is None:
            raise RuntimeError("instance lock not held")
        data = json.dumps(info, sort_keys=True).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None


def lock_held(dpaths: DaemonPaths) -> bool:
    """True while some process holds the instance lock."""
    try:
        fd = os.open(dpaths.pidfile, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        return not _try_flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)  # also drops the shared lock if we got it


PF_EXITING = 0x4
"""``task_struct.flags`` bit the kernel sets once a process is inside ``do_exit``."""


def process_exiting(pid: int) -> bool:
    """True when ``pid`` is dead or dying: gone, a zombie, or already inside ``do_exit``.

    Linux only (``/proc``); elsewhere a live pid is assumed to be alive.
    """
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
    try:
        state, flags = fields[0], int(fields[6])
    except (IndexError, ValueError):
        return False
    return state in ("Z", "X", "x") or bool(flags & PF_EXITING)


def holder_exiting(dpaths: DaemonPaths) -> bool:
    """The instance lock is held, but by a daemon that is already dying.

    Why this matters: the kernel releases a killed process's locks only at the end of its exit,
    and on a busy machine that exit can block for tens of seconds (a kernel worker flush in
    ``do_exit``). The daemon stopped serving the instant it was killed; waiting for its lock
    would leave the user without a daemon for that long.
    """
    info = read_instance_info(dpaths)
    pid = info.get("pid") if info else None
    return isinstance(pid, int) and pid > 0 and lock_held(dpaths) and process_exiting(pid)


def _abandon_if_no_client_is_spawning(dpaths: DaemonPaths) -> bool:
    """Daemon side of :func:`abandon_lock_of_dying_daemon` (a daemon started by hand after a
    crash): only while no client holds the spawn lock -- one that does will have done it."""
    fd = _open_lock_file(dpaths.spawn_lock)
    try:
        if not _try_flock(fd, fcntl.LOCK_EX):
            return False
        return abandon_lock_of_dying_daemon(dpaths)
    finally:
        os.close(fd)


def daemon_alive(dpaths: DaemonPaths) -> bool:
    """True while a daemon that is not already dying holds the instance lock (one starting,
    serving or hung)."""
    return lock_held(dpaths) and not holder_exiting(dpaths)


def abandon_lock_of_dying_daemon(dpaths: DaemonPaths) -> bool:
    """Replace the instance lock file held by a dying daemon with a fresh one.

    The dying process keeps its lock on the old, now unlinked inode; the next daemon locks the
    new file. Call only under the spawn lock (so two clients cannot both replace it); returns
    True when it replaced the file.
    """
    if not holder_exiting(dpaths):
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{dpaths.pidfile.name}.", dir=dpaths.runtime)
    os.close(fd)
    os.replace(tmp, dpaths.pidfile)
    return True


def read_instance_info(dpaths: DaemonPaths) -> dict[str, Any] | None:
    """The record the daemon wrote, or None when there is none or it is being rewritten."""
    try:
        text = dpaths.pidfile.read_text()
    except OSError:
        return None
    if not text.strip():
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def wait_until_gone(dpaths: DaemonPaths, timeout: float) -> bool:
    """Poll until no daemon holds the instance lock; True if it went within ``timeout``."""
    deadline = time.monotonic() + timeout
    while daemon_alive(dpaths):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def terminate(dpaths: DaemonPaths, pid: int | None, timeout: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL, the daemon holding ``dpaths``' instance lock.

    Only signals ``pid`` while the instance lock is held, so a recycled pid of an unrelated
    process is never hit after the daemon is gone. Returns True once the lock is free.
    """
    if pid is None:
        info = read_instance_info(dpaths)
        pid = info.get("pid") if info else None
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        if not daemon_alive(dpaths):
            return True
        if not isinstance(pid, int) or pid <= 0:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        if wait_until_gone(dpaths, wait):
            return True
    return not daemon_alive(dpaths)


def remove_stale_socket(dpaths: DaemonPaths) -> bool:
    """Delete a socket file nobody serves. Only call with no daemon alive (checked here; a
    dying one does not count)."""
    if daemon_alive(dpaths):
        return False
    try:
        dpaths.socket.unlink()
    except FileNotFoundError:
        return False
    return True


# -- spawning --------------------------------------------------------------------------------------


def daemon_command(
    profile: str,
    *,
    samples: Path | str | None = None,
    backend: str | None = None,
    backend_options: Mapping[str, Any] | None = None,
    idle_timeout: float | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line that runs a daemon: ``python -m inkmod.daemon ...``."""
    cmd = [sys.executable, "-m", "inkmod.daemon", "--profile", profile]
    if samples is not None:
        cmd += ["--samples", str(Path(samples).expanduser().resolve())]
    if backend:
        cmd += ["--backend", backend]
    for key, value in (backend_options or {}).items():
        if not is_secret_option(key):  # secrets go by environment: see daemon_environment()
            cmd += ["--backend-option", f"{key}={json.dumps(value)}"]
    if idle_timeout is not None:
        cmd += ["--idle-timeout", str(idle_timeout)]
    cmd += list(extra)
    return cmd


def daemon_environment(backend_options: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The spawned daemon's environment: ours, plus the secret backend options (which
    :func:`daemon_command` leaves off the command line) as JSON in ``SECRET_OPTIONS_ENV``."""
    env = dict(os.environ)
    env.pop(SECRET_OPTIONS_ENV, None)
    secrets = {k: v for k, v in (backend_options or {}).items() if is_secret_option(k)}
    if secrets:
        env[SECRET_OPTIONS_ENV] = json.dumps(secrets)
    return env


def spawn_detached(
    cmd: Sequence[str], dpaths: DaemonPaths, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start the daemon in its own session, detached from our terminal and stdio.

    ``start_new_session`` puts it out of reach of the terminal's Ctrl-C and hang-up; its stdout
    and stderr go to ``<profile>.out`` so a crash before logging is configured is still
    recorded (the file is truncated first, so a failure quotes this start, not an old one).
    A thread reaps the child when it exits, so a long-lived client (the language
    server) does not collect zombies.
    """
    dpaths.spawn_output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(dpaths.spawn_output, "wb") as out:  # this start's output only
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            cwd="/",
            env=dict(env) if env is not None else None,
        )
    threading.Thread(target=proc.wait, name=f"reap-daemon-{proc.pid}", daemon=True).start()
    return proc


def spawn_output_tail(dpaths: DaemonPaths, lines: int = 15) -> str:
    """The end of the spawned daemon's raw output, quoted when it fails to start."""
    try:
        text = dpaths.spawn_output.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
