"""The reinforcement loop: extract patterns, then per iteration generate → critique → update →
analyse, checkpointing as it goes.

Why this shape: the local model is small and cheap, the teacher is strong and expensive. The
teacher never writes the drafts; it only judges a batch of them and writes *one* better version
per batch, and what it says is distilled into the profile (rules, exemplars, weights, sampling
settings) that every later local generation reads. Each iteration's scores are measured on the
drafts generated with what the previous iterations learned, so iteration 1 is the untrained
starting point and the trend across iterations is the effect of the loop.

Entry point: :func:`run_training` (used by ``inkmod train-enhanced`` and the daemon's ``train``
method). It reports through a progress callback and stops at the next safe point when the
``cancel`` event is set; whatever stops it, the checkpoint and reports are up to date.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from inkmod.backends.base import Backend
from inkmod.generation.generate import (
    Cancelled,
    LocalOutput,
    baseline_output,
    generate_output,
    generation_settings,
)
from inkmod.style.build import build_profile
from inkmod.style.storage import load_profile, save_profile, validate_name
from inkmod.training.checkpoint import (
    Checkpoint,
    checkpoint_path,
    fingerprint,
    training_dir,
)
from inkmod.training.config import (
    ProgressCallback,
    ProgressEvent,
    TrainingConfig,
    TrainingError,
    TrainingResult,
)
from inkmod.training.costs import Budget, BudgetExceededError, Price, Usage
from inkmod.training.feedback import Feedback, drift_feedback, merge
from inkmod.training.judge import judge
from inkmod.training.performance import (
    baseline_profile,
    fidelity_scores,
    own_scores,
)
from inkmod.training.records import iteration_record, run_report
from inkmod.training.report import write_reports
from inkmod.training.secrets import scrub
from inkmod.training.teacher import (
    DEFAULT_OPENAI_MODEL,
    Draft,
    Teacher,
    TeacherError,
    build_messages,
    writer_excerpts,
)
from inkmod.training.update import update_from_feedback

log = logging.getLogger(__name__)
LOG_NAME = "training.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def load_prompts(path: Path) -> list[str]:
    """Test prompts: one per non-empty line; lines starting with ``#`` are comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrainingError(f"cannot read the prompts file {path}: {exc.strerror or exc}") from None
    prompts = [line.strip() for line in text.splitlines()]
    return [p for p in prompts if p and not p.startswith("#")]


def run_training(
    config: TrainingConfig,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    backend: Backend | None = None,
) -> TrainingResult:
    """Run (or resume) a training run; see docs/training.md.

    ``backend``: an already loaded local model to use instead of creating ``config.backend``
    (the daemon passes the one it holds; it is not closed here). Raises :class:`TrainingError`
    for problems the user must fix before a run can start; every problem *during* a run ends
    in a result whose ``status`` says how it stopped, with checkpoint and reports saved.
    """
    return _Run(config, on_progress, cancel, backend).run()


