"""Talking to the daemon from ordinary (blocking) code: the CLI and the language server.

:func:`ensure_daemon` is the one entry point: it connects to the profile's daemon, starting it
if nothing answers, and returns a :class:`DaemonClient` whose methods block with timeouts.

Connecting tries ``hello`` first -- a compatible daemon answering is the common, fast path --
and only when nothing answers goes to :func:`inkmod.rpc.autostart.start_or_join`, which starts
the daemon correctly when many clients race (ten editor windows opening at once). The errors
live in :mod:`inkmod.rpc.errors` and are importable from here.

A daemon answering with another ``version`` or ``protocol`` is told to ``shutdown`` (the one
method every version keeps) and replaced; nothing else is said to it.

The client runs a private asyncio loop on a background thread with the same
:class:`~inkmod.rpc.session.Session` the daemon uses, so there is one implementation of the
protocol. When the daemon dies mid-request the waiting call raises :class:`DaemonInterrupted`
promptly -- after restarting the daemon when allowed -- instead of hanging; the next call simply
works again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import inkmod
from inkmod.paths import DEFAULT_PROFILE
from inkmod.rpc import protocol as P
from inkmod.rpc.autostart import StartOptions, start_or_join
from inkmod.rpc.errors import (
    DaemonError,
    DaemonInterrupted,
    DaemonNotRunning,
    DaemonRPCError,
    DaemonStartError,
    DaemonTimeout,
)
from inkmod.rpc.instance import (
    DaemonPaths,
    daemon_alive,
    remove_stale_socket,
    terminate,
    wait_until_gone,
)
from inkmod.rpc.security import peer_allowed
from inkmod.rpc.session import ConnectionLost, Notification, RPCError, Session, open_session

__all__ = [
    "DaemonClient",
    "DaemonError",
    "DaemonInterrupted",
    "DaemonNotRunning",
    "DaemonRPCError",
    "DaemonStartError",
    "DaemonTimeout",
    "PendingCall",
    "ensure_daemon",
    "stop_daemon",
]

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 30.0
"""Covers a cold start: Python start-up plus opening (or training) the profile is not awaited
-- the daemon answers ``hello`` before the profile is ready -- so this is generous."""
DEFAULT_REQUEST_TIMEOUT = 120.0
HELLO_TIMEOUT = 5.0

NotificationCallback = Callable[[str, dict[str, Any]], None]


# -- the private event loop ------------------------------------------------------------------------


class _LoopThread:
    """An asyncio loop on a daemon thread; blocking code submits coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="inkmod-daemon-client", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Any, timeout: float | None = None) -> Any:
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    @property
    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self) -> None:
        """Cancel what still runs on the loop (read loops, watchers), let the transports
        really close their sockets, then stop the thread."""
        if self.loop.is_closed() or not self._thread.is_alive():
            return
        if self.in_loop_thread:
            self.loop.stop()
            return
        with contextlib.suppress(Exception):
            self.run(self._drain(), timeout=2.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive():
            self.loop.close()

    @staticmethod
    async def _drain() -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # transports close their sockets on the next iteration


# -- calls -----------------------------------------------------------------------------------------


@dataclass
class _Listeners:
    """Per-request notification callbacks, keyed by notification method."""

    callbacks: dict[str, NotificationCallback]


class PendingCall:
    """A request in flight: wait for it, or cancel it."""

    def __init__(self, client: DaemonClient, method: str) -> None:
        self.client = client
        self.method = method
        self.msgid = 0
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.session: Session | None = None

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None) -> Any:
        """The result; raises :class:`RPCError`, :class:`DaemonTimeout` (after cancelling the
        request on the daemon) or :class:`DaemonInterrupted`."""
        try:
            return self.future.result(timeout)
        except concurrent.futures.TimeoutError:
            self.cancel()
            raise DaemonTimeout(
                f"{self.method} took longer than {timeout:g}s and was cancelled"
            ) from None
        except ConnectionLost as exc:
            raise self.client._interrupted(self.method, exc) from None

    def cancel(self) -> bool:
        """Ask the daemon to stop this request (it then fails with ``REQUEST_CANCELLED``)."""
        if self.future.done() or self.session is None or self.msgid == 0:
            return False
        try:
            reply = self.client._loop.run(
                self.session.request(P.CANCEL, {"id": self.msgid}), timeout=HELLO_TIMEOUT
            )
        except Exception:
            return False
        return bool(reply.get("cancelled")) if isinstance(reply, dict) else False


