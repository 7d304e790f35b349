"""A guarded stdin for pygls: bad ``Content-Length`` headers cost one message, not the server.

Why: pygls 2's stdio loop trusts the header. A ``Content-Length`` shorter than the body leaves
the rest of that body in front of the next header, a non-numeric one makes it skip the header,
and either way every later message is glued to garbage and never parsed again (the server lives
but never answers). ``Content-Length: 1099511627776`` makes it try to allocate a terabyte and
die with ``MemoryError``.

:class:`GuardedStdin` sits between stdin and pygls. It reads each message itself -- header lines
of bounded length, then the body -- and hands pygls a clean ``Content-Length: N`` header with
that body. A header block without a usable length (missing, not a number, over
:data:`MAX_BODY_BYTES`) is dropped with a warning; when a header turns up glued to the end
of garbage (the rest of a body cut short, ``…}Content-Length: 52``), reading resumes at that
header. Header lines are read at most :data:`MAX_HEADER_LINE` bytes at a time, so garbage never
grows a buffer. A body *longer* than its header says cannot be told from the next message and is
left to pygls (it fails to parse, and the stream resynchronises at the next header).
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024 * 1024
"""The largest message accepted: a document of well over 100 MB as JSON."""
MAX_HEADER_LINE = 8192
_HEADER = b"content-length:"
_LENGTH = re.compile(rb"^content-length:[ \t]*(\S*)[ \t]*\r?\n?$", re.IGNORECASE)


class GuardedStdin:
    """The ``readline``/``read`` pair pygls's stdio reader calls, over a checked stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._lines: list[bytes] = []
        self._body = b""

    # -- what pygls calls

    def readline(self) -> bytes:
        if not self._lines and not self._next_message():
            return b""
        return self._lines.pop(0)

    def read(self, n: int) -> bytes:
        body, self._body = self._body[:n], self._body[n:]
        return body

    # -- reading

    def _raw_line(self) -> bytes:
        return self.stream.readline(MAX_HEADER_LINE)

    def _next_message(self) -> bool:
        """Read one message with a usable length and queue its clean header; False at the end
        of input."""
        while True:
            length: int | None = None
            usable = True
            saw_header = False
            while True:
                line = self._raw_line()
                if not line:
                    return False
                at = line.lower().find(_HEADER)
                if at > 0:  # a header glued to the end of garbage: resume there
                    log.warning("dropped %d bytes before a header", at)
                    line = line[at:]
                if line in (b"\r\n", b"\n"):
                    if saw_header:
                        break
                    continue  # a stray blank line between messages
                match = _LENGTH.match(line)
                if match:
                    saw_header = True
                    value = match.group(1)
                    if value.isdigit() and int(value) <= MAX_BODY_BYTES:
                        length = int(value)
                    else:
                        log.warning("dropped a message with Content-Length %r", value[:40])
                        usable = False
                elif b":" in line and line.endswith(b"\n"):
                    saw_header = True  # another header (Content-Type)
                else:
                    log.warning("dropped %d bytes that are not a header", len(line))
            if not usable or length is None:
                continue
            # A body shorter than its header said fails to parse in pygls; its rest is then in
            # front of the next header, where the search above finds that header again.
            self._body = self.stream.read(length) if length else b""
            if len(self._body) < length:
                return False  # end of input inside a body
            self._lines = [b"Content-Length: %d\r\n" % length, b"\r\n"]
            return True
