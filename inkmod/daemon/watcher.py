"""Keep the profile in step with the samples folder while the daemon runs.

watchdog reports file events on its own thread; we hop them onto the event loop, collect the
touched paths, and once the folder has been quiet for ``debounce`` seconds (default 200 ms; at
most ``max_delay`` after the first event, so a constantly busy folder still refreshes) hand the
batch to :meth:`ProfileStore.sync_paths` in a worker thread. Only the touched files are read:
an editor saving one sample costs one file's analysis, not a retraining. The whole-profile
work -- recalibration and rewriting the profile file -- waits until the folder has been quiet for
``settle_delay`` (see :meth:`ProfileStore.settle`) and is announced as ``recalibrated``.

Why debounce at all: one "save" is several events (create temp, write, close, rename over the
target, attribute change), and a ``git checkout`` is hundreds. Scoring each would do the same
work many times and send clients a burst of ``profile.changed``.

The folder itself can disappear (deleted, renamed, an unmounted drive). inotify tells us about a
delete; a rename it does not, so a cheap periodic check (``stat`` of the root once a second)
catches both. A missing folder is *reported* -- ``status`` says ``missing`` and subscribers get a
``profile.changed`` with ``event: "samples_missing"`` -- and the profile is left as it was: the
user almost certainly moved the folder rather than wanting an empty profile. Deletions that
arrive in the same batch as the folder's own disappearance are dropped for the same reason. When
the folder comes back, the watch is re-established and the profile reconciled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from inkmod.daemon.store import ChangeSet, ProfileStore

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.2
DEFAULT_MAX_DELAY = 2.0
DEFAULT_CHECK_INTERVAL = 1.0
DEFAULT_SETTLE_DELAY = 1.0
"""Quiet time after the last change before recalibrating and writing the profile."""

FolderState = str  # "ok" | "missing" | "none"

ChangesCallback = Callable[[ChangeSet, str], None]
"""Called on the event loop with the changes and an event name (``updated`` ...)."""
FolderCallback = Callable[[FolderState], None]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class SamplesWatcher:
    """watchdog on one folder, debounced into incremental profile updates."""

    def __init__(
        self,
        store: ProfileStore,
        *,
        executor: Executor,
        on_changes: ChangesCallback,
        on_folder_state: FolderCallback,
        debounce: float = DEFAULT_DEBOUNCE,
        max_delay: float = DEFAULT_MAX_DELAY,
        check_interval: float = DEFAULT_CHECK_INTERVAL,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
    ) -> None:
        self.store = store
        self.executor = executor
        self.on_changes = on_changes
        self.on_folder_state = on_folder_state
        self.debounce = debounce
        self.max_delay = max_delay
        self.check_interval = check_interval
        self.settle_delay = settle_delay
        self._settle_timer: asyncio.TimerHandle | None = None
        self.folder: Path | None = None
        self.state: FolderState = "none"
        self._identity: tuple[int, int] | None = None
        self._observer: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[Path] = set()
        self._first_event: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._apply_lock = asyncio.Lock()
        self._monitor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, folder: Path | None) -> None:
        """Watch ``folder`` (None: nothing to watch). Call on the event loop."""
        self._loop = asyncio.get_running_loop()
        self.folder = folder
        if folder is None:
            self._set_state("none")
            return
        self._identity = _identity(folder)
        if self._identity is None or not folder.is_dir():
            self._set_state("missing")
        else:
            self._start_observer()
            self._set_state("ok")
        if self._monitor is None:
            self._monitor = asyncio.create_task(self._watch_root(), name="samples-root-check")

    def retarget(self, folder: Path | None) -> None:
        """Switch to another folder (after ``train`` with a new samples folder)."""
        if folder == self.folder:
            return
        self._stop_observer()
        self._pending.clear()
        self.start(folder)

    async def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        for timer in (self._timer, self._settle_timer):
            if timer is not None:
                timer.cancel()
        self._stop_observer()

    def _start_observer(self) -> None:
        from watchdog.events import (
            DirCreatedEvent,
            DirDeletedEvent,
            DirMovedEvent,
            FileClosedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEvent,
            FileSystemEventHandler,
        )
        from watchdog.observers import Observer

        assert self.folder is not None and self._loop is not None
        loop = self._loop
        root = os.path.abspath(self.folder)
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                paths = [os.fsdecode(event.src_path)]
                dest = os.fsdecode(getattr(event, "dest_path", "") or "")
                if dest:
                    paths.append(dest)
                if event.is_directory and event.event_type == "deleted" and paths[0] == root:
                    loop.call_soon_threadsafe(watcher._check_root)
                    return
                loop.call_soon_threadsafe(watcher._add, [Path(p) for p in paths if p])

        # Only events that can change a document: no open/close-without-write (our own reads of
        # a sample would otherwise trigger another refresh) and no directory mtime noise.
        event_filter = [
            FileCreatedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileDeletedEvent,
            FileClosedEvent,
            DirCreatedEvent,
            DirMovedEvent,
            DirDeletedEvent,
        ]
        observer = Observer()
        observer.daemon = True
        observer.schedule(Handler(), root, recursive=True, event_filter=event_filter)
        observer.start()
        self._observer = observer
        log.info("watching %s", root)

    def _stop_observer(self) -> None:
        observer, self._observer = self._observer, None
        if observer is None:
            return
        with contextlib.suppress(Exception):
            observer.stop()
            observer.join(timeout=2.0)

    # -- debouncing ---------------------------------------------------------------------------

    def _add(self, paths: list[Path]) -> None:
        assert self._loop is not None
        now = time.monotonic()
        if not self._pending:
            self._first_event = now
        self._pending.update(paths)
        if self._timer is not None:
            self._timer.cancel()
        waited = now - (self._first_event or now)
        delay = max(0.0, min(self.debounce, self.max_delay - waited))
        self._timer = self._loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._timer = None
        batch, self._pending = self._pending, set()
        self._first_event = None
        if batch:
            self._spawn(self._apply(batch))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, batch: set[Path]) -> None:
        async with self._apply_lock:
            if self.state != "ok" or not self._root_present():
                # Half of an `rm -rf samples/`: do not empty the profile file by file.
                self._check_root()
                return
            loop = asyncio.get_running_loop()
            try:
                changes = await loop.run_in_executor(self.executor, self.store.sync_paths, batch)
            except Exception:
                log.exception("refreshing the profile from %d changed path(s) failed", len(batch))
                return
            if changes or changes.skipped:
                log.info(
                    "profile refreshed: %d changed, %d removed, %d skipped",
                    len(changes.changed),
                    len(changes.removed),
                    len(changes.skipped),
                )
                self.on_changes(changes, "updated")
                self.schedule_settle()

    async def flush_now(self) -> None:
        """Apply whatever is pending without waiting for the debounce (tests, shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, set()
        if batch:
            await self._apply(batch)

    # -- settling: recalibrate and persist once quiet -------------------------------------------

    def schedule_settle(self) -> None:
        """(Re)start the quiet-time timer after which :meth:`ProfileStore.settle` runs."""
        if self._loop is None:
            return
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        self._settle_timer = self._loop.call_later(
            self.settle_delay, lambda: self._spawn(self._settle())
        )

    async def _settle(self) -> None:
        self._settle_timer = None
        async with self._apply_lock:
            loop = asyncio.get_running_loop()
            try:
                recalibrated = await loop.run_in_executor(self.executor, self.store.settle)
            except Exception:
                log.exception("recalibrating or saving the profile failed")
                return
        if recalibrated:
            self.on_changes(ChangeSet(), "recalibrated")

    # -- the folder itself --------------------------------------------------------------------

    def _root_present(self) -> bool:
        return self.folder is not None and _identity(self.folder) == self._identity

    async def _watch_root(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            self._check_root()

    def _check_root(self) -> None:
        if self.folder is None:
            return
        present = self._root_present()
        if self.state == "ok" and not present:
            log.warning("samples folder %s disappeared (deleted or renamed)", self.folder)
            self._stop_observer()
            self._pending.clear()
            self._set_state("missing")
        elif self.state == "missing" and self.folder.is_dir():
            log.info("samples folder %s is back; re-synchronising", self.folder)
            self._identity = _identity(self.folder)
            self._start_observer()
            self._set_state("ok")
            self._spawn(self._reconcile())

    async def _reconcile(self) -> None:
        async with self._apply_lock:
            loop = asyncio.get_running_loop()
            try:
                changes = await loop.run_in_executor(self.executor, self.store.reconcile)
            except Exception:
                log.exception("re-synchronising with %s failed", self.folder)
                return
            self.on_changes(changes, "samples_restored")
            self.schedule_settle()

    def _set_state(self, state: FolderState) -> None:
        changed = state != self.state
        self.state = state
        if changed:
            self.on_folder_state(state)
