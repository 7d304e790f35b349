"""What the server runs on for the current settings: daemon link, scorer, profile, caches.

Why one object: settings decide everything here at once (which profile, which daemon, which
scorer), and a change of settings must replace all of it together -- never score against one
profile with another profile's cache. :meth:`Runtime.start` (re)builds it in a background task;
until that task has decided, :attr:`Runtime.ready` is clear and analyses wait for it.

Start-up, in order:

1. start or join the profile's daemon (unless ``inkmod.daemon`` is false); if it cannot run,
   say why once and carry on without it;
2. if the profile does not exist (or the running daemon's was built from another folder) and
   ``samplesFolder`` is set, train it -- through the daemon when it runs, in this process
   otherwise -- with work-done progress;
3. load the profile here too (a small file: hover needs the writer's figures) and pick the
   scorer: the daemon's, or a local one when there is no daemon;
4. with ``preloadModel``, show "loading model" until the daemon reports it loaded;
5. re-analyse every open document.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inkmod.style.document import ScoreCache

from .config import Settings
from .daemon_link import DaemonLink, DaemonOptions, LinkState, describe_rpc_error
from .ignored import IgnoreList, ignore_file
from .paragraphs import Score
from .progress import Progress
from .scoring import DaemonScorer, LocalScorer, Scorer

if TYPE_CHECKING:
    from inkmod.style.profile import StyleProfile

    from .server import InkmodLanguageServer

log = logging.getLogger(__name__)

MODEL_LOAD_POLL = 0.5
MODEL_LOAD_PATIENCE = 600.0
"""Seconds the start-up progress waits for a preloading model before it stops saying so."""


class TrainingError(Exception):
    """Training could not run; the message is for the user."""


class Runtime:
    """The settings-dependent half of the server (see the module docstring)."""

    def __init__(self, server: InkmodLanguageServer) -> None:
        self.server = server
        self.settings = Settings()
        self.link = DaemonLink(self._profile_changed_from_thread, self._lost_from_thread)
        self.cache: ScoreCache[str, Score] = ScoreCache(capacity=8192)
        """Scores by paragraph hash for the current profile; cleared whenever it changes."""
        self.scorer: Scorer | None = None
        self.profile: StyleProfile | None = None
        self.profile_figures: dict[str, Any] | None = None
        self.problem: str | None = None
        """Why there are no diagnostics at all (no profile), shown once to the user."""
        self.ignored = IgnoreList(ignore_file(None))
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stamp = 0
        """Changes whenever scores or their judgement may have changed (profile, settings,
        ignore list): analyses made under an older stamp are recomputed."""

    # -- readiness --------------------------------------------------------------------------------

    @property
    def ready(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def bump(self) -> None:
        self.stamp += 1

    def threshold(self) -> float:
        """The drift score above which a paragraph is flagged."""
        if self.settings.threshold is not None:
            return self.settings.threshold
        from inkmod.style.document import DEFAULT_THRESHOLD

        return DEFAULT_THRESHOLD

    # -- start-up ---------------------------------------------------------------------------------

    def start(self, settings: Settings, workspace_root: Path | None) -> None:
        """(Re)build everything for ``settings`` in a background task."""
        self._loop = asyncio.get_running_loop()
        self.settings = settings
        self.ignored = IgnoreList(ignore_file(workspace_root), shared=workspace_root is not None)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.ready.clear()
        self.scorer = None  # work in flight with the old one retries once the new one is set
        self._task = asyncio.ensure_future(self._bootstrap(settings))

    def samples_folder(self, settings: Settings | None = None) -> Path | None:
        value = (settings or self.settings).samplesFolder
        return Path(value) if value else None

    async def _bootstrap(self, settings: Settings) -> None:
        server = self.server
        progress = await Progress.open(
            server, "InkMod", cancellable=False, message=f"opening profile '{settings.profile}'"
        )
        try:
            samples = self.samples_folder(settings)
            if samples is not None and not samples.is_dir():
                server.notify_once(
                    f"samples:{samples}",
                    f"InkMod: samples folder not found: {samples} (setting inkmod.samplesFolder)",
                    "warning",
                )
                samples = None
            exists = await server.in_io(_profile_exists, settings.profile)
            if settings.daemon:
                progress.report("starting the InkMod daemon", force=True)
                options = DaemonOptions(
                    profile=settings.profile,
                    # Without a profile we train it below, with progress, instead of letting
                    # the daemon train silently at start-up.
                    samples=samples if exists else None,
                    backend=settings.backend,
                    preload=settings.preloadModel,
                )
                if not await server.in_io(self.link.connect, options):
                    self._say_daemon_unavailable()
            else:
                await server.in_io(self.link.disable)
            # When the setting names another folder than the one the running daemon's profile
            # was built from, retrain, so the profile (and the watcher) follow the setting.
            follow = exists and samples is not None and self._follows_other_folder(samples)
            if not exists or follow:
                if samples is None:
                    self._no_profile(settings)
                    return
                try:
                    await self.train(samples, progress, reload=False)
                except TrainingError as exc:
                    server.notify_once(f"train:{exc}", f"InkMod: {exc}", "error")
                    if not exists:
                        self._no_profile(settings)
                        return
            await self._load_profile(settings.profile)
            if self.link.ready and self.link.client is not None:
                self.scorer = DaemonScorer(self.link.client)
                if settings.preloadModel and self.link.client.started_daemon:
                    await self._show_model_loading(progress)
            elif self.profile is not None:
                self.scorer = LocalScorer(self.profile)
            else:
                self.scorer = None
            self.cache.clear()
            self.bump()
        finally:
            progress.end()
            self.ready.set()
        server.refresh_all()

    def _follows_other_folder(self, samples: Path) -> bool:
        client = self.link.client if self.link.ready else None
        if client is None:
            return False
        running = client.server_info.get("samples_dir")
        try:
            return running is None or Path(running).resolve() != samples.resolve()
        except OSError:
            return False

    def _no_profile(self, settings: Settings) -> None:
        self.scorer = None
        self.profile = None
        self.profile_figures = None
        self.problem = (
            f"no style profile '{settings.profile}' yet: set inkmod.samplesFolder to a folder "
            "of your own writing (or run `inkmod train --samples DIR`) to get drift diagnostics"
        )
        self.server.notify_once(
            f"noprofile:{settings.profile}", f"InkMod: {self.problem}", "warning"
        )
        self.bump()

    def _say_daemon_unavailable(self) -> None:
        reason = self.link.reason or "unknown error"
        self.server.notify_once(
            f"daemon:{reason}",
            f"InkMod: the daemon could not start ({reason}). Drift diagnostics run inside the "
            "language server; rewriting is unavailable until it can (command: InkMod: Restart "
            "daemon).",
            "warning",
        )

    async def _load_profile(self, name: str) -> None:
        try:
            self.profile = await self.server.in_io(_load, name)
            self.problem = None
        except Exception as exc:
            log.warning("cannot load profile %r here: %s", name, exc)
            self.profile = None
            if not self.link.ready:
                self.problem = str(exc)
                self.server.notify_once(f"profile:{exc}", f"InkMod: {exc}", "error")
        self.profile_figures = None

    async def _show_model_loading(self, progress: Progress) -> None:
        """Keep the start-up progress open, saying so, while the daemon loads the model."""
        backend = self.settings.backend or "the model"
        started = time.monotonic()
        while True:
            try:
                status = await self.server.in_io(self.link.status)
            except Exception:
                return
            info = status.get("backend") or {}
            backend = str(info.get("name") or backend)
            if info.get("loaded") or info.get("error"):
                return
            if time.monotonic() - started > MODEL_LOAD_PATIENCE:
                return
            progress.report(
                f"loading model {backend}… ({time.monotonic() - started:.0f}s)", force=True
            )
            await asyncio.sleep(MODEL_LOAD_POLL)

    # -- training ---------------------------------------------------------------------------------

    async def train(
        self, samples: Path | None, progress: Progress, *, reload: bool = True
    ) -> dict[str, Any]:
        """Rebuild the profile from ``samples`` (default: the profile's own folder).

        Through the daemon when it runs (it also starts watching the folder), else here.
        Cancelling the calling task cancels the training; the old profile stays.
        """
        name = self.settings.profile
        progress.report(f"training profile '{name}'", 0, force=True)

        def on_progress(done: int, total: int, path: str) -> None:
            percent = int(100 * done / total) if total else None
            # First and last file always shown; in between, as often as the throttle allows.
            edge = done in (1, total)
            progress.report(f"{done}/{total} {Path(path).name}", percent, force=edge)

        if self.link.ready:
            result = await self._train_in_daemon(samples, on_progress)
        else:
            if samples is None:
                samples = await self.server.in_io(_profile_samples, name)
            if samples is None:
                raise TrainingError("no samples folder to train from: set inkmod.samplesFolder")
            result = await self._train_here(samples, on_progress)
        progress.report("profile trained", 100, force=True)
        if reload:
            await self.reload_profile()
        return result

    async def tune(self, progress: Progress, max_minutes: float | None = 15.0) -> dict[str, Any]:
        """Train the writer's personal model in the daemon (it holds the model and decides
        when the adapter is used); cancelling the calling task stops it at the next step and
        keeps the checkpoint."""
        if not self.link.ready:
            reason = self.link.unavailable_reason() or "the daemon is not running"
            raise TrainingError(f"the personal model trains in the InkMod daemon: {reason}")
        progress.report("loading the model to train", 0, force=True)

        def on_progress(body: dict[str, Any]) -> None:
            step, total = int(body.get("step") or 0), int(body.get("total") or 0)
            if body.get("phase") == "load" or not total:
                progress.report("loading the model to train", 0)
                return
            pairs = body.get("phase") == "pairs"
            parts = [f"paraphrasing passage {step}/{total}" if pairs else f"step {step}/{total}"]
            if isinstance(body.get("loss"), (int, float)):
                parts.append(f"loss {body['loss']:.3f}")
            left = body.get("seconds_left")
            if isinstance(left, (int, float)):
                parts.append(f"{int(left) // 60}:{int(left) % 60:02d} left")
            progress.report(" · ".join(parts), int(100 * step / total), force=step == total)

        pending = await self.server.in_io(self.link.start_tune, max_minutes, on_progress)
        return await self._daemon_result(pending, "training your model failed")

    async def _train_in_daemon(self, samples: Path | None, on_progress: Any) -> dict[str, Any]:
        pending = await self.server.in_io(self.link.start_train, samples, on_progress)
        return await self._daemon_result(pending, "training failed")

    async def _daemon_result(self, pending: Any, failure: str) -> dict[str, Any]:
        """A daemon training request's result; its failure as one :class:`TrainingError`
        (cancelling, by either side, raises ``CancelledError`` from :func:`wait_for_daemon`)."""
        from .daemon_link import wait_for_daemon

        try:
            result: dict[str, Any] = await wait_for_daemon(self.server, pending)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise TrainingError(f"{failure}: {describe_rpc_error(exc)[1]}") from exc
        return result

    async def _train_here(self, samples: Path, on_progress: Any) -> dict[str, Any]:
        cancel = threading.Event()
        name = self.settings.profile

        def work() -> dict[str, Any]:
            from inkmod.style.build import NoSamplesError, build_profile
            from inkmod.style.ingest import SamplesFolderError
            from inkmod.style.storage import save_profile

            def progress(done: int, total: int, path: str) -> None:
                if cancel.is_set():
                    raise InterruptedError("training cancelled")
                on_progress(done, total, path)

            try:
                profile, skipped = build_profile(samples, name, progress)
            except (SamplesFolderError, NoSamplesError) as exc:
                raise TrainingError(str(exc)) from exc
            save_profile(profile)
            return {
                "profile": name,
                "samples_dir": str(samples),
                "summary": profile.summary(),
                "skipped": [{"path": str(s.path), "reason": s.reason} for s in skipped],
            }

        future = self.server.in_io(work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await future
            raise

    # -- profile changes --------------------------------------------------------------------------

    async def reload_profile(self) -> None:
        """The profile changed (trained, a sample edited): rescore, republish. With a daemon
        the profile file is not re-read here (tens of MB after a large training, on every
        sample save): the writer's figures come from the daemon on the next hover."""
        if self.link.ready and self.link.client is not None:
            self.profile_figures = None
        else:
            await self._load_profile(self.settings.profile)
        if self.scorer is None or isinstance(self.scorer, LocalScorer):
            if self.link.ready and self.link.client is not None:
                self.scorer = DaemonScorer(self.link.client)
            elif self.profile is not None:
                self.scorer = LocalScorer(self.profile)
        self.cache.clear()
        self.bump()
        self.server.refresh_all()

    def _profile_changed_from_thread(self, params: dict[str, Any]) -> None:
        if params.get("profile") not in (None, self.settings.profile):
            return
        log.info("profile %s changed in the daemon: %s", params.get("profile"), params.get("event"))
        self._call_soon(self.reload_profile)

    def _lost_from_thread(self, reason: str) -> None:
        self._call_soon(self._recover, reason)

    def _call_soon(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(fn(*args)))

    async def _recover(self, reason: str) -> None:
        """The daemon stopped on its own: reconnect (the client starts a new one) or fall back."""
        client = self.link.client
        if client is None or self.server.shutting_down:
            return
        try:
            await self.server.in_io(client.connect)
        except Exception as exc:
            if client is self.link.client:  # not replaced meanwhile (restart, new settings)
                self.scorer_failed(exc, self.scorer)
            return
        if client is not self.link.client:
            return
        self.link.reconnected()
        self.scorer = DaemonScorer(client)
        self.server.show(
            f"InkMod: the daemon stopped ({reason}); a new one is running (pid {client.pid}).",
            "warning",
        )
        self.cache.clear()
        self.bump()
        self.server.refresh_all()

    def scorer_failed(self, exc: BaseException, scorer: Scorer | None = None) -> bool:
        """A daemon scoring call failed: fall back to scoring here. True when a fallback
        exists (the caller retries), False when there is nothing to score with.

        A failure of a scorer that is no longer current (the runtime was rebuilt meanwhile,
        closing its connection) says nothing about the new one: the caller just retries."""
        from inkmod.rpc.protocol import PROFILE_NOT_FOUND, PROFILE_UNUSABLE
        from inkmod.rpc.session import RPCError

        if (scorer is not None and scorer is not self.scorer) or not self.ready.is_set():
            return True
        code, message = describe_rpc_error(exc)
        if isinstance(exc, RPCError) and code not in (PROFILE_NOT_FOUND, PROFILE_UNUSABLE):
            # an error answer to this request: the daemon is alive and keeps serving the rest
            log.warning("the daemon could not score a document: %s", message)
            return False
        if code in (PROFILE_NOT_FOUND, PROFILE_UNUSABLE):
            self.problem = message
            self.server.notify_once(f"noprofile:{message}", f"InkMod: {message}", "warning")
        elif self.link.state is not LinkState.DISABLED:
            self.link.mark_failed(message)
            self._say_daemon_unavailable()
        if self.profile is not None:
            self.scorer = LocalScorer(self.profile)
            self.cache.clear()
            return True
        self.scorer = None
        return False

    # -- figures ----------------------------------------------------------------------------------

    async def figures(self) -> dict[str, Any] | None:
        """The writer's figures for hover: served by the daemon (``profile.get``, once per
        profile change), or computed from the profile loaded here when there is no daemon."""
        if self.profile_figures is not None:
            return self.profile_figures
        client = self.link.client if self.link.ready else None
        if client is not None:
            try:
                info = await self.server.in_io(
                    lambda: client.profile_get(documents=False, figures=True)
                )
                self.profile_figures = info.get("figures")
                return self.profile_figures
            except Exception as exc:  # hover degrades to the verdict without the table
                log.info("profile.get failed: %s", exc)
        if self.profile is None:
            return None
        from .figures import profile_figures

        self.profile_figures = profile_figures(self.profile)
        return self.profile_figures

    # -- settings ---------------------------------------------------------------------------------

    def needs_restart(self, new: Settings) -> bool:
        old = self.settings
        keys = ("profile", "samplesFolder", "backend", "daemon", "preloadModel")
        return any(getattr(old, k) != getattr(new, k) for k in keys)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.link.close()


def _profile_exists(name: str) -> bool:
    from inkmod.style.storage import profile_path

    try:
        return profile_path(name).is_file()
    except Exception:
        return False


def _load(name: str) -> StyleProfile:
    from inkmod.style.storage import load_profile

    return load_profile(name)


def _profile_samples(name: str) -> Path | None:
    try:
        profile = _load(name)
    except Exception:
        return None
    return Path(profile.samples_dir) if profile.samples_dir else None
