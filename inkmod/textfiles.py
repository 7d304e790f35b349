"""Reading the end of a text file: the daemon's log, for ``inkmod daemon logs`` and for the
client's "the daemon did not start" message.

Why not in :mod:`inkmod.daemon.logs`: the client (:mod:`inkmod.rpc`) reads the log of a daemon
that failed to start, and the RPC layer imports nothing of the daemon.
"""

from __future__ import annotations

import os
from pathlib import Path


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a text file (reads from the end, fine for big logs)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block = 8192
            data = b""
            while size > 0 and data.count(b"\n") <= lines:
                step = min(block, size)
                size -= step
                handle.seek(size)
                data = handle.read(step) + data
    except FileNotFoundError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()[-lines:] if lines > 0 else []
