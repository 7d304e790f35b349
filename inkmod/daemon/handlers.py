"""What the daemon *does*: the methods that touch the style engine and the model.

Everything here runs in worker threads, never on the event loop, and knows nothing about
sockets: a handler gets a :class:`RequestContext` (params, a cancel event, a thread-safe way to
stream notifications to the caller) and returns a msgpack-able result or raises
:class:`HandlerError`. The server maps everything else to an RPC error, so a bug in one request
is that request's error, not a dead daemon.

The model is reached only through :class:`BackendHolder` and :func:`run_rewrite`, two small
seams: adapting to a change in the backend or rewrite API means editing those, nothing else.

Backends named in :data:`EXTRA_BACKENDS` take precedence over the registry. Tests register a
deterministic fake there from a plugin module named in ``INKMOD_DAEMON_PLUGINS`` (comma
separated, imported at daemon start-up) -- "a fake backend registered like any other".
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from inkmod.daemon.store import ChangeSet, ProfileStore
from inkmod.rpc import protocol as P
from inkmod.rpc.security import redact_options

if TYPE_CHECKING:
    from inkmod.backends.base import Backend
    from inkmod.style.document import ScoreCache
    from inkmod.style.profile import StyleProfile

log = logging.getLogger(__name__)

PLUGINS_ENV = "INKMOD_DAEMON_PLUGINS"

BackendFactory = Callable[[str], "Backend"]
EXTRA_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``name`` resolvable by the daemon without an entry point (tests, embedding)."""
    EXTRA_BACKENDS[name] = factory


def load_plugins(value: str | None = None) -> list[str]:
    """Import the modules listed in ``$INKMOD_DAEMON_PLUGINS``; they register themselves."""
    value = os.environ.get(PLUGINS_ENV, "") if value is None else value
    loaded = []
    for name in (part.strip() for part in value.split(",")):
        if name:
            importlib.import_module(name)
            loaded.append(name)
    return loaded


