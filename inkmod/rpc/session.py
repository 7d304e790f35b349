"""msgpack-RPC over a byte stream, in two layers (the pynvim habit).

* :class:`FrameDecoder` turns bytes into messages. It knows nothing about sockets, so it is tested
  with plain byte strings, and it enforces the size bound: a peer cannot make us buffer more
  than ``max_message_bytes`` for one message, however it splits its writes.
* :class:`Session` owns one asyncio stream: it numbers outgoing requests, pairs responses to
  them by msgid (responses may come back in any order), and hands incoming requests and
  notifications to callbacks. Both ends of the socket use it; only the callbacks differ.

A message that decodes but is not well formed (wrong type code, a params array, a missing msgid)
is answered with an error and the stream carries on. Bytes that are not msgpack, or a message
over the bound, leave the stream unsynchronised: we answer the request if its msgid can still be
read from the frame's first bytes, then close the connection. Either way only that connection
suffers; the session never raises into the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from inkmod.rpc import protocol as P

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
_HEAD_BYTES = 64
"""Bytes kept from the start of each frame so an oversized or corrupt request can still be
answered by msgid: ``[0, msgid, ...`` fits in at most 1 + 1 + 5 bytes."""
MAX_WRITE_BACKLOG_FACTOR = 4
"""A peer that stops reading may leave this many maximum-size messages unsent before we drop it,
so one stuck editor cannot grow the daemon's memory without bound."""


class RPCError(Exception):
    """An error response (``[code, message]``) from the other end."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_wire(self) -> list[Any]:
        return P.error_object(self.code, self.message)

    @classmethod
    def from_wire(cls, error: Any) -> RPCError:
        """Accept ``[code, message]`` and, leniently, a bare string or a ``{code, message}`` map."""
        if isinstance(error, (list, tuple)) and len(error) >= 2:
            code = error[0] if isinstance(error[0], int) else P.INTERNAL_ERROR
            return cls(code, str(error[1]))
        if isinstance(error, dict):
            value = error.get("code")
            return cls(
                value if isinstance(value, int) else P.INTERNAL_ERROR, str(error.get("message"))
            )
        return cls(P.INTERNAL_ERROR, str(error))


class ConnectionLost(ConnectionError):
    """The stream closed while a request was waiting for its response."""


# -- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    msgid: int
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Response:
    msgid: int
    error: Any
    result: Any


@dataclass(frozen=True)
class Notification:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class InvalidMessage:
    """Valid msgpack, wrong shape. ``msgid`` is set when a request's id could be read."""

    msgid: int | None
    reason: str


Message = Request | Response | Notification | InvalidMessage


class FrameError(Exception):
    """The byte stream is unusable from here on (corrupt or oversized frame)."""

    def __init__(self, code: int, reason: str, msgid: int | None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.msgid = msgid


def _is_msgid(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32


def _params(value: Any) -> dict[str, Any] | None:
    """Params are a map. Neovim sends positional arrays; a one-element array holding a map is
    accepted for clients built on such libraries, and an empty array means no params."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, (list, tuple)):
        if not value:
            return {}
        if len(value) == 1 and isinstance(value[0], dict):
            return value[0]
    return None


def classify(obj: Any) -> Message:
    """Check the shape of one decoded object and build the matching message."""
    if not isinstance(obj, (list, tuple)) or not obj:
        return InvalidMessage(None, "a message must be a non-empty array")
    kind = obj[0]
    if kind == P.REQUEST:
        msgid = obj[1] if len(obj) > 1 and _is_msgid(obj[1]) else None
        if len(obj) != 4 or msgid is None:
            return InvalidMessage(msgid, "a request is [0, msgid, method, params]")
        if not isinstance(obj[2], str):
            return InvalidMessage(msgid, "the method name must be a string")
        params = _params(obj[3])
        if params is None:
            return InvalidMessage(msgid, "params must be a map")
        return Request(msgid, obj[2], params)
    if kind == P.RESPONSE:
        if len(obj) != 4 or not _is_msgid(obj[1]):
            return InvalidMessage(None, "a response is [1, msgid, error, result]")
        return Response(obj[1], obj[2], obj[3])
    if kind == P.NOTIFICATION:
        if len(obj) != 3 or not isinstance(obj[1], str):
            return InvalidMessage(None, "a notification is [2, method, params]")
        params = _params(obj[2])
        if params is None:
            return InvalidMessage(None, "params must be a map")
        return Notification(obj[1], params)
    return InvalidMessage(None, f"unknown message type {kind!r}")


def encode(message: list[Any]) -> bytes:
    """msgpack with the str/bin distinction (``use_bin_type``), as Neovim expects.

    A string that is not valid Unicode (a file name with undecodable bytes, held as lone
    surrogates) is sent with those characters escaped, so the peer always receives UTF-8."""
    data: bytes = msgpack.packb(message, use_bin_type=True, unicode_errors="backslashreplace")
    return data


def request_msgid_from_head(head: bytes) -> int | None:
    """The msgid of a request whose frame starts with ``head``, or None.

    Used only after a frame went wrong, to answer the request instead of dropping it silently.
    """
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=len(head) + 1)
    try:
        unpacker.feed(head)
        if unpacker.read_array_header() != 4 or unpacker.unpack() != P.REQUEST:
            return None
        msgid = unpacker.unpack()
    except Exception:
        return None
    return msgid if _is_msgid(msgid) else None


# -- framing -------------------------------------------------------------------------------------


class FrameDecoder:
    """Incremental, bounded msgpack decoder.

    ``msgpack.Unpacker``'s own ``max_buffer_size`` is not a per-message bound: the unpacker
    parses incomplete input as far as it can and drops the consumed bytes from its buffer, so a
    huge message of many small items never fills it. We therefore measure each message
    ourselves -- bytes fed since the last complete message -- and fail as soon as that exceeds
    ``max_message_bytes``, whatever the peer's write boundaries, before more is buffered.
    """

    def __init__(self, max_message_bytes: int = P.MAX_MESSAGE_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self._unpacker = msgpack.Unpacker(
            raw=False,
            max_buffer_size=max_message_bytes + READ_CHUNK,
            # Every item takes at least one byte: no single string, array or map may claim
            # more than one message could hold.
            max_str_len=max_message_bytes,
            max_bin_len=max_message_bytes,
            max_array_len=max_message_bytes,
            max_map_len=max_message_bytes // 2,
            max_ext_len=max_message_bytes,
            strict_map_key=True,
        )
        self._fed = 0
        self._msg_start = 0
        self._head = bytearray()
        self._broken = False

    def feed(self, data: bytes) -> Iterator[Message]:
        """Yield every complete message in ``data`` (plus what was buffered before).

        Raises :class:`FrameError` once the stream cannot continue; do not feed again after.
        """
        if self._broken:
            raise FrameError(P.PARSE_ERROR, "stream already failed", None)
        for start in range(0, len(data), READ_CHUNK):
            yield from self._feed_chunk(data[start : start + READ_CHUNK])

    def _feed_chunk(self, chunk: bytes) -> Iterator[Message]:
        chunk_start = self._fed
        try:
            self._unpacker.feed(chunk)
        except msgpack.BufferFull:  # pragma: no cover - prevented by the per-message check
            raise self._fail(P.MESSAGE_TOO_LARGE, self._too_large_reason()) from None
        self._fed += len(chunk)
        if len(self._head) < _HEAD_BYTES:
            local = max(0, self._msg_start - chunk_start)
            self._head += chunk[local : local + _HEAD_BYTES - len(self._head)]
        while True:
            try:
                obj = self._unpacker.unpack()
            except msgpack.OutOfData:
                break
            except (msgpack.FormatError, msgpack.StackError, UnicodeDecodeError) as exc:
                raise self._fail(P.PARSE_ERROR, f"undecodable msgpack: {exc}") from None
            except ValueError as exc:
                if "exceeds max" in str(exc):  # a length over the max_*_len bounds
                    raise self._fail(P.MESSAGE_TOO_LARGE, self._too_large_reason()) from None
                raise self._fail(P.PARSE_ERROR, f"undecodable msgpack: {exc}") from None
            except Exception as exc:  # pragma: no cover - msgpack internals
                raise self._fail(P.PARSE_ERROR, f"undecodable msgpack: {exc}") from None
            self._msg_start = self._unpacker.tell()
            local = self._msg_start - chunk_start
            self._head = bytearray(chunk[local : local + _HEAD_BYTES])
            yield classify(obj)
        if self._fed - self._msg_start > self.max_message_bytes:
            raise self._fail(P.MESSAGE_TOO_LARGE, self._too_large_reason())

    @property
    def pending_bytes(self) -> int:
        """Bytes of the current, unfinished message held so far."""
        return self._fed - self._msg_start

    def _too_large_reason(self) -> str:
        return f"message larger than the {self.max_message_bytes}-byte limit"

    def _fail(self, code: int, reason: str) -> FrameError:
        self._broken = True
        return FrameError(code, reason, request_msgid_from_head(bytes(self._head)))


# -- session -------------------------------------------------------------------------------------

RequestHandler = Callable[["Session", Request], None]
NotificationHandler = Callable[["Session", Notification], None]


@dataclass
class _Pending:
    method: str
    future: asyncio.Future[Any]
    extra: dict[str, Any] = field(default_factory=dict)


class Session:
    """One msgpack-RPC peer on an asyncio stream.

    Incoming requests and notifications are handed to the callbacks synchronously, in arrival
    order; a callback that has slow work to do schedules it (the server starts a task per
    request), so one slow request never holds up the read loop -- that is what lets responses
    overtake each other.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        on_request: RequestHandler | None = None,
        on_notification: NotificationHandler | None = None,
        max_message_bytes: int = P.MAX_MESSAGE_BYTES,
        name: str = "peer",
        on_data: Callable[[Session], None] | None = None,
    ) -> None:
        self.reader = reader
        self.on_data = on_data
        """Called after each chunk read, e.g. to enforce a budget across sessions."""
        self.writer = writer
        self.on_request = on_request
        self.on_notification = on_notification
        self.max_message_bytes = max_message_bytes
        self.name = name
        self._decoder = FrameDecoder(max_message_bytes)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._closed = asyncio.get_running_loop().create_future()
        self.close_reason: str | None = None

    # -- state

    @property
    def buffered_bytes(self) -> int:
        """Memory this peer holds here: its unfinished input plus our unsent output."""
        backlog = 0
        with contextlib.suppress(Exception):
            backlog = self.writer.transport.get_write_buffer_size()
        return self._decoder.pending_bytes + backlog

    @property
    def closed(self) -> bool:
        return self._closed.done()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    # -- outgoing

    def _next_id(self) -> int:
        msgid = next(self._ids) % 2**32
        while msgid == 0 or msgid in self._pending:
            msgid = next(self._ids) % 2**32
        return msgid

    def start_request(
        self, method: str, params: dict[str, Any] | None = None
    ) -> tuple[int, asyncio.Future[Any]]:
        """Send a request now; return its msgid (to cancel it, or to match notifications that
        carry it) and the future its response will resolve."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.closed:
            future.set_exception(ConnectionLost(self.close_reason or "connection closed"))
            return 0, future
        msgid = self._next_id()
        self._pending[msgid] = _Pending(method, future)
        try:
            self._write([P.REQUEST, msgid, method, params or {}])
        except Exception as exc:
            self._pending.pop(msgid, None)
            if isinstance(exc, _TooLarge):  # the same error the other end would have sent
                exc = RPCError(P.MESSAGE_TOO_LARGE, str(exc))
            if not future.done():
                future.set_exception(exc)
        return msgid, future

    async def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        _, future = self.start_request(method, params)
        if timeout is None:
            return await future
        return await asyncio.wait_for(future, timeout)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> bool:
        """Send a notification; False when the connection is already gone (nothing to do)."""
        if self.closed:
            return False
        try:
            self._write([P.NOTIFICATION, method, params or {}])
        except Exception as exc:
            log.debug("%s: notification %s not sent: %s", self.name, method, exc)
            return False
        return True

    def respond(self, msgid: int, error: Any = None, result: Any = None) -> None:
        """Send a response. A result too big for the peer's bound becomes an error instead."""
        if self.closed:
            return
        try:
            self._write([P.RESPONSE, msgid, error, result])
        except _TooLarge as exc:
            self._write([P.RESPONSE, msgid, P.error_object(P.MESSAGE_TOO_LARGE, str(exc)), None])

    def _write(self, message: list[Any]) -> None:
        data = encode(message)
        if len(data) > self.max_message_bytes:
            raise _TooLarge(
                f"message of {len(data)} bytes is over the {self.max_message_bytes}-byte limit"
            )
        transport = self.writer.transport
        if transport.is_closing():
            raise ConnectionLost(self.close_reason or "connection closed")
        self.writer.write(data)
        backlog = transport.get_write_buffer_size()
        if backlog > MAX_WRITE_BACKLOG_FACTOR * self.max_message_bytes:
            self.close(f"peer stopped reading ({backlog} bytes unsent)")

    # -- incoming

    async def run(self) -> None:
        """Read and dispatch until the stream ends or breaks; always closes the session."""
        reason = "connection closed by peer"
        try:
            while not self.closed:
                data = await self.reader.read(READ_CHUNK)
                if not data:
                    break
                try:
                    for message in self._decoder.feed(data):
                        self._dispatch(message)
                except FrameError as exc:
                    reason = exc.reason
                    self._report_frame_error(exc)
                    break
                if self.on_data is not None:
                    self.on_data(self)
        except (ConnectionError, OSError) as exc:
            reason = f"connection error: {exc}"
        except asyncio.CancelledError:
            reason = "session cancelled"
            raise
        finally:
            self.close(reason)

    def _report_frame_error(self, exc: FrameError) -> None:
        log.warning("%s: closing connection: %s", self.name, exc.reason)
        if exc.msgid is not None:
            self.respond(exc.msgid, P.error_object(exc.code, exc.reason))
        else:
            self.notify(
                P.LOG, {"level": "error", "logger": "inkmod.rpc.session", "message": exc.reason}
            )

    def _dispatch(self, message: Message) -> None:
        if isinstance(message, Response):
            self._resolve(message)
        elif isinstance(message, Request):
            if self.on_request is None:
                self.respond(
                    message.msgid, P.error_object(P.METHOD_NOT_FOUND, "this end serves no methods")
                )
            else:
                self._guard(self.on_request, message)
        elif isinstance(message, Notification):
            if self.on_notification is not None:
                self._guard(self.on_notification, message)
        else:
            log.warning("%s: invalid message: %s", self.name, message.reason)
            if message.msgid is not None:
                self.respond(message.msgid, P.error_object(P.INVALID_REQUEST, message.reason))
            else:
                self.notify(
                    P.LOG,
                    {"level": "error", "logger": "inkmod.rpc.session", "message": message.reason},
                )

    def _guard(self, callback: Callable[[Session, Any], None], message: Any) -> None:
        """A buggy callback must not kill the read loop (and with it every pending request)."""
        try:
            callback(self, message)
        except Exception:
            log.exception("%s: handler for %r failed", self.name, message)
            if isinstance(message, Request):
                self.respond(
                    message.msgid, P.error_object(P.INTERNAL_ERROR, "internal error; see log")
                )

    def _resolve(self, response: Response) -> None:
        pending = self._pending.pop(response.msgid, None)
        if pending is None:
            log.debug("%s: response to unknown msgid %s ignored", self.name, response.msgid)
            return
        if pending.future.done():
            return
        if response.error is not None:
            pending.future.set_exception(RPCError.from_wire(response.error))
        else:
            pending.future.set_result(response.result)

    # -- teardown

    def close(self, reason: str = "closed") -> None:
        """Close the stream and fail every request still waiting (idempotent)."""
        if self.closed:
            return
        self.close_reason = reason
        self._closed.set_result(None)
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(
                    ConnectionLost(f"{reason} (while waiting for {item.method})")
                )
        with contextlib.suppress(Exception):  # already torn down
            self.writer.close()


class _TooLarge(ValueError):
    pass


async def open_session(
    path: str,
    *,
    on_request: RequestHandler | None = None,
    on_notification: NotificationHandler | None = None,
    max_message_bytes: int = P.MAX_MESSAGE_BYTES,
    name: str = "daemon",
) -> tuple[Session, asyncio.Task[None]]:
    """Connect to a unix socket and start reading; returns the session and its read task."""
    reader, writer = await asyncio.open_unix_connection(path, limit=READ_CHUNK)
    session = Session(
        reader,
        writer,
        on_request=on_request,
        on_notification=on_notification,
        max_message_bytes=max_message_bytes,
        name=name,
    )
    task = asyncio.create_task(session.run(), name=f"rpc-read-{name}")
    return session, task
