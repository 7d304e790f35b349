"""The daemon's log: one rotating file per profile, native library output included.

A detached daemon has no terminal, so anything it (or llama.cpp, from C) writes to stdout or
stderr would vanish. :func:`setup_daemon_logging` therefore

* sends Python logging to ``state_dir()/logs/<profile>.log`` (rotated at 2 MB, 3 backups);
* lets the ``inkmod.native`` logger through at DEBUG, which is where the backends'
  :func:`~inkmod.backends.native_output.capture_native_output` forwards what native code printed
  while a model loaded or generated;
* replaces file descriptors 1 and 2 with a pipe read by a thread that logs each line, so output
  from any *other* native code or a stray ``print`` also lands in the log instead of nowhere;
* with ``foreground=True`` also copies records to the terminal, through a duplicate of the
  original stderr descriptor (a capture redirecting fd 2 cannot swallow them).
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_LOG_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3

native_log = logging.getLogger("inkmod.native")


def setup_daemon_logging(
    log_file: Path, *, foreground: bool = False, level: int = logging.INFO
) -> logging.Handler:
    """Configure the root logger for a daemon process; returns the file handler."""
    # Logs name files and profiles: private when we create the folder (a folder the user
    # made or linked elsewhere is theirs to decide about).
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_LOG_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(file_handler)
    root.setLevel(level)
    native_log.setLevel(logging.DEBUG)
    if foreground:
        terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        stream = logging.StreamHandler(terminal)
        stream.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(stream)
    _redirect_std_fds()
    logging.captureWarnings(True)
    return file_handler


def _redirect_std_fds() -> None:
    """Point fds 1 and 2 at a pipe whose lines become ``inkmod.native`` log records."""
    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os.dup2(write_fd, 1)
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for raw in pipe:
                line = raw.decode("utf-8", errors="replace").rstrip()
                if line:
                    native_log.info("[stdio] %s", line)

    threading.Thread(target=pump, name="stdio-to-log", daemon=True).start()


class CallbackHandler(logging.Handler):
    """Forward log records to a callable (the daemon's ``log`` notification to subscribers)."""

    def __init__(self, emit: Callable[[logging.LogRecord, str], None], level: int) -> None:
        super().__init__(level)
        self._emit = emit
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        # Sending a notification may itself log (e.g. a dropped slow client); never recurse.
        if getattr(self._local, "busy", False) or record.name.startswith("inkmod.rpc.session"):
            return
        self._local.busy = True
        try:
            self._emit(record, self.format(record))
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)
        finally:
            self._local.busy = False
