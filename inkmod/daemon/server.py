"""The daemon process: one per profile, serving msgpack-RPC on a private unix socket.

Threads and the event loop, and why:

* the **event loop** accepts connections, reads and writes frames, answers the cheap methods
  (``hello``, ``status``, ``cancel``, ``subscribe``, ``shutdown``) and debounces file events.
  Nothing slow ever runs on it, so a request is always read and a cancel always lands.
* the **analysis pool** runs ``analyze`` and profile reads; the watcher's refreshes run on their
  own single thread. These are short (milliseconds) and must stay short while...
* the **generation pool** runs ``rewrite`` and ``train``. A rewrite holds the model for seconds;
  because it lives on another pool, diagnostics keep flowing while the model generates.

A request runs as a task that owns a cancel :class:`threading.Event`. ``cancel`` sets it, the
client disconnecting sets it (nobody is left to read the answer), and shutdown sets them all; the
handler sees it between tokens/files and stops. The cancelled request is answered at once with
``REQUEST_CANCELLED`` -- the client never waits for the thread to notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import inkmod
from inkmod.daemon.handlers import (
    HANDLERS,
    BackendHolder,
    Cancelled,
    Engine,
    HandlerError,
    HandlerSpec,
    RequestContext,
    call,
    default_backend_name,
)
from inkmod.daemon.logs import CallbackHandler
from inkmod.daemon.store import ChangeSet, ProfileStore
from inkmod.daemon.watcher import DEFAULT_DEBOUNCE, SamplesWatcher
from inkmod.paths import DEFAULT_PROFILE
from inkmod.rpc import protocol as P
from inkmod.rpc.instance import DEFAULT_IDLE_TIMEOUT, DaemonPaths, InstanceLock
from inkmod.rpc.security import SOCKET_MODE, peer_allowed, private_umask
from inkmod.rpc.session import READ_CHUNK, Notification, Request, Session

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 3.0
"""Seconds running requests get to notice their cancel event before the process exits."""
MAX_BUFFERED_TOTAL = 64 * 1024 * 1024
"""Bytes all connections together may hold in the daemon (unfinished frames plus unsent
output). Each connection is bounded on its own too, but a hundred of them each holding half a
frame would still take hundreds of MB; past this total the biggest holders are dropped."""
REFRESH_GRACE = 30.0
"""Seconds a profile refresh (or the first training) in progress gets to finish and persist."""


@dataclass
class DaemonConfig:
    profile: str = DEFAULT_PROFILE
    samples: Path | None = None
    backend: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    """Passed to ``create_backend`` (``threads``, ``context_length`` ...)."""
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    """Seconds without any client before the daemon exits; 0 or less: never."""
    debounce: float = DEFAULT_DEBOUNCE
    max_message_bytes: int = P.MAX_MESSAGE_BYTES
    max_buffered_bytes: int = MAX_BUFFERED_TOTAL
    preload: bool = False
    """Load the model right after start-up instead of on the first rewrite."""
    generation_workers: int = 4
    analysis_workers: int = 2


@dataclass
class Job:
    msgid: int
    method: str
    cancel: threading.Event = field(default_factory=threading.Event)
    responded: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class Connection:
    id: int
    session: Session
    pid: int | None
    connected: float = field(default_factory=time.time)
    client: str | None = None
    topics: set[str] = field(default_factory=set)
    jobs: dict[int, Job] = field(default_factory=dict)


def memory_rss() -> int | None:
    """Resident memory of this process in bytes (psutil, else /proc)."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:
        pass
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class Daemon:
    """Everything one daemon process owns; :meth:`run` serves until shutdown."""

    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        self.paths = DaemonPaths.for_profile(config.profile)
        self.lock = InstanceLock(self.paths)
        self.store = ProfileStore(config.profile, self.paths.manifest, config.samples)
        self.backend = BackendHolder(
            config.backend or default_backend_name(), config.backend_options
        )
        self.engine = Engine(self.store, self.backend, self._profile_event_from_thread)
        self.started = time.time()
        self.connections: dict[Session, Connection] = {}
        self._conn_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_reason = ""
        self._closing = False
        self._idle_handle: asyncio.TimerHandle | None = None
        self._profile_ready: asyncio.Event | None = None
        self._socket_inode: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._analysis = ThreadPoolExecutor(config.analysis_workers, thread_name_prefix="analysis")
        self._generation = ThreadPoolExecutor(
            config.generation_workers, thread_name_prefix="generation"
        )
        self._refresh = ThreadPoolExecutor(1, thread_name_prefix="refresh")
        self.watcher: SamplesWatcher | None = None
        self._log_handler: CallbackHandler | None = None

    # -- running --------------------------------------------------------------------------------

    async def run(self) -> int:
        """Serve until shutdown; returns the process exit code."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._profile_ready = asyncio.Event()
        self.lock.acquire()
        try:
            server = await self._listen()
        except BaseException:
            self.lock.release()
            raise
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self.request_shutdown, sig.name)
            with contextlib.suppress(ValueError, OSError):
                self._loop.add_signal_handler(signal.SIGHUP, lambda: None)
            self._write_instance_info()
            self._install_log_forwarding()
            log.info(
                "daemon %s (protocol %s) pid %d serving profile %r on %s",
                inkmod.__version__,
                P.PROTOCOL_VERSION,
                os.getpid(),
                self.config.profile,
                self.paths.socket,
            )
            self._spawn(self._open_profile())
            self._arm_idle_timer()
            await self._stop.wait()
            log.info("shutting down: %s", self._stop_reason)
        finally:
            await self._teardown(server)
        return 0

    async def _listen(self) -> asyncio.AbstractServer:
        self.paths.prepare()
        with contextlib.suppress(FileNotFoundError):
            self.paths.socket.unlink()  # we hold the instance lock: any socket there is stale
        with private_umask():
            server = await asyncio.start_unix_server(
                self._on_connect, path=str(self.paths.socket), limit=READ_CHUNK
            )
        os.chmod(self.paths.socket, SOCKET_MODE)
        self._socket_inode = os.stat(self.paths.socket).st_ino
        return server

    def _write_instance_info(self) -> None:
        self.lock.write(
            {
                "pid": os.getpid(),
                "version": inkmod.__version__,
                "protocol": P.PROTOCOL_VERSION,
                "profile": self.config.profile,
                "socket": str(self.paths.socket),
                "started": self.started,
                "backend": self.backend.name,
                "samples": str(self.config.samples) if self.config.samples else None,
            }
        )

    def _install_log_forwarding(self) -> None:
        """Forward log records to connections subscribed to the ``log`` topic."""
        loop = self._loop
        assert loop is not None

        def emit(record: logging.LogRecord, message: str) -> None:
            params = {"level": record.levelname.lower(), "logger": record.name, "message": message}
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(self._broadcast, P.TOPIC_LOG, P.LOG, params)

        self._log_handler = CallbackHandler(emit, logging.INFO)
        self._log_handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger().addHandler(self._log_handler)

    async def _open_profile(self) -> None:
        assert self._loop is not None and self._profile_ready is not None
        try:
            changes = await self._loop.run_in_executor(self._refresh, self.store.open)
        except Exception:
            log.exception("opening profile %r failed", self.config.profile)
            self.store.error = self.store.error or "opening the profile failed; see the log"
            changes = ChangeSet()
        finally:
            self._profile_ready.set()
        if self.store.error:
            log.warning("no usable profile: %s", self.store.error)
        else:
            log.info(
                "profile %r ready: %d documents (%d re-read at start-up), samples %s",
                self.config.profile,
                self.store.document_count(),
                len(changes.changed) + len(changes.removed),
                self.store.samples_dir,
            )
        self.watcher = SamplesWatcher(
            self.store,
            executor=self._refresh,
            on_changes=self._on_profile_changes,
            on_folder_state=self._on_folder_state,
            debounce=self.config.debounce,
        )
        self.watcher.start(self.store.samples_dir if self.store.profile is not None else None)
        self.watcher.schedule_settle()  # start-up may have re-read changed files
        if self.store.profile is not None:
            await self._loop.run_in_executor(self._refresh, self._refresh_adapter, False)
        if self.config.preload and self.store.profile is not None:
            self._spawn(self._preload())

    def _refresh_adapter(self, samples_changed: bool) -> None:
        """Apply the personal adapter that is valid now; never let it stop the daemon."""
        try:
            self.engine.refresh_adapter(samples_changed)
        except Exception:
            log.exception("checking the personal adapter failed; rewriting without it")

    async def _preload(self) -> None:
        assert self._loop is not None
        try:
            await self._loop.run_in_executor(self._generation, self.backend.get)
        except HandlerError as exc:
            log.error("preloading backend %s failed: %s", self.backend.name, exc.message)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- shutdown -------------------------------------------------------------------------------

    def request_shutdown(self, reason: str = "requested") -> None:
        if self._stop is not None and not self._stop.is_set():
            self._stop_reason = reason
            self._closing = True
            self._stop.set()

    async def _teardown(self, server: asyncio.AbstractServer) -> None:
        self._closing = True
        if self._idle_handle is not None:
            self._idle_handle.cancel()
        server.close()
        jobs = [job for conn in self.connections.values() for job in conn.jobs.values()]
        for job in jobs:
            job.cancel.set()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while any(conn.jobs for conn in self.connections.values()):
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.02)
        for conn in list(self.connections.values()):
            conn.session.close("daemon shutting down")
        if self.watcher is not None:
            await self.watcher.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
        self._remove_socket()
        if self.engine.personal is not None:
            self.engine.personal.close()  # a training run stops at its next step, checkpointed
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(loop.run_in_executor(None, self.backend.close), 5.0)
        # Let a refresh or first training in progress finish, then recalibrate and write what
        # is not on disk yet: throwing it away would make the next start do it all again.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                loop.run_in_executor(self._refresh, self.store.settle), REFRESH_GRACE
            )
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                loop.run_in_executor(None, self._refresh.shutdown, True), REFRESH_GRACE
            )
        for pool in (self._analysis, self._generation):
            pool.shutdown(wait=False, cancel_futures=True)
        self.lock.release()
        log.info("daemon stopped")

    def _remove_socket(self) -> None:
        """Unlink the socket only if it is still the one we bound (never a successor's)."""
        try:
            if os.stat(self.paths.socket).st_ino == self._socket_inode:
                self.paths.socket.unlink()
        except FileNotFoundError:
            pass

    # -- idle -----------------------------------------------------------------------------------

    def _arm_idle_timer(self) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        if self.connections or self.config.idle_timeout <= 0 or self._loop is None:
            return
        self._idle_handle = self._loop.call_later(self.config.idle_timeout, self._idle_expired)

    def _idle_expired(self) -> None:
        self._idle_handle = None
        if not self.connections:
            self.request_shutdown(f"no client for {self.config.idle_timeout:g}s")

    # -- connections ----------------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        allowed, creds = peer_allowed(sock) if sock is not None else (True, None)
        if not allowed:
            log.warning(
                "refused a connection from uid %s (pid %s): only uid %d may connect",
                creds.uid if creds else "?",
                creds.pid if creds else "?",
                os.geteuid(),
            )
            writer.close()
            return
        if self._closing:
            writer.close()
            return
        conn_id = next(self._conn_ids)
        session = Session(
            reader,
            writer,
            on_request=self._on_request,
            on_notification=self._on_notification,
            max_message_bytes=self.config.max_message_bytes,
            name=f"client#{conn_id}",
            on_data=self._enforce_buffer_budget,
        )
        conn = Connection(id=conn_id, session=session, pid=creds.pid if creds else None)
        self.connections[session] = conn
        self._arm_idle_timer()
        log.info("%s connected (pid %s)", session.name, conn.pid)
        try:
            await session.run()
        finally:
            self.connections.pop(session, None)
            for job in conn.jobs.values():
                job.cancel.set()  # nobody is left to read the answer
            if conn.jobs:
                log.info(
                    "%s disconnected; cancelled %d running request(s)", session.name, len(conn.jobs)
                )
            else:
                log.info("%s disconnected (%s)", session.name, session.close_reason)
            self._arm_idle_timer()

    def _enforce_buffer_budget(self, _session: Session) -> None:
        """Keep the bytes held for all connections under ``max_buffered_bytes`` by closing the
        connections holding the most (a half-sent frame, output they do not read)."""
        limit = self.config.max_buffered_bytes
        held = [(conn.session.buffered_bytes, conn) for conn in self.connections.values()]
        total = sum(size for size, _ in held)
        if total <= limit:
            return
        for size, conn in sorted(held, key=lambda item: item[0], reverse=True):
            if total <= limit or size == 0:
                break
            log.warning(
                "%s (pid %s) dropped: it holds %d bytes and all connections %d, over the "
                "daemon's %d-byte budget",
                conn.session.name,
                conn.pid,
                size,
                total,
                limit,
            )
            conn.session.close("over the daemon's memory budget for buffered messages")
            total -= size

    def _on_notification(self, session: Session, note: Notification) -> None:
        log.debug("%s: ignoring notification %s", session.name, note.method)

    def _on_request(self, session: Session, request: Request) -> None:
        conn = self.connections.get(session)
        if conn is None:
            return
        method, params = request.method, request.params
        inline = {
            P.HELLO: self._hello,
            P.STATUS: self._status,
            P.CANCEL: self._cancel,
            P.SUBSCRIBE: self._subscribe,
            P.SHUTDOWN: self._shutdown,
        }
        if method in inline:
            try:
                result = inline[method](conn, params)
            except HandlerError as exc:
                session.respond(request.msgid, P.error_object(exc.code, exc.message))
            except P.ProtocolError as exc:
                session.respond(request.msgid, P.error_object(P.INVALID_PARAMS, str(exc)))
            else:
                session.respond(request.msgid, None, result)
            return
        spec = HANDLERS.get(method)
        if spec is None:
            session.respond(
                request.msgid, P.error_object(P.METHOD_NOT_FOUND, f"no method {method!r}")
            )
            return
        if self._closing:
            session.respond(
                request.msgid, P.error_object(P.SHUTTING_DOWN, "the daemon is shutting down")
            )
            return
        if request.msgid in conn.jobs:
            session.respond(
                request.msgid,
                P.error_object(P.INVALID_REQUEST, f"msgid {request.msgid} is already in use"),
            )
            return
        job = Job(request.msgid, method)
        conn.jobs[request.msgid] = job
        self._spawn(self._run_job(conn, job, spec, params))

    async def _run_job(
        self, conn: Connection, job: Job, spec: HandlerSpec, params: dict[str, Any]
    ) -> None:
        assert self._loop is not None and self._profile_ready is not None
        loop = self._loop
        session = conn.session

        def notify(method: str, body: dict[str, Any]) -> None:
            if not job.cancel.is_set():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(session.notify, method, body)

        ctx = RequestContext(job.msgid, job.method, params, job.cancel, notify)
        error: list[Any] | None = None
        result: Any = None
        try:
            if spec.needs_profile and not self._profile_ready.is_set():
                await self._profile_ready.wait()
            pool = {
                "worker": self._generation,
                "refresh": self._refresh,
                "cpu": self._analysis,
            }[spec.kind]
            result = await loop.run_in_executor(pool, call, self.engine, spec, ctx)
            if job.cancel.is_set():
                error = P.error_object(P.REQUEST_CANCELLED, "request cancelled")
        except Cancelled:
            error = P.error_object(P.REQUEST_CANCELLED, "request cancelled")
        except HandlerError as exc:
            error = P.error_object(exc.code, exc.message)
        except asyncio.CancelledError:
            job.cancel.set()
            error = P.error_object(P.SHUTTING_DOWN, "the daemon is shutting down")
        except Exception as exc:
            log.exception("%s %s (msgid %d) failed", session.name, job.method, job.msgid)
            error = P.error_object(
                P.INTERNAL_ERROR, f"{job.method} failed: {type(exc).__name__}: {exc}"
            )
        finally:
            conn.jobs.pop(job.msgid, None)
        self._respond_once(conn, job, error, None if error else result)

    def _respond_once(
        self, conn: Connection, job: Job, error: list[Any] | None, result: Any
    ) -> None:
        if job.responded:
            return
        job.responded = True
        conn.session.respond(job.msgid, error, result)

    def _broadcast(self, topic: str, method: str, params: dict[str, Any]) -> None:
        for conn in list(self.connections.values()):
            if topic in conn.topics:
                conn.session.notify(method, params)

    # -- profile events -------------------------------------------------------------------------

    def _profile_event_from_thread(self, changes: ChangeSet, event: str) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_profile_changes, changes, event)

    def _on_profile_changes(self, changes: ChangeSet, event: str) -> None:
        if event in ("trained", "reloaded") and self.watcher is not None:
            self.watcher.retarget(self.store.samples_dir)
            self.watcher.schedule_settle()
        if event in ("recalibrated", "trained", "reloaded") and not self._closing:
            # A stale adapter is dropped at once; a retraining, if due, waits for quiet.
            self._refresh.submit(self._refresh_adapter, True)
        self._broadcast(
            P.TOPIC_PROFILE, P.PROFILE_CHANGED, self._profile_changed_params(event, changes)
        )

    def _on_folder_state(self, state: str) -> None:
        if state == "missing":
            self._broadcast(
                P.TOPIC_PROFILE,
                P.PROFILE_CHANGED,
                self._profile_changed_params("samples_missing", ChangeSet()),
            )

    def _profile_changed_params(self, event: str, changes: ChangeSet) -> dict[str, Any]:
        return P.ProfileChangedNotification(
            profile=self.config.profile,
            revision=self.store.revision,
            event=event,  # type: ignore[arg-type]
            changed=list(changes.changed),
            removed=list(changes.removed),
            skipped=list(changes.skipped),
            documents=self.store.document_count(),
            samples_dir=str(self.store.samples_dir) if self.store.samples_dir else None,
            samples_status=self._samples_status(),
        ).to_wire()

    def _samples_status(self) -> str:
        if self.watcher is not None:
            return self.watcher.state
        return "ok" if self.store.samples_dir else "none"

    # -- inline methods -------------------------------------------------------------------------

    def _hello(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        hello = P.HelloParams.from_wire(params)
        compatible = hello.protocol is None or hello.protocol == P.PROTOCOL_VERSION
        conn.client = hello.client or None
        if not compatible:
            log.info(
                "%s speaks protocol %s, we speak %s",
                conn.session.name,
                hello.protocol,
                P.PROTOCOL_VERSION,
            )
        return P.HelloResult(
            server=P.SERVER_NAME,
            version=inkmod.__version__,
            protocol=P.PROTOCOL_VERSION,
            pid=os.getpid(),
            profile=self.config.profile,
            compatible=compatible,
            backend=self.backend.name,
            samples_dir=str(self.store.samples_dir) if self.store.samples_dir else None,
        ).to_wire()

    def _status(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        engine = self.engine.status_fields()
        return P.StatusResult(
            pid=os.getpid(),
            version=inkmod.__version__,
            protocol=P.PROTOCOL_VERSION,
            profile=self.config.profile,
            socket=str(self.paths.socket),
            log=str(self.paths.log),
            samples_dir=str(self.store.samples_dir) if self.store.samples_dir else None,
            samples_status=self._samples_status(),
            started=self.started,
            uptime=now - self.started,
            clients=len(self.connections),
            requests=sum(len(c.jobs) for c in self.connections.values()),
            idle_timeout=self.config.idle_timeout,
            memory_rss=memory_rss(),
            **engine,
        ).to_wire()

    def _cancel(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        msgid = P.CancelParams.from_wire(params).id
        job = conn.jobs.get(msgid)
        if job is None:
            return P.CancelResult(False).to_wire()
        job.cancel.set()
        self._respond_once(
            conn, job, P.error_object(P.REQUEST_CANCELLED, "request cancelled"), None
        )
        log.info("%s cancelled %s (msgid %d)", conn.session.name, job.method, msgid)
        return P.CancelResult(True).to_wire()

    def _subscribe(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        topics = P.SubscribeParams.from_wire(params).topics
        conn.topics = set(topics)
        return P.SubscribeResult(sorted(conn.topics)).to_wire()

    def _shutdown(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        log.info("%s asked the daemon to shut down", conn.session.name)
        assert self._loop is not None
        # Respond first (the caller is waiting for it), stop on the next loop iteration.
        self._loop.call_soon(self.request_shutdown, f"shutdown requested by {conn.session.name}")
        return {"ok": True, "pid": os.getpid()}


def run_daemon(config: DaemonConfig) -> int:
    """Run a daemon in this process until it shuts down; returns the exit code."""
    return asyncio.run(Daemon(config).run())
