"""Keep native libraries' chatter off stdout and stderr.

llama.cpp, gpt4all and friends print from C/C++ straight to file descriptors 1 and 2, below
Python's ``sys.stdout``. Our language server speaks LSP over stdout, so one stray
``llama_model_loader: ...`` line would corrupt the protocol stream. :func:`capture_native_output`
points fds 1 and 2 at a temporary file while native code runs and forwards what was written to the
``inkmod.native`` logger, where it can be read when something goes wrong.

Redirecting a file descriptor is process-wide: while a capture is active, *any* thread's writes to
fd 1 land in the capture. Captures are therefore serialised with a lock, and a process whose
stdout carries a protocol should additionally call :func:`reserve_stdout_for_protocol` once at
start-up, so the protocol never goes through fd 1 at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

logger = logging.getLogger("inkmod.native")

_lock = threading.RLock()
_depth = 0
_current: CapturedOutput | None = None
_libc: ctypes.CDLL | None = None


class CapturedOutput:
    """The text native code wrote during a capture (filled in when the capture ends)."""

    def __init__(self) -> None:
        self.text = ""
        self._saved: tuple[int, int] | None = None
        self._sink_fd: int | None = None

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Temporarily give fds 1 and 2 back, e.g. around a caller's ``on_token`` callback.

        Streaming callbacks run inside the capture (the native call is still on the stack), and a
        CLI that prints tokens must reach the real terminal. Two ``dup2`` calls per token cost
        microseconds, far below the time to produce a token.
        """
        if self._saved is None or self._sink_fd is None:
            yield
            return
        _flush_c_stdio()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        try:
            yield
        finally:
            _flush_python()
            os.dup2(self._sink_fd, 1)
            os.dup2(self._sink_fd, 2)

    @property
    def last_line(self) -> str:
        """The last non-empty line."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @property
    def error_line(self) -> str:
        """The last line that reads like an error (``llama_model_load: error loading model:
        unknown model architecture ...``), or "" -- often more precise than the Python
        exception, which says only that loading failed. Lines about optional GPU libraries
        that failed to ``dlopen`` are noise on a CPU machine and skipped."""
        for line in reversed(self.text.splitlines()):
            low = line.lower()
            if "error" in low and "dlopen" not in low:
                return line.strip()
        return ""


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers so text lands on the right side of a redirection."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        _libc.fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - exotic platforms
        pass


def _flush_python() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


@contextlib.contextmanager
def capture_native_output(
    label: str = "native", level: int = logging.DEBUG
) -> Iterator[CapturedOutput]:
    """Capture everything written to fds 1 and 2 inside the block and log it.

    Re-entrant within one thread (an inner capture shares the outer one); other threads wait.
    The captured text is logged line by line at ``level`` on ``inkmod.native`` with ``label``.
    """
    global _depth, _current
    with _lock:
        if _depth > 0 and _current is not None:
            _depth += 1
            try:
                yield _current
            finally:
                _depth -= 1
            return
        captured = CapturedOutput()
        _flush_python()
        _flush_c_stdio()
        saved_out, saved_err = os.dup(1), os.dup(2)
        sink = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
        captured._saved = (saved_out, saved_err)
        captured._sink_fd = sink.fileno()
        _depth = 1
        _current = captured
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            _flush_python()
            _flush_c_stdio()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            _depth = 0
            _current = None
            captured._saved = captured._sink_fd = None
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")
            sink.close()
            for line in captured.text.splitlines():
                if line.strip():
                    logger.log(level, "[%s] %s", label, line.rstrip())


def reserve_stdout_for_protocol() -> BinaryIO:
    """Move the real stdout to a private descriptor and point fd 1 at stderr for good.

    Returns a binary stream on the original stdout for the protocol (LSP, msgpack-RPC). After
    this call nothing native can write into the protocol, even from another thread, because
    nothing but the returned stream reaches it. Call once, before loading any model.
    """
    _flush_python()
    _flush_c_stdio()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=0)


def load_failure_detail(exc: BaseException, captured: CapturedOutput | None) -> str:
    """One line combining the exception and the native library's own error line."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    native = captured.error_line if captured is not None else ""
    return f"{message}: {native}" if native and native not in message else message
