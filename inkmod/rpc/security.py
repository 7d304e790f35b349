"""Who may talk to the daemon: only the user who started it.

Three layers, each enough on its own on a normal system, together robust when one is weakened
(a permissive umask, a shared ``/tmp``, a copied socket file):

1. the runtime directory is ``0700`` and owned by us -- nobody else can even reach the socket;
2. the socket file is ``0600`` -- connecting needs write permission on it;
3. every accepted connection's peer uid is read from the kernel (``SO_PEERCRED`` on Linux,
   ``LOCAL_PEERCRED`` on macOS/BSD) and anything but our own uid is closed unanswered.

The daemon can rewrite text with a local model and read the samples folder, so a connection is
as good as a shell as this user's text-processing tool; hence the paranoia.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRIVATE_DIR_MODE = 0o700
SOCKET_MODE = 0o600
MAX_SOCKET_PATH = 104
"""``sun_path`` is 108 bytes on Linux and 104 on macOS/BSD; stay under the smaller."""


class InsecureRuntimeDir(RuntimeError):
    """The runtime directory exists but is not ours or is not a private directory."""


class SocketPathTooLong(ValueError):
    """The socket's path does not fit in ``sun_path``."""


@dataclass(frozen=True)
class PeerCredentials:
    pid: int | None
    uid: int
    gid: int | None


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) so that the last component is ours and ``0700``.

    An existing directory we own with looser permissions is tightened; one owned by another
    user, or a symlink (someone could point it anywhere), is refused rather than used. So is a
    parent that another user controls (platformdirs falls back to ``/tmp/runtime-<uid>`` when
    ``XDG_RUNTIME_DIR`` is unset, a name anyone could create first): its owner could swap our
    directory for theirs.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    parent = os.stat(path.parent)
    if parent.st_uid not in (os.geteuid(), 0):  # the owner may rename entries, sticky or not
        raise InsecureRuntimeDir(
            f"{path.parent} belongs to uid {parent.st_uid}, who could replace {path.name}/; "
            "set XDG_RUNTIME_DIR to a private directory"
        )
    if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
        # anyone may rename our directory away and put theirs in its place (the XDG spec
        # requires XDG_RUNTIME_DIR to be 0700)
        raise InsecureRuntimeDir(
            f"{path.parent} is world-writable (mode {stat.S_IMODE(parent.st_mode):o}), so "
            f"anyone could replace {path.name}/; set XDG_RUNTIME_DIR to a private directory "
            f"(chmod 700 {path.parent})"
        )
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=PRIVATE_DIR_MODE)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise InsecureRuntimeDir(
            f"{path} is not a directory (a symlink or file is in the way); remove it, or set "
            "XDG_RUNTIME_DIR (or INKMOD_HOME) to a private directory"
        )
    if info.st_uid != os.geteuid():
        raise InsecureRuntimeDir(
            f"{path} belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); "
            "remove it or set XDG_RUNTIME_DIR to a private directory"
        )
    if stat.S_IMODE(info.st_mode) != PRIVATE_DIR_MODE:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Create files as ``0600``/``0700`` inside the block.

    ``bind()`` creates the socket file with the process umask; setting it tight around the bind
    closes the window between creation and the ``chmod`` that follows.
    """
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def check_socket_path(path: Path) -> None:
    """Fail early and clearly instead of with ``OSError: AF_UNIX path too long``."""
    length = len(os.fsencode(str(path)))
    if length >= MAX_SOCKET_PATH:
        raise SocketPathTooLong(
            f"socket path {path} is {length} bytes; unix sockets allow fewer than "
            f"{MAX_SOCKET_PATH}: set a shorter XDG_RUNTIME_DIR (or INKMOD_HOME), "
            "or use a shorter profile name"
        )


SECRET_OPTIONS_ENV = "INKMOD_DAEMON_SECRET_OPTIONS"
"""Backend options that look secret travel to a spawned daemon in this environment variable
(JSON), never on its command line: ``/proc/<pid>/cmdline`` is readable by every user, a process's
environment only by its owner."""
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential")
REDACTED = "***"


def is_secret_option(name: str) -> bool:
    """Whether a backend option's value must never be shown, logged or put on a command line."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with every secret-looking value replaced by ``***``."""
    return {k: (REDACTED if is_secret_option(k) else v) for k, v in options.items()}


def peer_credentials(sock: socket.socket) -> PeerCredentials | None:
    """The connecting process's credentials as the kernel recorded them at ``connect()``.

    None when the platform offers no way to ask (then only the file permissions protect us).
    """
    so_peercred = getattr(socket, "SO_PEERCRED", None)
    if so_peercred is not None:  # Linux: struct ucred {pid_t pid; uid_t uid; gid_t gid;}
        raw = sock.getsockopt(socket.SOL_SOCKET, so_peercred, struct.calcsize("3i"))
        pid, uid, gid = struct.unpack("3i", raw)
        return PeerCredentials(pid, uid, gid)
    if sys.platform == "darwin" or "bsd" in sys.platform:
        local_peercred = getattr(socket, "LOCAL_PEERCRED", 0x001)
        sol_local = 0
        # struct xucred {u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16];}
        try:
            raw = sock.getsockopt(sol_local, local_peercred, struct.calcsize("IIh16I") + 8)
        except OSError:
            return None
        _version, uid = struct.unpack_from("II", raw)
        return PeerCredentials(None, uid, None)
    return None


def peer_allowed(sock: socket.socket) -> tuple[bool, PeerCredentials | None]:
    """Whether the peer is our own (effective) user.

    The daemon asks it of every client; clients ask it of the daemon too (the kernel reports
    the listening process's credentials to the connecting side), so text is never sent to a
    socket someone else is serving.

    Root is refused too (unless we are root): it can impersonate us anyway, and accepting it
    would make the rule less obvious. When credentials are unavailable the connection is
    allowed -- the directory and socket modes already kept other users out.
    """
    creds = peer_credentials(sock)
    if creds is None:
        return True, None
    return creds.uid == os.geteuid(), creds
