"""What the daemon *does*: the methods that touch the style engine and the model.

Everything here runs in worker threads, never on the event loop, and knows nothing about
sockets: a handler gets a :class:`RequestContext` (params, a cancel event, a thread-safe way to
stream notifications to the caller) and returns a msgpack-able result or raises
:class:`HandlerError`. The server maps everything else to an RPC error, so a bug in one request
is that request's error, not a dead daemon.

The model is reached only through :class:`BackendHolder` and :func:`run_rewrite`, two small
seams: adapting to a change in the backend or rewrite API means editing those, nothing else.

Backends come from the one registry, :mod:`inkmod.backends.registry`. A plugin module named in
``INKMOD_DAEMON_PLUGINS`` (comma separated, imported at daemon start-up) may add names to it with
:func:`~inkmod.backends.registry.register_backend`; the tests register their deterministic fake
model that way -- "a fake backend registered like any other".
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

from inkmod.cores import usable_cores
from inkmod.daemon.store import ChangeSet, ProfileStore
from inkmod.daemon.tuning import PersonalModel, TuneRun
from inkmod.rpc import protocol as P
from inkmod.rpc.security import redact_options

if TYPE_CHECKING:
    from inkmod.backends.base import Backend
    from inkmod.generation.rewrite import PersonalStyle
    from inkmod.style.document import ScoreCache
    from inkmod.style.profile import StyleProfile

log = logging.getLogger(__name__)

PLUGINS_ENV = "INKMOD_DAEMON_PLUGINS"


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
        from inkmod.backends.registry import create_backend

        self.options = {**daemon_backend_defaults(self.name), **self.options}
        return create_backend(self.name, **self.options)

    def acquire(self, ctx: RequestContext) -> None:
        while not self.generate_lock.acquire(timeout=0.05):
            ctx.check()

    # -- the personal adapter

    def supports_adapter(self) -> bool:
        """Only the model adapters are trained for (:mod:`inkmod.generation.personal.serving`)."""
        from inkmod.generation.personal.serving import adapter_applies

        return adapter_applies(self.name, self.options)

    @property
    def adapter(self) -> str | None:
        """The adapter the model is (or will be, on its next load) run with."""
        value = self.options.get("lora_path")
        return str(value) if value else None

    def use_adapter(self, path: Path | None) -> bool:
        """Apply (or drop) the personal adapter; True when that changed anything.

        llama.cpp applies a LoRA when the model loads, so a change closes the model -- after
        the running generation, never under it -- and the next request loads it again (about
        a second for the embedded model).
        """
        wanted = str(path) if path is not None and self.supports_adapter() else None
        if wanted == self.adapter:
            return False
        with self.generate_lock:
            if wanted:
                self.options["lora_path"] = wanted
            else:
                self.options.pop("lora_path", None)
            self.close()
        log.info("personal adapter %s", f"applied: {wanted}" if wanted else "removed")
        return True

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
    cores = usable_cores()
    return {"threads": max(1, cores - 1)}


def default_backend_name() -> str:
    from inkmod.backends.registry import DEFAULT_MODEL

    return DEFAULT_MODEL


OnToken = Callable[[int, int, str], None]
"""``(paragraph, candidate, piece)``."""
OnCandidate = Callable[[P.CandidateNotification], None]


def _candidate_report(found: Any) -> P.CandidateReport:
    return P.CandidateReport.from_wire(found.to_dict())


def verdict(source: str, done: Any) -> P.BlockVerdict:
    """The daemon's decision for one rewritten unit, as the client will apply it."""
    original = source[done.source_start : done.source_end]
    chosen = done.chosen
    return P.BlockVerdict(
        changed=done.changed,
        text=chosen.text if done.changed else original,
        original=original,
        source_start=done.source_start,
        source_end=done.source_end,
        original_drift=done.original_drift,
        drift=chosen.drift,
        preservation=round(chosen.preservation, 4) if done.changed else 1.0,
        original_surprise=None if done.original_z is None else round(done.original_z, 4),
        surprise=None if chosen.z is None else round(chosen.z, 4),
        reason=done.reason,
        candidates=[_candidate_report(c) for c in done.candidates],
        drift_change=done.drift_change,
    )


