"""The personal model in the daemon: train it in the background, keep it fresh, swap it in.

Why here and not in the language server or the CLI: the daemon is the one process per profile
that has the model loaded and watches the samples folder, so it is the one place that can decide
*when* the adapter is stale and *which* adapter the loaded model uses. Editors only ask for a
training run and show its progress.

The rules:

* **One run at a time**, on its own thread, at low priority (``nice`` 10 for that thread and the
  torch threads it starts) and with one core left free, so ``analyze`` requests keep their usual
  latency while it trains.
* **Automatic retraining only of an adapter the writer already has**: when the samples changed
  enough since it was trained (:func:`~inkmod.generation.personal.adapter.changed_enough`), after
  the folder has been quiet for :data:`AUTO_TUNE_QUIET` seconds. A writer who never ran
  ``inkmod tune`` never pays minutes of CPU for it.
* **Swap when complete**: the pipeline writes the manifest last, so the daemon loads the new
  adapter only once it is whole; until then rewrites use the previous valid one (or none).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkmod.cores import usable_cores

log = logging.getLogger(__name__)

AUTO_TUNE_QUIET = 30.0
"""Seconds without sample changes before an automatic retraining starts."""
NICE = 10


@dataclass
class TuneRun:
    """A training run the daemon is doing (or did last)."""

    started: float
    automatic: bool
    cancel: threading.Event
    step: int = 0
    total: int = 0
    loss: float | None = None
    seconds_left: float | None = None
    phase: str = "load"
    finished: float | None = None
    outcome: str | None = None
    """``trained``, ``cancelled`` or the error message."""

    def to_dict(self) -> dict[str, Any]:
        percent = 100.0 * self.step / self.total if self.total else 0.0
        return {
            "automatic": self.automatic,
            "phase": self.phase,
            "step": self.step,
            "total": self.total,
            "percent": round(percent, 1),
            "loss": self.loss,
            "seconds_left": self.seconds_left,
            "outcome": self.outcome,
        }


ProgressCallback = Callable[[TuneRun], None]
AdapterCallback = Callable[["Path | None"], object]


def tuning_threads() -> int:
    """All cores but one (at least one): the daemon must keep answering while it trains."""
    cores = usable_cores()
    return max(1, cores - 1)


def _lower_this_thread() -> None:
    """Nice the calling thread; threads it creates (torch's pool) inherit the value on Linux."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):  # pragma: no cover - not Linux, or not permitted
        log.debug("could not lower the tuning thread's priority")


class PersonalModel:
    """State and control of one profile's personal adapter inside the daemon."""

    def __init__(
        self,
        profile: str,
        *,
        on_adapter: AdapterCallback,
        documents: Callable[[], dict[str, tuple[str, int]] | None],
    ) -> None:
        self.profile = profile
        self._on_adapter = on_adapter
        self._documents = documents
        self._lock = threading.Lock()
        self.run: TuneRun | None = None
        self._thread: threading.Thread | None = None
        self._auto_timer: threading.Timer | None = None

    # -- state

    @property
    def busy(self) -> bool:
        with self._lock:
            return self.run is not None and self.run.finished is None

    def state(self) -> dict[str, Any]:
        """The adapter's state (absent / training N % / ready / stale) plus the current run."""
        try:
            from inkmod.generation.personal.adapter import adapter_state
        except ImportError as exc:  # pragma: no cover - the package is part of inkmod
            return {"kind": "unavailable", "usable": False, "description": str(exc)}
        state = adapter_state(self.profile, documents=self._documents()).to_dict()
        with self._lock:
            run = self.run
        if run is not None and run.finished is None:
            state["kind"] = "training"
            state["percent"] = run.to_dict()["percent"]
            state["description"] = f"training {state['percent']:.0f} %" + (
                " (automatic: the samples changed)" if run.automatic else ""
            )
        if run is not None:
            state["run"] = run.to_dict()
        return state

    def usable_adapter(self) -> Path | None:
        """The adapter rewrites should load now, or None (absent, stale, or never complete)."""
        try:
            from inkmod.generation.personal.adapter import usable_adapter
        except ImportError:  # pragma: no cover
            return None
        try:
            return usable_adapter(self.profile, documents=self._documents())
        except Exception:  # a broken manifest must not stop rewriting without the adapter
            log.exception("reading the personal adapter of %s failed", self.profile)
            return None

    # -- running

    def train(
        self,
        *,
        samples: Path | None,
        max_minutes: float | None,
        neutraliser: str | None,
        cancel: threading.Event,
        on_progress: ProgressCallback | None = None,
        automatic: bool = False,
    ) -> dict[str, Any]:
        """Train in the calling thread (a daemon worker) and swap the result in; returns a
        summary. Raises RuntimeError when a run is already going on."""
        from inkmod.generation.personal.pipeline import tune

        run = TuneRun(started=time.time(), automatic=automatic, cancel=cancel)
        with self._lock:
            if self.run is not None and self.run.finished is None:
                raise RuntimeError("the personal model is already training")
            self.run = run
        _lower_this_thread()

        def progress(report: Any) -> None:
            run.step, run.total = report.step, report.total
            run.loss, run.seconds_left, run.phase = report.loss, report.seconds_left, report.phase
            if on_progress is not None:
                on_progress(run)

        try:
            result = tune(
                self.profile,
                samples,
                max_minutes=max_minutes,
                neutraliser=neutraliser,
                on_progress=progress,
                cancel=cancel,
                threads=tuning_threads(),
            )
        except BaseException as exc:
            run.outcome = str(exc) or type(exc).__name__
            raise
        finally:
            run.finished = time.time()
        run.outcome = result.status
        if result.status == "trained":
            self._on_adapter(self.usable_adapter())
        return {
            "status": result.status,
            "steps": result.steps,
            "total_steps": result.total_steps,
            "validation_loss": result.validation_loss,
            "base_validation_loss": result.base_validation_loss,
            "seconds": round(result.seconds, 1),
            "adapter": str(result.adapter) if result.adapter else None,
            "words": result.words,
        }

    def cancel(self) -> bool:
        with self._lock:
            run = self.run
        if run is None or run.finished is not None:
            return False
        run.cancel.set()
        return True

    # -- keeping it fresh

    def samples_changed(self) -> None:
        """Called after every profile change: (re)arm the quiet timer for an automatic run."""
        with self._lock:
            if self._auto_timer is not None:
                self._auto_timer.cancel()
            self._auto_timer = threading.Timer(AUTO_TUNE_QUIET, self._maybe_retrain)
            self._auto_timer.daemon = True
            self._auto_timer.start()

    def needs_retraining(self) -> bool:
        """An adapter exists and is stale *only* because the samples changed enough."""
        try:
            from inkmod.generation.personal.adapter import (
                adapter_dir,
                changed_enough,
                read_manifest,
            )
        except ImportError:  # pragma: no cover
            return False
        manifest = read_manifest(adapter_dir(self.profile))
        documents = self._documents()
        if manifest is None or documents is None:
            return False
        return changed_enough(manifest.documents, documents)

    def _maybe_retrain(self) -> None:
        if self.busy or not self.needs_retraining():
            return
        log.info("the samples of %s changed enough: retraining the personal model", self.profile)
        thread = threading.Thread(target=self._retrain_quietly, name="personal-model", daemon=True)
        self._thread = thread
        thread.start()

    def _retrain_quietly(self) -> None:
        from inkmod.generation.personal.adapter import adapter_dir, read_manifest

        manifest = read_manifest(adapter_dir(self.profile))
        try:
            self.train(
                samples=None,
                max_minutes=15.0,
                neutraliser=manifest.neutraliser if manifest else None,
                cancel=threading.Event(),
                automatic=True,
            )
        except Exception:
            log.exception("automatic retraining of %s failed", self.profile)

    def close(self) -> None:
        with self._lock:
            if self._auto_timer is not None:
                self._auto_timer.cancel()
            run = self.run
        if run is not None and run.finished is None:
            run.cancel.set()
