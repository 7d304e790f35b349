"""Crash-safe file writes.

Why: a profile or checkpoint half-written when the machine loses power must never replace the good
copy. We write a temporary file in the same directory, fsync it, rename it over the target (atomic
on POSIX) and fsync the directory so the rename itself survives a crash.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

STALE_UNKNOWN_SECONDS = 3600.0
"""A temporary file whose writer cannot be told (no pid in its name) counts as abandoned after
this long."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete the temporary files of writes to ``path`` whose writer died (``kill -9`` or a
    power cut mid-save). Each temp file names its writer's pid; a live writer's is kept."""
    removed: list[Path] = []
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        try:
            if pid_text.isdigit():
                stale = int(pid_text) != os.getpid() and not pid_alive(int(pid_text))
            else:  # an older InkMod's name, without the pid
                stale = time.time() - entry.stat().st_mtime > STALE_UNKNOWN_SECONDS
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically (readers see the old or the new file, whole).

    Temporary files left by writers that died are removed first, so interrupted saves cannot
    pile up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Text variant of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)