def run_rewrite(
    params: P.RewriteParams,
    fmt: str,
    profile: Any,
    backend: Backend,
    *,
    on_token: OnToken,
    on_candidate: OnCandidate,
    cancel: threading.Event,
    personal: PersonalStyle | None = None,
) -> P.RewriteResult:
    """The one call into the rewrite engine.

    With ``params.kind`` the text is one block the client extracted, rewritten as one unit
    (:func:`~inkmod.generation.rewrite.rewrite_block`); without, a document or selection whose
    blocks the engine finds (:func:`~inkmod.generation.rewrite.rewrite_text`). The engine numbers
    candidates per unit; we add the unit's position so a streaming client can tell them apart.
    """
    from inkmod.generation.rewrite import apply_rewrites, rewrite_block, rewrite_text

    started = time.perf_counter()
    unit = [0]

    def token(candidate: int, piece: str) -> None:
        on_token(unit[0], candidate, piece)

    def candidate(index: int, found: Any) -> None:
        on_candidate(P.CandidateNotification(**found.to_dict(), paragraph=unit[0], index=index))

    def unit_done(*_args: Any) -> None:
        unit[0] += 1

    text = params.text
    if params.kind is not None:
        done = rewrite_block(
            text,
            params.kind,
            profile,
            backend,
            k=params.k,
            on_token=token,
            on_candidate=candidate,
            on_unit=unit_done,
            cancel=cancel,
            personal=personal,
        )
        output = apply_rewrites(text, done)
    else:
        options: dict[str, Any] = {"only_drifting": params.only_drifting}
        if params.threshold is not None:
            options["threshold"] = params.threshold
        result = rewrite_text(
            text,
            profile,
            backend,
            fmt=fmt,
            k=params.k,
            on_token=token,
            on_candidate=candidate,
            on_paragraph=unit_done,
            cancel=cancel,
            personal=personal,
            **options,
        )
        done, output = result.paragraphs, result.text
    return P.RewriteResult(
        text=output,
        blocks=[verdict(text, d) for d in done],
        cancelled=cancel.is_set(),
        seconds=round(time.perf_counter() - started, 3),
        model="personal model" if personal is not None else "style prompt",
    )


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
    _figures_cache: tuple[int, dict[str, float]] | None = None
    personal: PersonalModel | None = None
    on_tune_progress: Callable[[dict[str, Any]], None] | None = None
    """Broadcasts the progress of a training run the daemon started by itself."""

    def __post_init__(self) -> None:
        from inkmod.style.document import ScoreCache

        self.cache = ScoreCache()
        self.personal = PersonalModel(
            self.store.name, on_adapter=self.backend.use_adapter, documents=self._documents
        )

    def _documents(self) -> dict[str, tuple[str, int]] | None:
        """The live profile's documents as the adapter's manifest records them."""
        from inkmod.generation.personal.adapter import profile_documents

        with self.store.lock:
            profile = self.store.profile
            return profile_documents(profile) if profile is not None else None

    def refresh_adapter(self, samples_changed: bool = False) -> None:
        """Apply the adapter that is valid now (or drop a stale one); after a sample change,
        let the personal model decide whether to retrain in the background."""
        assert self.personal is not None
        self.backend.use_adapter(self.personal.usable_adapter())
        if samples_changed:
            self.personal.samples_changed()

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
        return format_for_language_id(value)

    # -- methods

    def analyze(self, ctx: RequestContext) -> dict[str, Any]:
        from inkmod.style.reports import analyze_text

        params = P.AnalyzeParams.from_wire(ctx.params)
        ignored = frozenset(params.ignored)
        started = time.perf_counter()
        reports: list[P.BlockReport] = []
        with self.store.lock:
            profile = self._require_profile()
            revision = self.store.revision
            if params.blocks is not None:
                limit = params.threshold
                for index, block in enumerate(params.blocks):
                    ctx.check()
                    reports.append(self._score_block(block, index, profile, limit, ignored))
            else:
                assert params.text is not None
                fmt = self._format(params.fmt)
                for report in analyze_text(
                    params.text,
                    fmt,
                    profile,
                    threshold=params.threshold,
                    cache=self.cache,
                    ignored=ignored,
                    check=ctx.check,
                ):
                    reports.append(P.BlockReport.from_wire(report.to_dict()))
        return P.AnalyzeResult(
            profile=self.store.name,
            revision=revision,
            reports=reports,
            seconds=round(time.perf_counter() - started, 6),
        ).to_wire()

    def _score_block(
        self,
        block: P.Block,
        index: int,
        profile: StyleProfile,
        threshold: float | None,
        ignored: frozenset[str],
    ) -> P.BlockReport:
        """Score one block the client extracted, as it is: never re-parsed as markup."""
        from inkmod.style.document import DEFAULT_THRESHOLD, text_hash

        assert self.cache is not None
        key = (text_hash(block.text), profile.updated_at)  # our own key, not the client's hash
        result = self.cache.get(key)
        if result is None:
            result = profile.score_text(block.text)
            self.cache.put(key, result)
        score, reasons = result.score, list(result.reasons)
        if block.hash in ignored:
            score, reasons = None, ["ignored at your request"]
        limit = DEFAULT_THRESHOLD if threshold is None else threshold
        return P.BlockReport(
            hash=block.hash,
            kind=block.kind,
            words=result.words,
            score=score,
            drifting=score is not None and score > limit,
            reasons=reasons,
            components={k: round(v, 3) for k, v in result.components.items()},
            surprise=None if result.z is None else round(result.z, 4),
            index=index,
        )

    def rewrite(self, ctx: RequestContext) -> dict[str, Any]:
        params = P.RewriteParams.from_wire(ctx.params)
        fmt = self._format(params.fmt or "plaintext")
        try:
            profile = self.store.snapshot()
        except LookupError as exc:
            raise HandlerError(P.PROFILE_NOT_FOUND, str(exc)) from None
        ctx.check()

        def on_token(paragraph: int, candidate: int, piece: str) -> None:
            if params.stream and piece:
                ctx.notify(
                    P.REWRITE_TOKEN,
                    P.TokenNotification(ctx.msgid, paragraph, candidate, piece).to_wire(),
                )

        def on_candidate(candidate: P.CandidateNotification) -> None:
            candidate.id = ctx.msgid
            ctx.notify(P.REWRITE_CANDIDATE, candidate.to_wire())

        from inkmod.backends.errors import BackendError

        self.backend.acquire(ctx)
        try:
            ctx.check()
            # Under the generate lock: an adapter swap (which closes the model) cannot come
            # between loading the model and using it.
            backend = self.backend.get()
            result = run_rewrite(
                params,
                fmt,
                profile,
                backend,
                on_token=on_token,
                on_candidate=on_candidate,
                cancel=ctx.cancel,
                personal=self.personal_style(),
            )
        except BackendError as exc:
            raise HandlerError(P.BACKEND_ERROR, str(exc)) from exc
        finally:
            self.backend.generate_lock.release()
        ctx.check()
        result.revision = self.store.revision
        return result.to_wire()

    def train(self, ctx: RequestContext) -> dict[str, Any]:
        from inkmod.style.build import NoSamplesError
        from inkmod.style.ingest import SamplesFolderError

        params = P.TrainParams.from_wire(ctx.params)
        samples = (
            Path(params.samples).expanduser().resolve()
            if params.samples
            else self.store.samples_dir
        )
        if samples is None:
            raise HandlerError(P.INVALID_PARAMS, "no samples folder: pass 'samples'")

        def progress(done: int, total: int, path: str) -> None:
            ctx.check()
            ctx.notify(
                P.TRAIN_PROGRESS,
                P.TrainProgressNotification(ctx.msgid, done, total, path).to_wire(),
            )

        iterations = params.iterations
        try:
            changes = self.store.train(samples, progress, ctx.cancel)
        except (SamplesFolderError, NoSamplesError) as exc:
            raise HandlerError(P.SAMPLES_UNAVAILABLE, str(exc)) from exc
        except InterruptedError:
            raise Cancelled() from None
        self.on_profile_event(changes, "trained")
        training = None
        if iterations > 0:
            training = self._teacher_loop(ctx, params, samples)
            self.on_profile_event(self.store.reload(), "trained")
        info = self.profile_info()
        return P.TrainResult(
            **vars(info), skipped=list(changes.skipped), training=training
        ).to_wire()

    def _teacher_loop(
        self, ctx: RequestContext, params: P.TrainParams, samples: Path
    ) -> dict[str, Any]:
        """Run ``train-enhanced`` iterations on the daemon's loaded model (the editor's train
        command with teacher iterations). Progress events become ``train.progress``
        notifications; the learned rules land in the profile file, which is then reloaded."""
        from inkmod.training import TeacherConfig, TrainingConfig, TrainingError, run_training

        if "prompts" not in ctx.params:
            raise HandlerError(P.INVALID_PARAMS, "'prompts' must be a list of test prompts")
        teacher = params.teacher
        config = TrainingConfig(
            style_folder=samples,
            prompts=[p for p in params.prompts if p.strip()],
            backend=self.backend.name,
            iterations=params.iterations,
            profile=self.store.name,
            teacher=(
                TeacherConfig(model=teacher.model, base_url=teacher.base_url) if teacher else None
            ),
            budget_usd=params.budget_usd,
            resume=params.resume,
        )

        def on_progress(event: Any) -> None:
            ctx.notify(
                P.TRAIN_PROGRESS,
                P.TrainProgressNotification(ctx.msgid, loop=event.to_dict()).to_wire(),
            )

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

    def tune(self, ctx: RequestContext) -> dict[str, Any]:
        """Train the personal model on the profile's samples, streaming ``tune.progress``;
        cancelling keeps the checkpoint (the next run resumes). The new adapter is applied
        to the loaded model as soon as it is complete."""
        from inkmod.generation.personal.pairs import TooFewWordsError
        from inkmod.generation.personal.pipeline import TuneError

        params = P.TuneParams.from_wire(ctx.params)
        assert self.personal is not None

        def on_progress(run: TuneRun) -> None:
            ctx.notify(
                P.TUNE_PROGRESS,
                P.TuneProgressNotification(
                    ctx.msgid, run.phase, run.step, run.total, run.loss, run.seconds_left
                ).to_wire(),
            )

        try:
            outcome = self.personal.train(
                samples=self.store.samples_dir,
                max_minutes=params.max_minutes,
                neutraliser=params.neutraliser,
                cancel=ctx.cancel,
                on_progress=on_progress,
            )
        except (TooFewWordsError, TuneError, KeyError) as exc:
            raise HandlerError(P.SAMPLES_UNAVAILABLE, str(exc).strip("'\"")) from exc
        except RuntimeError as exc:
            raise HandlerError(P.INVALID_REQUEST, str(exc)) from exc
        except ImportError as exc:
            raise HandlerError(
                P.BACKEND_ERROR,
                f"tuning needs the tune extra ({exc.name}): pip install 'inkmod[tune]'",
            ) from exc
        return P.TuneResult(
            status=outcome["status"],
            steps=outcome["steps"],
            total_steps=outcome["total_steps"],
            seconds=outcome["seconds"],
            words=outcome["words"],
            validation_loss=outcome["validation_loss"],
            base_validation_loss=outcome["base_validation_loss"],
            adapter=self.adapter_status(),
        ).to_wire()

    def personal_style(self) -> PersonalStyle | None:
        """Rewrite through the adapter iff the loaded model has one applied (the decision is
        made here, once, for every client)."""
        if self.backend.adapter is None or not self.backend.loaded:
            return None
        from inkmod.generation.personal.serving import style_for

        style = style_for(Path(self.backend.adapter))
        if style is None:
            log.warning("the adapter's neutraliser is missing here; using the style prompt")
        return style

    def adapter_status(self) -> P.AdapterStatus:
        """The personal adapter's state for ``status`` and ``tune``."""
        assert self.personal is not None
        state = self.personal.state()
        return P.AdapterStatus(
            kind=str(state.get("kind")),
            usable=bool(state.get("usable")),
            in_use=self.backend.adapter is not None and self.backend.adapter == state.get("path"),
            description=str(state.get("description") or ""),
            path=state.get("path"),
            revision=state.get("revision"),
            percent=state.get("percent"),
            reason=state.get("reason"),
            validation_loss=state.get("validation_loss"),
        )

    def profile_get(self, ctx: RequestContext) -> dict[str, Any]:
        params = P.ProfileGetParams.from_wire(ctx.params)
        with self.store.lock:
            self._require_profile()
            info = self.profile_info(documents=params.documents, figures=params.figures)
        return info.to_wire()

    def profile_reload(self, ctx: RequestContext) -> dict[str, Any]:
        changes = self.store.reload()
        if self.store.profile is None:
            self._require_profile()
        self.on_profile_event(changes, "reloaded")
        return self.profile_info().to_wire()

    def profile_info(self, documents: bool = False, figures: bool = False) -> P.ProfileInfo:
        with self.store.lock:
            profile = self.store.profile
            info = P.ProfileInfo(
                profile=self.store.name,
                revision=self.store.revision,
                samples_dir=str(self.store.samples_dir) if self.store.samples_dir else None,
                summary=profile.summary() if profile is not None else None,
            )
            if documents and profile is not None:
                info.documents = profile.document_ids()
            if figures and profile is not None:
                info.figures = self._figures(profile)
            return info

    def _figures(self, profile: StyleProfile) -> dict[str, float]:
        """The writer's style figures (hover), computed once per profile revision."""
        revision = self.store.revision
        cached = self._figures_cache
        if cached is None or cached[0] != revision:
            from inkmod.style.figures import profile_figures

            cached = self._figures_cache = (revision, profile_figures(profile))
        return cached[1]

    def status_fields(self) -> dict[str, Any]:
        """The engine's part of :class:`~inkmod.rpc.protocol.StatusResult`."""
        store = self.store
        return {
            "profile_state": "ready"
            if store.profile is not None
            else ("error" if store.error else "loading"),
            "profile_error": store.error,
            "revision": store.revision,
            "documents": store.document_count() if store.profile is not None else 0,
            "last_refresh": store.last_refresh,
            "backend": P.BackendStatus(
                name=self.backend.name,
                options=redact_options(self.backend.options),
                loaded=self.backend.loaded,
                error=self.backend.error,
                load_seconds=self.backend.load_seconds,
            ),
            "adapter": self.adapter_status(),
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
    P.TUNE: HandlerSpec("tune", "worker", True),
}


def call(engine: Engine, spec: HandlerSpec, ctx: RequestContext) -> Any:
    """Run one handler in the current (worker) thread; a malformed request is
    ``INVALID_PARAMS``."""
    ctx.check()
    fn: Callable[[RequestContext], Any] = getattr(engine, spec.name)
    try:
        return fn(ctx)
    except P.ProtocolError as exc:
        raise HandlerError(P.INVALID_PARAMS, str(exc)) from None