class _ScrubFilter(logging.Filter):
    """Masks keys in every record written to the run log, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


class _Run:
    """One call of :func:`run_training`: its state, so the steps stay small methods."""

    def __init__(
        self,
        config: TrainingConfig,
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
        backend: Backend | None,
    ) -> None:
        self.cfg = config
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.backend = backend
        self.own_backend = backend is None
        self.teacher: Teacher | None = None
        self.ckpt_path = checkpoint_path(config.profile)
        self.report_dir = config.report_dir or training_dir(config.profile) / "report"
        self.price: Price | None = None
        self.price_source = ""
        self.reference_price: Price | None = None
        self.privacy = ""
        self.profile_path: str | None = None
        self.iteration = 0

    # -- plumbing ------------------------------------------------------------------------------

    def emit(self, kind: str, message: str = "", **fields: Any) -> None:
        event = ProgressEvent(
            kind=kind,
            message=scrub(message),
            iteration=fields.pop("iteration", self.iteration),
            iterations=self.cfg.iterations,
            **fields,
        )
        if message:
            log.info("%s: %s", kind, event.message)
        if self.on_progress is not None:
            self.on_progress(event)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled

    def run(self) -> TrainingResult:
        self.cfg.validate()
        validate_name(self.cfg.profile)
        handler: logging.Handler | None = None
        logger = logging.getLogger("inkmod")
        old_level = logger.level
        if not self.cfg.dry_run:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(self.report_dir / LOG_NAME, encoding="utf-8")
            handler.addFilter(_ScrubFilter())
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            logger.addHandler(handler)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        try:
            return self._run()
        finally:
            if self.teacher is not None:
                self.teacher.close()
            if self.own_backend and self.backend is not None:
                self.backend.close()
            if handler is not None:
                logger.removeHandler(handler)
                logger.setLevel(old_level)
                handler.close()

    # -- the run -------------------------------------------------------------------------------

    def _run(self) -> TrainingResult:
        cfg = self.cfg
        fp = fingerprint(cfg.style_folder, cfg.prompts, cfg.backend, cfg.max_tokens)
        ckpt, resumed = self._open_checkpoint(fp)

        self.emit("phase", "extracting the writer's patterns", phase="extract")
        profile, skipped = build_profile(cfg.style_folder, cfg.profile)
        for skip in skipped:
            self.emit("warning", f"skipped {skip.path}: {skip.reason}")
        stats = profile.summary()
        self.emit("stats", "phase 1 done", phase="extract", data=stats)
        profile.learned = copy.deepcopy(ckpt.learned) if resumed else self._initial_learned()

        excerpts: list[str] = []
        if cfg.teacher is not None:
            self.teacher = Teacher(cfg.teacher)
            excerpts = writer_excerpts(profile, cfg.teacher.excerpt_words)
            self.privacy = self._privacy_notice(excerpts)
            self.emit("notice", self.privacy, phase="privacy")
        if cfg.dry_run:
            return self._dry_run(profile, excerpts)

        if not resumed:
            ckpt.snapshot_learned(profile.learned)
        ckpt.stats = stats
        ckpt.status, ckpt.message = "running", ""
        budget = Budget(cfg.budget_usd, None, ckpt.spent_usd, Usage.from_dict(ckpt.usage))
        try:
            self._connect_teacher(ckpt, budget)
            if ckpt.done >= cfg.iterations:
                ckpt.status = "completed"
                ckpt.message = (
                    f"all {ckpt.done} iterations were already done; raise --iterations to go on"
                )
            else:
                self._load_backend()
                source = self._baseline(profile, ckpt)
                for it in range(ckpt.done + 1, cfg.iterations + 1):
                    self.iteration = it
                    self._iteration(it, profile, ckpt, excerpts, budget, source)
                    self._write_reports(ckpt)
                ckpt.status, ckpt.message = "completed", ""
        except BudgetExceededError as exc:
            ckpt.status, ckpt.message = "budget", str(exc)
            self.emit("warning", str(exc), phase="budget")
        except TeacherError as exc:
            ckpt.status = "stopped"
            ckpt.message = str(exc) + (
                "; progress is saved: run again with --resume" if _has_progress(ckpt) else ""
            )
            self.emit("warning", ckpt.message, phase="teacher")
        except Cancelled:
            ckpt.status, ckpt.message = "cancelled", "cancelled; run again with --resume"
            self.emit("warning", ckpt.message, phase="cancel")
        except BaseException as exc:
            # Keep what was produced (Ctrl-C, a backend failure); a run that failed before
            # producing anything leaves no checkpoint behind to trip over.
            if _has_progress(ckpt):
                if isinstance(exc, KeyboardInterrupt):
                    ckpt.status, ckpt.message = "cancelled", "interrupted; run again with --resume"
                else:
                    ckpt.status, ckpt.message = "stopped", scrub(f"{type(exc).__name__}: {exc}")
                ckpt.spent_usd, ckpt.usage = budget.spent_usd, budget.usage.to_dict()
                with suppress(Exception):
                    ckpt.save(self.ckpt_path)
            raise
        ckpt.spent_usd, ckpt.usage = budget.spent_usd, budget.usage.to_dict()
        if _has_progress(ckpt) or resumed:
            ckpt.save(self.ckpt_path)
        # else: stopped before producing anything -- no checkpoint to resume or trip over.
        report, files = self._write_reports(ckpt)
        self.emit("done", ckpt.message or ckpt.status, data={"status": ckpt.status})
        return TrainingResult(
            status=ckpt.status,
            message=ckpt.message,
            profile=cfg.profile,
            profile_path=self.profile_path,
            checkpoint_path=str(self.ckpt_path),
            report=report,
            files=files,
        )

    def _open_checkpoint(self, fp: dict[str, Any]) -> tuple[Checkpoint, bool]:
        """The checkpoint to continue, or a new one; refuses to guess between the two."""
        cfg = self.cfg
        new = Checkpoint(cfg.profile, fp, teacher=cfg.teacher.to_dict() if cfg.teacher else None)
        if cfg.dry_run:
            return new, False
        path = self.ckpt_path
        if not path.exists():
            if cfg.resume:
                self.emit("warning", f"no checkpoint for profile {cfg.profile!r}; starting fresh")
            return new, False
        if cfg.fresh:
            path.unlink()
            return new, False
        old = Checkpoint.load(path)
        if not cfg.resume:
            raise TrainingError(
                f"profile {cfg.profile!r} has a training checkpoint ({old.status}, "
                f"{old.done} iteration(s) done) at {path}: use --resume to continue it or "
                "--fresh to start over"
            )
        for key in ("style_folder", "prompts_sha256", "backend", "max_tokens"):
            if old.fingerprint.get(key) != fp[key]:
                raise TrainingError(
                    f"cannot resume: {key.replace('_', ' ')} differs from the checkpoint's "
                    f"({old.fingerprint.get(key)!r} vs {fp[key]!r}); use --fresh to start over"
                )
        if cfg.teacher is not None:
            old.teacher = cfg.teacher.to_dict()
        self.emit("notice", f"resuming after iteration {old.done} ({old.status})", phase="resume")
        return old, True

    def _initial_learned(self) -> dict[str, Any]:
        """A fresh start forgets what earlier runs learned, except the author's name."""
        with suppress(Exception):
            author = load_profile(self.cfg.profile).learned.get("author")
            if author:
                return {"author": author}
        return {}

    def _privacy_notice(self, excerpts: Sequence[str]) -> str:
        assert self.cfg.teacher is not None
        teacher = self.cfg.teacher
        where = teacher.resolved_base_url()
        local = "on this machine" if teacher.is_local() else "ANOTHER MACHINE: this leaves yours"
        calls = -(-len(self.cfg.prompts) // max(1, teacher.batch_size))
        words = sum(len(e.split()) for e in excerpts)
        return (
            f"teacher {teacher.model or '(server default model)'} at {where} ({local}). "
            f"Each iteration makes {calls} call(s) sending: your style figures (sentence length, "
            f"tone, common phrases), {len(excerpts)} excerpt(s) of your samples ({words} words, "
            f"the same each time), the {len(self.cfg.prompts)} test prompts and the local "
            "model's drafts for them. Nothing else; the API key goes only in the Authorization "
            "header and is never written anywhere. --dry-run shows the exact requests."
        )

    def _dry_run(self, profile: Any, excerpts: list[str]) -> TrainingResult:
        requests: list[dict[str, Any]] = []
        if self.teacher is None:
            message = "no teacher: nothing would be sent anywhere (the drift score is the critic)"
        else:
            size = max(1, self.teacher.config.batch_size)
            drafts = [
                Draft(p, f"<the local model's draft for prompt {i}>")
                for i, p in enumerate(self.cfg.prompts, start=1)
            ]
            for offset in range(0, len(drafts), size):
                batch = drafts[offset : offset + size]
                messages = build_messages(
                    profile, batch, excerpts, include_schema=self.teacher.json_mode == "prompt"
                )
                request = self.teacher.describe(messages, len(batch))
                requests.append(request)
                self.emit("request", f"request {len(requests)}", phase="dry-run", data=request)
            message = (
                f"dry run: {len(requests)} request(s) per iteration shown; nothing was sent, "
                "nothing was written"
            )
        self.emit("done", message, data={"status": "dry-run"})
        return TrainingResult("dry-run", message, self.cfg.profile, requests=requests)

    def _connect_teacher(self, ckpt: Checkpoint, budget: Budget) -> None:
        """Connect (asks the server for its model when none is named) and settle the price."""
        cfg = self.cfg
        self.reference_price = cfg.teacher_price or cfg.prices.lookup(DEFAULT_OPENAI_MODEL)
        if self.teacher is None or cfg.teacher is None:
            self.price_source = "no teacher"
            return
        self.emit("phase", "connecting to the teacher", phase="connect")
        self.teacher.connect()
        if ckpt.teacher is not None:
            ckpt.teacher["model"] = self.teacher.model
        if cfg.teacher_price is not None:
            self.price, self.price_source = cfg.teacher_price, "--teacher-price"
        elif (found := cfg.prices.lookup(self.teacher.model)) is not None:
            self.price, self.price_source = found, "price table"
        elif cfg.teacher.is_local():
            self.price, self.price_source = Price(0.0, 0.0), "local teacher, free"
        else:
            self.price_source = "unknown: pass --teacher-price IN,OUT"
        if cfg.budget_usd is not None and self.price is None:
            raise TrainingError(
                f"--budget needs the price of {self.teacher.model!r}: pass --teacher-price IN,OUT "
                "(USD per million tokens) or --price-table FILE"
            )
        self.reference_price = self.price or self.reference_price
        budget.price = self.price

    def _load_backend(self) -> None:
        if self.backend is None:
            from inkmod.backends.registry import create_backend

            self.emit("phase", f"loading {self.cfg.backend}", phase="load")
            self.backend = create_backend(self.cfg.backend)
            self.backend.load()

    def _baseline(self, profile: Any, ckpt: Checkpoint) -> Any:
        """The model's unstyled answers (once per run): the source style for ``away``."""
        assert self.backend is not None
        prompts = self.cfg.prompts
        base = ckpt.baseline or {"texts": []}
        texts: list[str] = list(base["texts"])
        if len(texts) < len(prompts):
            self.emit("phase", "baseline: the model's own voice", phase="baseline")
            for index in range(len(texts), len(prompts)):
                self.check_cancel()
                texts.append(
                    baseline_output(
                        self.backend,
                        prompts[index],
                        max_tokens=self.cfg.max_tokens,
                        cancel=self.cancel,
                    )
                )
                ckpt.baseline = {"texts": texts}
                ckpt.save(self.ckpt_path)
                self.emit("step", "baseline", phase="baseline", step=index + 1, steps=len(prompts))
        if "ours" not in base:
            judgements = [judge(profile, t) for t in texts]
            ckpt.baseline = {
                "texts": texts,
                "ours": own_scores(judgements),
                "fidelity": fidelity_scores(profile, prompts, texts, None),
            }
            ckpt.baseline["fidelity"]["away"] = ckpt.baseline["fidelity"]["joint"] = None
            ckpt.save(self.ckpt_path)
        return baseline_profile(texts)

    # -- one iteration -------------------------------------------------------------------------

    def _iteration(
        self,
        it: int,
        profile: Any,
        ckpt: Checkpoint,
        excerpts: list[str],
        budget: Budget,
        source: Any,
    ) -> None:
        cfg = self.cfg
        assert self.backend is not None
        current = ckpt.current if ckpt.current and ckpt.current.get("iteration") == it else None
        if current is None:
            current = {"iteration": it, "outputs": [], "batches": {}, "started_at": time.time()}
            ckpt.current = current
        # Redo from the snapshot taken before this iteration: never apply an update twice.
        profile.learned = copy.deepcopy(ckpt.learned)
        settings = generation_settings(profile)
        n = len(cfg.prompts)

        self.emit("phase", f"iteration {it}: generating locally", phase="generate")
        outputs = [LocalOutput.from_dict(d) for d in current["outputs"]]
        for index in range(len(outputs), n):
            self.check_cancel()
            output = generate_output(
                profile,
                self.backend,
                cfg.prompts[index],
                max_tokens=cfg.max_tokens,
                max_k=cfg.max_k,
                cancel=self.cancel,
            )
            outputs.append(output)
            current["outputs"].append(output.to_dict())
            ckpt.save(self.ckpt_path)
            self.emit("step", cfg.prompts[index], phase="generate", step=index + 1, steps=n)
        judgements = [judge(profile, o.text) for o in outputs]

        feedback = self._critique(it, profile, outputs, judgements, ckpt, excerpts, budget)

        self.emit("phase", f"iteration {it}: updating the profile", phase="update")
        summary = update_from_feedback(profile, feedback, outputs, iteration=it, max_k=cfg.max_k)
        self.profile_path = str(save_profile(profile))

        self.emit("phase", f"iteration {it}: analysing", phase="analyse")
        record = iteration_record(
            it,
            profile,
            outputs,
            judgements,
            feedback,
            list(current["batches"].values()),
            source,
            critic="teacher" if self.teacher else "drift",
            price=self.price,
            reference_price=self.reference_price,
        )
        record["update"] = summary.to_dict()
        record["generation_used"] = {
            "temperature": settings["temperature"],
            "k": max(1, min(cfg.max_k, int(settings["k"]))),
        }
        record["cost"]["cumulative_teacher_usd"] = (
            round(budget.spent_usd, 6) if self.price else None
        )
        ckpt.iterations.append(record)
        ckpt.current = None
        ckpt.snapshot_learned(profile.learned)
        ckpt.spent_usd, ckpt.usage = budget.spent_usd, budget.usage.to_dict()
        ckpt.save(self.ckpt_path)
        self.emit("iteration", f"iteration {it} done", phase="analyse", data=record)

    def _critique(
        self,
        it: int,
        profile: Any,
        outputs: list[LocalOutput],
        judgements: list[Any],
        ckpt: Checkpoint,
        excerpts: list[str],
        budget: Budget,
    ) -> Feedback | None:
        if self.teacher is None or self.cfg.teacher is None:
            self.emit("phase", f"iteration {it}: drift critic", phase="critique")
            return drift_feedback(profile, [o.text for o in outputs], judgements)
        assert ckpt.current is not None
        batches: dict[str, Any] = ckpt.current["batches"]
        size = max(1, self.cfg.teacher.batch_size)
        drafts = [Draft(o.prompt, o.text) for o in outputs]
        offsets = list(range(0, len(drafts), size))
        self.emit("phase", f"iteration {it}: asking the teacher", phase="critique")
        for number, offset in enumerate(offsets, start=1):
            if str(offset) in batches:
                continue
            self.check_cancel()
            reply = self.teacher.critique(
                profile, drafts[offset : offset + size], excerpts, offset=offset, budget=budget
            )
            batches[str(offset)] = {
                "feedback": reply.feedback.to_dict() if reply.feedback else None,
                "usage": reply.usage.to_dict(),
                "cost_usd": reply.cost_usd,
                "attempts": reply.attempts,
                "errors": reply.errors,
                "usage_estimated": reply.usage_estimated,
                "json_mode": reply.json_mode,
            }
            ckpt.spent_usd, ckpt.usage = budget.spent_usd, budget.usage.to_dict()
            ckpt.save(self.ckpt_path)
            if reply.feedback is None:
                self.emit(
                    "warning",
                    f"teacher batch {number} skipped: {'; '.join(reply.errors)}",
                    phase="critique",
                )
            self.emit(
                "step", f"teacher batch {number}", phase="critique", step=number, steps=len(offsets)
            )
        parts = [
            Feedback.from_dict(batches[str(o)]["feedback"])
            for o in offsets
            if batches.get(str(o), {}).get("feedback")
        ]
        return merge(parts)

    # -- reports -------------------------------------------------------------------------------

    def _write_reports(self, ckpt: Checkpoint) -> tuple[dict[str, Any], dict[str, str]]:
        report = run_report(
            self.cfg,
            ckpt,
            privacy=self.privacy,
            price=self.price,
            price_source=self.price_source,
            reference_price=self.reference_price,
        )
        files = write_reports(report, self.report_dir)
        files["log"] = str(self.report_dir / LOG_NAME)
        files["checkpoint"] = str(self.ckpt_path)
        return report, files


def _has_progress(ckpt: Checkpoint) -> bool:
    """Whether the run produced anything worth resuming (drafts, answers, iterations)."""
    return bool(ckpt.baseline or ckpt.iterations or ckpt.current)
