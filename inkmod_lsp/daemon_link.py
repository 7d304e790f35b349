"""The server's connection to the profile's daemon: start or join it, and say when it cannot.

Why a link object instead of calling :func:`ensure_daemon` where needed: the server must always
be able to answer "can I rewrite right now, and if not, why?" instantly (code actions are listed
in milliseconds), so the daemon's state and the reason it is unavailable are kept here, updated
from the background thread that connects. Every call into :class:`DaemonClient` blocks; the
server runs them on worker threads. Notifications from the daemon arrive on the client's
dispatcher thread and are handed to the server's event loop by the callbacks given here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import inkmod

if TYPE_CHECKING:
    from inkmod.rpc.client import DaemonClient, PendingCall

log = logging.getLogger(__name__)

CLIENT_NAME = f"inkmod-lsp {inkmod.__version__}"
CONNECT_TIMEOUT = 30.0
ANALYZE_TIMEOUT = 30.0


class LinkState(str, Enum):
    DISABLED = "disabled"
    """The ``daemon`` setting is false."""
    STARTING = "starting"
    READY = "ready"
    UNAVAILABLE = "unavailable"
    """It could not be started or joined; :attr:`DaemonLink.reason` says why."""


@dataclass(frozen=True)
class DaemonOptions:
    """What the daemon is started with (only used when no compatible daemon is running)."""

    profile: str
    samples: Path | None
    backend: str | None
    preload: bool


class DaemonLink:
    """Start/join, restart and talk to one profile's daemon. Thread-safe."""

    def __init__(
        self,
        on_profile_changed: Callable[[dict[str, Any]], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self.state = LinkState.STARTING
        self.reason: str | None = None
        self.client: DaemonClient | None = None
        self.options: DaemonOptions | None = None
        self._on_profile_changed = on_profile_changed
        self._on_lost = on_lost
        self._lock = threading.RLock()

    # -- state --------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.state is LinkState.READY and self.client is not None

    def unavailable_reason(self) -> str | None:
        """Why rewriting cannot run now, in words for a code action title; None when it can."""
        if self.ready:
            return None
        if self.state is LinkState.DISABLED:
            return "the InkMod daemon is turned off (setting inkmod.daemon)"
        if self.state is LinkState.STARTING:
            return "the InkMod daemon is still starting"
        return f"the InkMod daemon is unavailable: {self.reason or 'unknown error'}"

    def disable(self) -> None:
        self.close()
        with self._lock:
            self.state, self.reason = LinkState.DISABLED, None

    # -- connecting -----------------------------------------------------------------------------

    def connect(self, options: DaemonOptions) -> bool:
        """Start or join the daemon (blocking; run on a worker thread). True when connected.

        A running daemon started with another backend is restarted when ``options.backend``
        names one explicitly: the setting must take effect, even though other windows share
        the daemon (they reconnect on their own).
        """
        from inkmod.rpc.client import ensure_daemon
        from inkmod.rpc.protocol import PROFILE_CHANGED, TOPIC_PROFILE

        with self._lock:
            self._close_client()
            self.options = options
            self.state, self.reason = LinkState.STARTING, None
            args = ["--preload"] if options.preload else []
            try:
                client = ensure_daemon(
                    options.profile,
                    samples=options.samples,
                    backend=options.backend,
                    connect_timeout=CONNECT_TIMEOUT,
                    client_name=CLIENT_NAME,
                    daemon_args=args,
                    on_interrupted=self._interrupted,
                )
                running = client.server_info.get("backend")
                if options.backend and running and running != options.backend:
                    log.info(
                        "daemon runs backend %s, settings ask for %s: restarting it",
                        running,
                        options.backend,
                    )
                    client.shutdown()
                    client.close()
                    client = ensure_daemon(
                        options.profile,
                        samples=options.samples,
                        backend=options.backend,
                        connect_timeout=CONNECT_TIMEOUT,
                        client_name=CLIENT_NAME,
                        daemon_args=args,
                        on_interrupted=self._interrupted,
                    )
                client.on(PROFILE_CHANGED, lambda _m, params: self._on_profile_changed(params))
                client.subscribe([TOPIC_PROFILE])
            except Exception as exc:  # every failure means the same thing: work without it
                log.warning("cannot use the daemon for profile %r: %s", options.profile, exc)
                self.state, self.reason = (
                    LinkState.UNAVAILABLE,
                    _first_line(str(exc)) or type(exc).__name__,
                )
                return False
            self.client = client
            self.state = LinkState.READY
            log.info(
                "connected to daemon pid %s (backend %s, started by us: %s)",
                client.pid,
                client.server_info.get("backend"),
                client.started_daemon,
            )
            return True

    def restart(self, options: DaemonOptions | None = None) -> bool:
        """Stop the daemon (politely, through the socket or its pid) and start a fresh one."""
        from inkmod.rpc.client import stop_daemon

        with self._lock:
            options = options or self.options
            if options is None:
                return False
            client, self.client = self.client, None
            if client is not None:
                with contextlib.suppress(Exception):
                    client.shutdown()
                with contextlib.suppress(Exception):
                    client.close()
            with contextlib.suppress(Exception):
                stop_daemon(options.profile)
            return self.connect(options)

    def _interrupted(self, reason: str) -> None:
        """The daemon went away on its own. The client reconnects (starting a new daemon) on
        the next call; the server is told so it can say so and re-check."""
        log.warning("lost the daemon: %s", reason)
        self._on_lost(reason)

    def reconnected(self) -> None:
        """The client is connected again (to a daemon it restarted)."""
        with self._lock:
            if self.client is not None:
                self.state, self.reason = LinkState.READY, None

    def mark_failed(self, reason: str) -> None:
        """A call failed in a way that means the daemon is not usable right now."""
        with self._lock:
            self.state, self.reason = LinkState.UNAVAILABLE, reason

    def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def close(self) -> None:
        """Disconnect; the daemon keeps running for other clients until its idle timeout."""
        with self._lock:
            self._close_client()

    # -- calls (blocking) -------------------------------------------------------------------------

    def require(self) -> DaemonClient:
        client = self.client
        if client is None or not self.ready:
            raise DaemonUnavailable(self.unavailable_reason() or "the daemon is not connected")
        return client

    def status(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.require().status(timeout=timeout)

    def start_rewrite(
        self,
        text: str,
        *,
        kind: str | None,
        k: int,
        fmt: str,
        on_token: Callable[[int, int, str], None],
        on_candidate: Callable[[dict[str, Any]], None],
    ) -> PendingCall:
        return self.require().start_rewrite(
            text, kind=kind, k=k, fmt=fmt, on_token=on_token, on_candidate=on_candidate
        )

    def start_train(
        self, samples: Path | None, on_progress: Callable[[int, int, str], None]
    ) -> PendingCall:
        from inkmod.rpc.protocol import TRAIN, TRAIN_PROGRESS

        params = {"samples": str(samples)} if samples is not None else {}
        return self.require().start(
            TRAIN,
            params,
            listeners={
                TRAIN_PROGRESS: lambda _m, p: on_progress(
                    int(p.get("done", 0)), int(p.get("total", 0)), str(p.get("file", ""))
                )
            },
        )

    def start_tune(
        self, max_minutes: float | None, on_progress: Callable[[dict[str, Any]], None]
    ) -> PendingCall:
        """Train the personal model in the daemon; ``tune.progress`` bodies go to
        ``on_progress``."""
        from inkmod.rpc.protocol import TUNE, TUNE_PROGRESS, TuneParams

        return self.require().start(
            TUNE,
            TuneParams(max_minutes=max_minutes).to_wire(),
            listeners={TUNE_PROGRESS: lambda _m, p: on_progress(p)},
        )


class DaemonUnavailable(RuntimeError):
    """Raised by :meth:`DaemonLink.require`; the message is meant for the user."""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def describe_rpc_error(exc: BaseException) -> tuple[int | None, str]:
    """``(code, message)`` of a daemon error, for messages and for mapping to LSP errors."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return (code if isinstance(code, int) else None), _first_line(str(message))


T = TypeVar("T")


class RunsIO(Protocol):
    """The server, as far as :func:`wait_for_daemon` needs it."""

    def in_io(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]: ...


async def wait_for_daemon(ls: RunsIO, pending: PendingCall) -> Any:
    """Await a daemon request; if the awaiting task is cancelled, cancel it in the daemon too,
    and a request the daemon cancelled (``REQUEST_CANCELLED``) raises ``CancelledError`` here.

    Not ``asyncio.wrap_future``: cancelling that would cancel the local future first, and a
    request whose local future is already done can no longer be cancelled in the daemon.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Any] = loop.create_future()

    def copy(source: concurrent.futures.Future[Any]) -> None:
        if waiter.done():
            return
        if source.cancelled():
            waiter.cancel()
        elif source.exception() is not None:
            waiter.set_exception(source.exception())  # type: ignore[arg-type]
        else:
            waiter.set_result(source.result())

    pending.future.add_done_callback(lambda f: loop.call_soon_threadsafe(copy, f))
    try:
        return await waiter
    except asyncio.CancelledError:
        await asyncio.shield(ls.in_io(pending.cancel))
        raise
    except Exception as exc:
        from inkmod.rpc.protocol import REQUEST_CANCELLED

        if describe_rpc_error(exc)[0] == REQUEST_CANCELLED:
            raise asyncio.CancelledError() from exc
        raise