class DaemonClient:
    """A blocking client for one profile's daemon. Thread-safe.

    Notification callbacks run on a dedicated dispatcher thread, in arrival order, so they may
    take their time without stalling the connection. A request's own notifications (tokens of a
    rewrite, progress of a training run) are all delivered before its result is returned.
    """

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        *,
        samples: Path | str | None = None,
        backend: str | None = None,
        backend_options: Mapping[str, Any] | None = None,
        idle_timeout: float | None = None,
        spawn: bool = True,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        client_name: str = f"inkmod {inkmod.__version__}",
        daemon_args: Sequence[str] = (),
        on_interrupted: Callable[[str], None] | None = None,
    ) -> None:
        self.profile = profile
        self.paths = DaemonPaths.for_profile(profile)
        self.samples = samples
        self.backend = backend
        self.backend_options = dict(backend_options or {})
        self.idle_timeout = idle_timeout
        self.spawn = spawn
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.client_name = client_name
        self.daemon_args = tuple(daemon_args)
        self.on_interrupted = on_interrupted
        self._lost_lock = threading.Lock()
        self._last_lost: Session | None = None
        self.server_info: dict[str, Any] = {}
        self.started_daemon = False
        """True when this client spawned the daemon it is connected to."""
        self._loop = _LoopThread()
        self._session: Session | None = None
        self._closing = False
        self._connect_lock = threading.RLock()
        self._listeners: dict[str, list[NotificationCallback]] = {}
        self._request_listeners: dict[tuple[Session, int], _Listeners] = {}
        self._topics: list[str] = []
        self._watchers: set[asyncio.Future[None]] = set()
        self._dispatch: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="inkmod-daemon-notify", daemon=True
        )
        self._dispatcher.start()

    # -- context manager

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connecting -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._session is not None and not self._session.closed

    @property
    def pid(self) -> int | None:
        pid = self.server_info.get("pid")
        return pid if isinstance(pid, int) else None

    def connect(self) -> DaemonClient:
        """Connect (starting or replacing the daemon as needed); no-op when connected."""
        with self._connect_lock:
            if self.connected:
                return self
            deadline = time.monotonic() + self.connect_timeout
            session = self._attempt()
            if session is None:
                if not self.spawn and not daemon_alive(self.paths):
                    raise DaemonNotRunning(f"no daemon is running for profile {self.profile!r}")
                session, started = start_or_join(
                    self.paths, self._start_options(), self._attempt, deadline
                )
                self.started_daemon = self.started_daemon or started
            self._session = session
            if self._topics:
                self._call_on(session, P.SUBSCRIBE, {"topics": self._topics}, HELLO_TIMEOUT)
            return self

    def _start_options(self) -> StartOptions:
        return StartOptions(
            profile=self.profile,
            samples=self.samples,
            backend=self.backend,
            backend_options=self.backend_options,
            idle_timeout=self.idle_timeout,
            daemon_args=self.daemon_args,
            spawn=self.spawn,
            connect_timeout=self.connect_timeout,
        )

    def _attempt(self) -> Session | None:
        """One connect + hello. Returns a compatible session, None when nothing answers;
        an incompatible daemon is retired (and None returned)."""
        found = self._loop.run(self._open(), timeout=HELLO_TIMEOUT + 1.0)
        if found is None:
            return None
        session, hello = found
        if self._compatible(hello):
            self.server_info = hello
            return session
        self._retire(session, hello)
        return None

    def _compatible(self, hello: Any) -> bool:
        return (
            isinstance(hello, dict)
            and hello.get("server") == P.SERVER_NAME
            and hello.get("version") == inkmod.__version__
            and hello.get("protocol") == P.PROTOCOL_VERSION
        )

    def _retire(self, session: Session, hello: Any) -> None:
        """Tell an incompatible daemon to exit and wait until it has."""
        info = hello if isinstance(hello, dict) else {}
        log.warning(
            "daemon pid %s runs version %s / protocol %s; we are %s / %s: restarting it",
            info.get("pid"),
            info.get("version"),
            info.get("protocol"),
            inkmod.__version__,
            P.PROTOCOL_VERSION,
        )
        with contextlib.suppress(Exception):
            self._call_on(session, P.SHUTDOWN, {}, HELLO_TIMEOUT)
        with contextlib.suppress(Exception):
            self._loop.run(_close_session(session, "retired"), timeout=2.0)
        if not wait_until_gone(self.paths, 10.0):
            pid = info.get("pid")
            if not terminate(self.paths, pid if isinstance(pid, int) else None):
                raise DaemonStartError(
                    f"could not stop the old daemon for profile {self.profile!r} (pid {pid})"
                )

    async def _open(self) -> tuple[Session, Any] | None:
        try:
            session, _task = await asyncio.wait_for(
                open_session(
                    str(self.paths.socket), on_notification=self._on_notification, name="daemon"
                ),
                HELLO_TIMEOUT,
            )
        except (OSError, asyncio.TimeoutError):
            return None
        sock = session.writer.get_extra_info("socket")
        allowed, creds = peer_allowed(sock) if sock is not None else (True, None)
        if not allowed:
            session.close("served by another user")
            raise DaemonError(
                f"{self.paths.socket} is served by uid {creds.uid if creds else '?'}, not by you; "
                "refusing to talk to it (check XDG_RUNTIME_DIR/INKMOD_HOME)"
            )
        try:
            hello = await session.request(
                P.HELLO,
                {
                    "client": self.client_name,
                    "version": inkmod.__version__,
                    "protocol": P.PROTOCOL_VERSION,
                },
                timeout=HELLO_TIMEOUT,
            )
        except (ConnectionLost, RPCError, asyncio.TimeoutError, OSError):
            session.close("hello failed")
            return None
        watch = asyncio.ensure_future(self._watch(session))
        self._watchers.add(watch)
        watch.add_done_callback(self._watchers.discard)
        return session, hello

    async def _watch(self, session: Session) -> None:
        """Report a daemon that goes away on its own (not a connection we closed)."""
        await session.wait_closed()
        if self._closing or session is not self._session:
            return
        self._report_lost(session, session.close_reason or "connection lost")

    def _report_lost(self, session: Session | None, reason: str) -> None:
        """Tell the user once per lost connection, whichever path noticed first.

        Both the connection watcher and a request that failed with the connection can notice;
        the request path may already have replaced the session, so each reports, deduplicated.
        """
        with self._lost_lock:
            if session is None or session is self._last_lost:
                return
            self._last_lost = session
        log.warning("lost the daemon for profile %r: %s", self.profile, reason)
        if self.on_interrupted is not None:
            self._dispatch.put((self.on_interrupted, (reason,)))

    def _interrupted(self, method: str, exc: BaseException) -> DaemonInterrupted:
        """Build the error for a request whose connection died, restarting the daemon first."""
        restarted = False
        detail = ""
        if not self._closing and self.spawn:
            try:
                with self._connect_lock:
                    if not self.connected:
                        lost, self._session = self._session, None
                        self._report_lost(lost, str(exc) or "connection lost")
                        self.connect()
                restarted = True
                detail = f"; a new daemon is running (pid {self.pid}), retry the request"
            except DaemonError as restart_error:
                detail = f"; restarting it failed: {restart_error}"
        return DaemonInterrupted(
            f"the daemon for profile {self.profile!r} stopped while handling {method} "
            f"({exc}){detail}",
            restarted,
        )

    def close(self) -> None:
        """Disconnect (the daemon keeps running for other clients until its idle timeout)."""
        self._closing = True
        session, self._session = self._session, None
        if session is not None and not self._loop.loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.run(_close_session(session, "client closed"), timeout=2.0)
        self._loop.stop()
        self._dispatch.put(None)

    # -- notifications ----------------------------------------------------------------------------

    def on(self, method: str, callback: NotificationCallback) -> Callable[[], None]:
        """Call ``callback(method, params)`` for every ``method`` notification; returns an
        unsubscribe function. ``profile.changed`` and ``log`` also need :meth:`subscribe`."""
        self._listeners.setdefault(method, []).append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.get(method, []).remove(callback)

        return remove

    def subscribe(self, topics: Sequence[str] = (P.TOPIC_PROFILE,)) -> list[str]:
        """Ask for broadcast notifications; re-sent automatically after a reconnect."""
        self._topics = list(topics)
        result = self.call(P.SUBSCRIBE, {"topics": self._topics})
        return list(result.get("topics", []))

    def _on_notification(self, session: Session, note: Notification) -> None:
        """Runs on the loop thread: choose the callbacks now (so a request's listeners are
        known before its first notification can be read), run them on the dispatcher."""
        targets = list(self._listeners.get(note.method, ()))
        request_id = note.params.get("id")
        if isinstance(request_id, int):
            listeners = self._request_listeners.get((session, request_id))
            if listeners is not None and note.method in listeners.callbacks:
                targets.append(listeners.callbacks[note.method])
        for callback in targets:
            self._dispatch.put((callback, (note.method, note.params)))

    def _dispatch_loop(self) -> None:
        while True:
            item = self._dispatch.get()
            if item is None:
                return
            fn, args = item
            try:
                fn(*args)
            except Exception:
                log.exception("notification callback %r failed", fn)

    # -- requests ---------------------------------------------------------------------------------

    def _current_session(self) -> Session:
        if self._closing:
            raise DaemonError("client is closed")
        if not self.connected:
            self.connect()
        assert self._session is not None
        return self._session

    def start(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        listeners: dict[str, NotificationCallback] | None = None,
    ) -> PendingCall:
        """Send a request and return at once; ``listeners`` receive notifications that carry
        this request's msgid (``rewrite.token`` ...)."""
        session = self._current_session()
        pending = PendingCall(self, method)
        pending.session = session

        async def send() -> int:
            msgid, future = session.start_request(method, params)
            key = (session, msgid)
            if listeners:
                self._request_listeners[key] = _Listeners(dict(listeners))

            def finished(fut: asyncio.Future[Any]) -> None:
                self._request_listeners.pop(key, None)
                if listeners:
                    # Through the dispatcher: the caller sees the result only after every
                    # notification that arrived before it was delivered.
                    self._dispatch.put((_transfer, (fut, pending.future)))
                else:
                    _transfer(fut, pending.future)

            future.add_done_callback(finished)
            return msgid

        pending.msgid = self._loop.run(send(), timeout=HELLO_TIMEOUT)
        return pending

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = -1.0,
        listeners: dict[str, NotificationCallback] | None = None,
    ) -> Any:
        """Send a request and wait for its result (``timeout=-1``: the client's default;
        None: wait forever)."""
        wait = self.request_timeout if timeout is not None and timeout < 0 else timeout
        return self.start(method, params, listeners=listeners).result(wait)

    def _call_on(
        self, session: Session, method: str, params: dict[str, Any], timeout: float
    ) -> Any:
        return self._loop.run(session.request(method, params, timeout=timeout), timeout + 1.0)

    # -- the methods ------------------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            P.HELLO,
            {
                "client": self.client_name,
                "version": inkmod.__version__,
                "protocol": P.PROTOCOL_VERSION,
            },
        )
        return result

    def status(self, timeout: float | None = -1.0) -> dict[str, Any]:
        result: dict[str, Any] = self.call(P.STATUS, {}, timeout=timeout)
        return result

    def analyze(
        self,
        text: str | None = None,
        *,
        blocks: Sequence[P.Block] | None = None,
        fmt: str | None = None,
        threshold: float | None = None,
        ignored: Sequence[str] = (),
        timeout: float | None = -1.0,
    ) -> dict[str, Any]:
        """Drift reports for a document ``text``, or for ``blocks`` the caller extracted
        (each report then carries ``index`` and the block's ``hash``): the wire form of
        :class:`~inkmod.rpc.protocol.AnalyzeResult`."""
        params = P.AnalyzeParams(
            blocks=list(blocks) if blocks is not None else None,
            text=text,
            fmt=fmt,
            threshold=threshold,
            ignored=list(ignored),
        )
        result: dict[str, Any] = self.call(P.ANALYZE, params.to_wire(), timeout=timeout)
        return result

    def rewrite(
        self,
        text: str,
        *,
        kind: str | None = None,
        k: int = 1,
        fmt: str | None = None,
        only_drifting: bool = False,
        threshold: float | None = None,
        on_token: Callable[[int, int, str], None] | None = None,
        on_candidate: Callable[[dict[str, Any]], None] | None = None,
        timeout: float | None = -1.0,
    ) -> dict[str, Any]:
        """Rewrite ``text`` in the profile's style: the wire form of
        :class:`~inkmod.rpc.protocol.RewriteResult` (with ``kind``, ``text`` is one block's
        source). ``on_token(paragraph, candidate, piece)`` and ``on_candidate(dict)`` receive
        the stream; all of it is delivered before this returns."""
        pending = self.start_rewrite(
            text,
            kind=kind,
            k=k,
            fmt=fmt,
            only_drifting=only_drifting,
            threshold=threshold,
            on_token=on_token,
            on_candidate=on_candidate,
        )
        wait = self.request_timeout if timeout is not None and timeout < 0 else timeout
        result: dict[str, Any] = pending.result(wait)
        return result

    def start_rewrite(
        self,
        text: str,
        *,
        kind: str | None = None,
        k: int = 1,
        fmt: str | None = None,
        only_drifting: bool = False,
        threshold: float | None = None,
        on_token: Callable[[int, int, str], None] | None = None,
        on_candidate: Callable[[dict[str, Any]], None] | None = None,
    ) -> PendingCall:
        """Like :meth:`rewrite` but returns a :class:`PendingCall` (to cancel it)."""
        listeners: dict[str, NotificationCallback] = {}
        if on_token is not None:
            token_cb = on_token
            listeners[P.REWRITE_TOKEN] = lambda _m, p: token_cb(
                int(p.get("paragraph", 0)), int(p["candidate"]), str(p["text"])
            )
        if on_candidate is not None:
            candidate_cb = on_candidate
            listeners[P.REWRITE_CANDIDATE] = lambda _m, p: candidate_cb(p)
        params = P.RewriteParams(
            text=text,
            kind=kind,
            k=k,
            fmt=fmt,
            only_drifting=only_drifting,
            threshold=threshold,
            stream=on_token is not None,
        )
        return self.start(P.REWRITE, params.to_wire(), listeners=listeners)

    def train(
        self,
        samples: Path | str | None = None,
        *,
        on_progress: Callable[[int, int, str], None] | None = None,
        timeout: float | None = None,
        iterations: int = 0,
        prompts: list[str] | None = None,
        teacher: dict[str, str] | None = None,
        on_loop_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Rebuild the profile; with ``iterations`` > 0, then run the teacher loop on the
        daemon's model (``teacher=None``: the drift score is the critic)."""

        def on_notification(_method: str, params: dict[str, Any]) -> None:
            if params.get("loop") is not None:
                if on_loop_progress is not None:
                    on_loop_progress(params["loop"])
            elif on_progress is not None:
                on_progress(int(params["done"]), int(params["total"]), str(params["file"]))

        listeners: dict[str, NotificationCallback] = {P.TRAIN_PROGRESS: on_notification}
        params: dict[str, Any] = {"samples": str(samples)} if samples is not None else {}
        if iterations:
            params.update(iterations=iterations, prompts=list(prompts or []), teacher=teacher)
        result: dict[str, Any] = self.call(P.TRAIN, params, timeout=timeout, listeners=listeners)
        return result

    def profile_get(self, documents: bool = True, figures: bool = False) -> dict[str, Any]:
        params = P.ProfileGetParams(documents=documents, figures=figures)
        result: dict[str, Any] = self.call(P.PROFILE_GET, params.to_wire())
        return result

    def profile_reload(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call(P.PROFILE_RELOAD, {})
        return result

    def shutdown(self, wait: float = 10.0) -> bool:
        """Stop the daemon; True once it has exited (its instance lock is free)."""
        session = self._current_session()
        self._session = None  # its closing is expected: not an interruption
        with contextlib.suppress(ConnectionLost, RPCError, DaemonError, TimeoutError):
            self._call_on(session, P.SHUTDOWN, {}, HELLO_TIMEOUT)
        with contextlib.suppress(Exception):
            self._loop.run(_close_session(session, "shutdown"), timeout=2.0)
        return wait_until_gone(self.paths, wait)


async def _close_session(session: Session, reason: str) -> None:
    session.close(reason)
    with contextlib.suppress(Exception):
        await session.writer.wait_closed()


def _transfer(source: asyncio.Future[Any], target: concurrent.futures.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.set_exception(ConnectionLost("request abandoned"))
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


def ensure_daemon(
    profile: str = DEFAULT_PROFILE,
    samples: Path | str | None = None,
    backend: str | None = None,
    *,
    backend_options: Mapping[str, Any] | None = None,
    idle_timeout: float | None = None,
    spawn: bool = True,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    client_name: str = f"inkmod {inkmod.__version__}",
    daemon_args: Sequence[str] = (),
    on_interrupted: Callable[[str], None] | None = None,
) -> DaemonClient:
    """A connected client for ``profile``'s daemon, starting the daemon if needed.

    ``samples``, ``backend``, ``backend_options`` and ``idle_timeout`` are used only when a
    daemon has to be started; a running compatible daemon is used as it is
    (``client.server_info`` says how it runs).
    """
    client = DaemonClient(
        profile,
        samples=samples,
        backend=backend,
        backend_options=backend_options,
        idle_timeout=idle_timeout,
        spawn=spawn,
        connect_timeout=connect_timeout,
        request_timeout=request_timeout,
        client_name=client_name,
        daemon_args=daemon_args,
        on_interrupted=on_interrupted,
    )
    try:
        return client.connect()
    except BaseException:
        client.close()
        raise


def stop_daemon(profile: str = DEFAULT_PROFILE, timeout: float = 10.0) -> bool | None:
    """Stop ``profile``'s daemon: politely over the socket, else SIGTERM/SIGKILL by pid.

    Returns None when none was running, True when it stopped, False when it would not.
    """
    dpaths = DaemonPaths.for_profile(profile)
    if not daemon_alive(dpaths):
        remove_stale_socket(dpaths)
        return None
    try:
        client = DaemonClient(profile, spawn=False, connect_timeout=HELLO_TIMEOUT)
        try:
            # Any version: shutdown is stable, so talk to it even if incompatible.
            found = client._loop.run(client._open(), timeout=HELLO_TIMEOUT + 1.0)
            if found is not None:
                session, _hello = found
                with contextlib.suppress(Exception):
                    client._call_on(session, P.SHUTDOWN, {}, HELLO_TIMEOUT)
        finally:
            client.close()
        if wait_until_gone(dpaths, timeout):
            return True
    except DaemonError:
        pass
    return terminate(dpaths, None)