class HandlerError(Exception):
    """An expected failure with an RPC error code and a message for the user."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Cancelled(Exception):
    """Raised inside a handler when its request was cancelled."""


@dataclass
class RequestContext:
    msgid: int
    method: str
    params: dict[str, Any]
    cancel: threading.Event
    notify: Callable[[str, dict[str, Any]], None]
    """Send a notification to the requesting client; safe from any thread."""

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def param(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.params.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) and kind in (int, float):
            raise HandlerError(P.INVALID_PARAMS, f"{key!r} must be a number")
        if not isinstance(value, kind):
            expected = (
                kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            )
            raise HandlerError(P.INVALID_PARAMS, f"{key!r} must be {expected}")
        return value


# -- the model -------------------------------------------------------------------------------------


class BackendHolder:
    """One lazily loaded backend shared by every request.

    A backend serves one generation at a time, so :attr:`generate_lock` serialises rewrites;
    waiting for it polls the request's cancel event, so a cancelled request queued behind a
    long rewrite leaves the queue at once.
    """

    def __init__(self, name: str, options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.options = dict(options or {})
        self.backend: Backend | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None
        self._load_lock = threading.Lock()
        self.generate_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        backend = self.backend
        return backend is not None and bool(getattr(backend, "loaded", True))

    def get(self) -> Backend:
        """The loaded backend; loads it on first use. Raises :class:`HandlerError`."""
        with self._load_lock:
            if self.backend is not None and self.loaded:
                return self.backend
            from inkmod.backends.errors import BackendError

            started = time.perf_counter()
            try:
                backend = self.backend or self._create()
                self.backend = backend
                backend.load()
            except BackendError as exc:
                self.error = str(exc)
                raise HandlerError(P.BACKEND_ERROR, str(exc)) from exc
            self.error = None
            self.load_seconds = time.perf_counter() - started
            log.info("backend %s loaded in %.2fs", self.name, self.load_seconds)
            return backend

    def _create(self) -> Backend:
        if self.name in EXTRA_BACKENDS:
            return EXTRA_BACKENDS[self.name](self.name)
        from inkmod.backends.registry import create_backend

        self.options = {**daemon_backend_defaults(self.name), **self.options}
        return create_backend(self.name, **self.options)

    def acquire(self, ctx: RequestContext) -> None:
        while not self.generate_lock.acquire(timeout=0.05):
            ctx.check()

    def close(self) -> None:
        with self._load_lock:
            backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # closing must not stop a shutdown
                log.exception("closing backend %s failed", self.name)


def daemon_backend_defaults(name: str) -> dict[str, Any]:
    """Options the daemon adds unless the user set them: llama.cpp gets one core fewer.

    Why: llama.cpp's worker threads wait for each other at every step, so when one of them is
    descheduled the whole step stalls. The daemon scores ``analyze`` requests on the same
    machine while it generates; with as many llama.cpp threads as cores, a burst of analyses
    dropped generation from 23 to 1 token/s on two cores, and with one core left free it kept
    24 of 49 (``benchmarks/bench_daemon.py``). Leaving a core free costs far less when idle.
    """
    try:
        from inkmod.backends.registry import parse_name

        family = parse_name(name).family
    except Exception:  # an unknown name fails with a clear message in create_backend
        return {}
    if family != "llama_cpp":
        return {}
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return {"threads": max(1, cores - 1)}


def default_backend_name() -> str:
    from inkmod.backends.registry import DEFAULT_MODEL

    return DEFAULT_MODEL


OnToken = Callable[[int, int, str], None]
"""``(paragraph, candidate, piece)``."""
OnCandidate = Callable[[dict[str, Any]], None]


def run_rewrite(
    text: str,
    profile: Any,
    backend: Backend,
    *,
    k: int,
    fmt: str,
    only_drifting: bool,
    threshold: float | None,
    on_token: OnToken,
    on_candidate: OnCandidate,
    cancel: threading.Event,
) -> dict[str, Any]:
    """The one call into the rewrite engine; returns ``RewriteResult.to_dict()``.

    The engine numbers candidates per paragraph; we add the paragraph's position among the
    rewritten ones so a client streaming a multi-paragraph rewrite can tell the streams apart.
    """
    from inkmod.generation.rewrite import rewrite_text

    paragraph = [0]

    def token(candidate: int, piece: str) -> None:
        on_token(paragraph[0], candidate, piece)

    def candidate(index: int, found: Any) -> None:
        on_candidate({"paragraph": paragraph[0], "index": index, **found.to_dict()})

    def paragraph_done(_index: int, _total: int, _done: Any) -> None:
        paragraph[0] += 1

    options: dict[str, Any] = {"fmt": fmt, "k": k, "only_drifting": only_drifting}
    if threshold is not None:
        options["threshold"] = threshold
    result = rewrite_text(
        text,
        profile,
        backend,
        on_token=token,
        on_candidate=candidate,
        on_paragraph=paragraph_done,
        cancel=cancel,
        **options,
    )
    out: dict[str, Any] = result.to_dict()
    return out


# -- the engine ------------------------------------------------------------------------------------

ProfileEventCallback = Callable[[ChangeSet, str], None]


@dataclass
class Engine:
    """The style profile, its score cache and the backend, behind the RPC methods."""

    store: ProfileStore
    backend: BackendHolder
    on_profile_event: ProfileEventCallback
    """Called from a worker thread after ``train``/``profile.reload`` replaced the profile."""
    cache: ScoreCache | None = None
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        from inkmod.style.document import ScoreCache

        self.cache = ScoreCache()

    # -- helpers

    def _require_profile(self) -> StyleProfile:
        """The live profile (call with the store lock held), or the reason there is none."""
        profile = self.store.profile
        if profile is None:
            code = {"not_found": P.PROFILE_NOT_FOUND, "unusable": P.PROFILE_UNUSABLE}.get(
                self.store.error_code or "", P.INTERNAL_ERROR
            )
            raise HandlerError(code, self.store.error or "no profile loaded")
        return profile

    @staticmethod
    def _format(value: Any) -> str:
        from inkmod.style.markup import format_for_language_id

        if value is None:
            return "markdown"
        if not isinstance(value, str):
            raise HandlerError(P.INVALID_PARAMS, "'fmt' must be a string")
        if value in ("markdown", "restructuredtext", "latex", "plaintext"):
            return value
        aliases = {
            "text": "plaintext",
            "txt": "plaintext",
            "md": "markdown",
            "rst": "restructuredtext",
        }
        return aliases.get(value, format_for_language_id(value))

    # -- methods

    def analyze(self, ctx: RequestContext) -> dict[str, Any]:
        from inkmod.style.document import analyze_text

        text = ctx.param("text", str)
        paragraphs = ctx.param("paragraphs", list)
        if (text is None) == (paragraphs is None):
            raise HandlerError(P.INVALID_PARAMS, "give exactly one of 'text' or 'paragraphs'")
        if paragraphs is not None and not all(isinstance(p, str) for p in paragraphs):
            raise HandlerError(P.INVALID_PARAMS, "'paragraphs' must be a list of strings")
        fmt = self._format(ctx.params.get("fmt"))
        threshold = ctx.param("threshold", (int, float))
        ignored = frozenset(str(h) for h in ctx.param("ignored", list, []) or [])
        started = time.perf_counter()
        texts: list[str] = [text] if text is not None else list(paragraphs)
        reports: list[dict[str, Any]] = []
        with self.store.lock:
            profile = self._require_profile()
            revision = self.store.revision
            for index, item in enumerate(texts):
                ctx.check()
                for report in analyze_text(
                    item,
                    fmt,
                    profile,
                    threshold=threshold,
                    cache=self.cache,
                    ignored=ignored,
                    check=ctx.check,
                ):
                    entry = report.to_dict()
                    if paragraphs is not None:
                        entry["index"] = index
                    reports.append(entry)
        return {
            "profile": self.store.name,
            "revision": revision,
            "reports": reports,
            "seconds": round(time.perf_counter() - started, 6),
        }

    def rewrite(self, ctx: RequestContext) -> dict[str, Any]:
        text = ctx.param("text", str)
        if not text:
            raise HandlerError(P.INVALID_PARAMS, "'text' is required")
        k = ctx.param("k", int, 1)
        if not 1 <= k <= 16:
            raise HandlerError(P.INVALID_PARAMS, "'k' must be between 1 and 16")
        fmt = self._format(ctx.params.get("fmt", "plaintext"))
        only_drifting = bool(ctx.params.get("only_drifting", False))
        threshold = ctx.param("threshold", (int, float))
        stream = ctx.params.get("stream", True) is not False
        try:
            profile = self.store.snapshot()
        except LookupError as exc:
            raise HandlerError(P.PROFILE_NOT_FOUND, str(exc)) from None
        ctx.check()
        backend = self.backend.get()

        def on_token(paragraph: int, candidate: int, piece: str) -> None:
            if stream and piece:
                ctx.notify(
                    P.REWRITE_TOKEN,
                    {
                        "id": ctx.msgid,
                        "paragraph": paragraph,
                        "candidate": candidate,
                        "text": piece,
                    },
                )

        def on_candidate(candidate: dict[str, Any]) -> None:
            ctx.notify(P.REWRITE_CANDIDATE, {"id": ctx.msgid, **candidate})

        from inkmod.backends.errors import BackendError

        self.backend.acquire(ctx)
        try:
            ctx.check()
            result = run_rewrite(
                text,
                profile,
                backend,
                k=k,
                fmt=fmt,
                only_drifting=only_drifting,
                threshold=threshold,
                on_token=on_token,
                on_candidate=on_candidate,
                cancel=ctx.cancel,
            )
        except BackendError as exc:
            raise HandlerError(P.BACKEND_ERROR, str(exc)) from exc
        finally:
            self.backend.generate_lock.release()
        ctx.check()
        result["revision"] = self.store.revision
        return result

    def train(self, ctx: RequestContext) -> dict[str, Any]:
        from inkmod.style.build import NoSamplesError
        from inkmod.style.ingest import SamplesFolderError

        samples_param = ctx.param("samples", str)
        samples = (
            Path(samples_param).expanduser().resolve() if samples_param else self.store.samples_dir
        )
        if samples is None:
            raise HandlerError(P.INVALID_PARAMS, "no samples folder: pass 'samples'")

        def progress(done: int, total: int, path: str) -> None:
            ctx.check()
            ctx.notify(
                P.TRAIN_PROGRESS, {"id": ctx.msgid, "done": done, "total": total, "file": path}
            )

        iterations = ctx.param("iterations", int, 0)
        try:
            changes = self.store.train(samples, progress, ctx.cancel)
        except (SamplesFolderError, NoSamplesError) as exc:
            raise HandlerError(P.SAMPLES_UNAVAILABLE, str(exc)) from exc
        except InterruptedError:
            raise Cancelled() from None
        self.on_profile_event(changes, "trained")
        if iterations <= 0:
            return {**self.profile_info(), "skipped": changes.skipped}
        training = self._teacher_loop(ctx, samples, iterations)
        self.on_profile_event(self.store.reload(), "trained")
        return {**self.profile_info(), "skipped": changes.skipped, "training": training}

    def _teacher_loop(self, ctx: RequestContext, samples: Path, iterations: int) -> dict[str, Any]:
        """Run ``train-enhanced`` iterations on the daemon's loaded model (the editor's train
        command with teacher iterations). Progress events become ``train.progress``
        notifications; the learned rules land in the profile file, which is then reloaded."""
        from inkmod.training import TeacherConfig, TrainingConfig, TrainingError, run_training

        prompts = ctx.params.get("prompts")
        if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
            raise HandlerError(P.INVALID_PARAMS, "'prompts' must be a list of test prompts")
        teacher = ctx.params.get("teacher")
        if teacher is not None and not isinstance(teacher, dict):
            raise HandlerError(P.INVALID_PARAMS, "'teacher' must be {model, base_url} or nil")
        budget = ctx.param("budget_usd", (int, float))
        config = TrainingConfig(
            style_folder=samples,
            prompts=[p for p in prompts if p.strip()],
            backend=self.backend.name,
            iterations=iterations,
            profile=self.store.name,
            teacher=(
                TeacherConfig(model=teacher.get("model"), base_url=teacher.get("base_url"))
                if teacher
                else None
            ),
            budget_usd=None if budget is None else float(budget),
            resume=bool(ctx.params.get("resume", False)),
        )

        def on_progress(event: Any) -> None:
            ctx.notify(P.TRAIN_PROGRESS, {"id": ctx.msgid, "loop": event.to_dict()})

        backend = self.backend.get()
        self.backend.acquire(ctx)
        try:
            result = run_training(
                config, on_progress=on_progress, cancel=ctx.cancel, backend=backend
            )
        except TrainingError as exc:
            raise HandlerError(P.INVALID_PARAMS, str(exc)) from exc
        finally:
            self.backend.generate_lock.release()
        return result.to_dict()

    def profile_get(self, ctx: RequestContext) -> dict[str, Any]:
        with self.store.lock:
            self._require_profile()
            return self.profile_info(documents=bool(ctx.params.get("documents", True)))

    def profile_reload(self, ctx: RequestContext) -> dict[str, Any]:
        changes = self.store.reload()
        if self.store.profile is None:
            self._require_profile()
        self.on_profile_event(changes, "reloaded")
        return self.profile_info()

    def profile_info(self, documents: bool = False) -> dict[str, Any]:
        with self.store.lock:
            profile = self.store.profile
            info: dict[str, Any] = {
                "profile": self.store.name,
                "revision": self.store.revision,
                "samples_dir": str(self.store.samples_dir) if self.store.samples_dir else None,
                "summary": profile.summary() if profile is not None else None,
            }
            if documents and profile is not None:
                info["documents"] = profile.document_ids()
            return info

    def status_fields(self) -> dict[str, Any]:
        store = self.store
        return {
            "profile_state": "ready"
            if store.profile is not None
            else ("error" if store.error else "loading"),
            "profile_error": store.error,
            "revision": store.revision,
            "documents": store.document_count() if store.profile is not None else 0,
            "last_refresh": store.last_refresh,
            "backend": {
                "name": self.backend.name,
                "options": redact_options(self.backend.options),
                "loaded": self.backend.loaded,
                "error": self.backend.error,
                "load_seconds": self.backend.load_seconds,
            },
        }


Kind = Literal["cpu", "worker", "refresh"]


@dataclass(frozen=True)
class HandlerSpec:
    """How a method runs: ``cpu`` (short, on the analysis pool: must stay responsive),
    ``worker`` (long, on the generation pool: never delays ``cpu`` work) or ``refresh`` (on
    the single thread that mutates the profile's documents, so mutations never overlap)."""

    name: str
    kind: Kind
    needs_profile: bool
    """Wait for the profile to finish loading at start-up before running."""


HANDLERS: dict[str, HandlerSpec] = {
    P.ANALYZE: HandlerSpec("analyze", "cpu", True),
    P.PROFILE_GET: HandlerSpec("profile_get", "cpu", True),
    P.PROFILE_RELOAD: HandlerSpec("profile_reload", "refresh", True),
    P.REWRITE: HandlerSpec("rewrite", "worker", True),
    P.TRAIN: HandlerSpec("train", "worker", True),
}


def call(engine: Engine, spec: HandlerSpec, ctx: RequestContext) -> Any:
    """Run one handler in the current (worker) thread."""
    ctx.check()
    fn: Callable[[RequestContext], Any] = getattr(engine, spec.name)
    return fn(ctx)
