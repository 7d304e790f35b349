"""LoRA training of the embedded SmolLM2-135M on the writer's (neutral -> own text) pairs.

Why LoRA on the shipped GGUF: the only weights a user is guaranteed to have are the embedded
SmolLM2 file, and nothing may be downloaded at run time. transformers dequantises that GGUF into
a float32 torch model (~20 s); a low-rank adapter trains in minutes on two CPU cores and exports
to a few-MB llama.cpp LoRA that rewrites load without leaving llama.cpp.

Why the loop is hand-written rather than ``transformers.Trainer``: we need exactly three things
it makes awkward: a wall-clock budget (``max_minutes``) that shrinks the schedule to fit after
measuring the first steps, a cancel event checked between steps, and a checkpoint (adapter,
optimizer, RNG and step, written atomically) that the next run resumes from when the data and
settings are unchanged.

Loss is taken on the completion tokens only (the writer's text and the end-of-text token), so the
model learns to *write* the target, not to reproduce the prompt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inkmod.atomic import atomic_write_bytes
from inkmod.generation.personal.format import PROMPT_FORMAT_VERSION, training_example
from inkmod.generation.personal.pairs import TrainingPair

CHECKPOINT_STATE = "state.pt"
MAX_VALIDATION_PAIRS = 16
"""Validation passages evaluated (spread evenly over the held-out ones): enough to compare the
adapter with the base model, few enough that a held-out book does not eat the time budget
(it is evaluated twice, before and after training, inside ``max_minutes``)."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters. Defaults chosen by validation loss on held-out documents (see docs)."""

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    learning_rate: float = 1e-3
    epochs: float = 2.0
    batch_size: int = 4
    max_tokens: int = 640  # per example (prompt + completion); longer ones are cut
    warmup_steps: int = 4
    seed: int = 0
    checkpoint_seconds: float = 60.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data


@dataclass(frozen=True)
class Progress:
    """One progress report: after ``step`` of ``total`` optimizer steps."""

    step: int
    total: int
    loss: float | None
    seconds_left: float | None
    phase: str = "train"  # "load", "validate", "train"


ProgressFn = Callable[[Progress], None]


@dataclass
class TrainOutcome:
    """What a training run produced; ``lora_state`` is None when nothing was trained."""

    lora_state: dict[str, Any] | None
    steps: int
    total_steps: int
    validation_loss: float | None
    base_validation_loss: float | None
    train_loss: float | None
    cancelled: bool
    capped: bool
    resumed_from: int
    seconds: float
    seconds_per_step: float | None
    model_config: dict[str, int] = field(default_factory=dict)


# --- the base model ---------------------------------------------------------------------------


@dataclass
class BaseModel:
    """The dequantised base model and its tokenizer (load once; reuse across runs and tests)."""

    model: Any
    tokenizer: Any
    path: Path

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    def config_numbers(self) -> dict[str, int]:
        c = self.model.config
        return {
            "n_head": int(c.num_attention_heads),
            "n_kv_head": int(getattr(c, "num_key_value_heads", None) or c.num_attention_heads),
            "n_layers": int(c.num_hidden_layers),
        }


def set_threads(threads: int | None) -> None:
    """torch threads: ``threads``, else half the cores (at least one).

    Measured on a busy 2-core machine (load ~6): one training step of 4 passages took 26-27 s
    with 1 thread and 58-78 s with 2, because torch's worker threads, like llama.cpp's, wait for
    each other and one descheduled thread stalls the rest. InkMod shares the machine with an
    editor, so it leaves headroom by default; a dedicated machine passes ``threads``.
    """
    import torch

    from inkmod.backends.llama_cpp import default_threads

    torch.set_num_threads(max(1, int(threads)) if threads else default_threads())


def load_base(gguf_path: Path, threads: int | None = None) -> BaseModel:
    """SmolLM2 from its shipped GGUF, dequantised to float32 by transformers (no download)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    set_threads(threads)
    hf_logging.set_verbosity_error()
    # Our own progress bar says what is happening; transformers' tqdm bars would draw over it.
    hf_logging.disable_progress_bar()
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    # The GGUF converter draws its own tqdm bar on stderr whatever the settings say.
    with contextlib.redirect_stderr(io.StringIO()):
        model: Any = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    model = model.to(torch.float32)  # dequantised weights, trained in float32 on the CPU
    model.eval()
    return BaseModel(model=model, tokenizer=tokenizer, path=gguf_path)


# --- data -------------------------------------------------------------------------------------

Encoded = tuple[list[int], list[int]]  # input ids, labels (-100 where no loss is taken)


def encode_pair(tokenizer: Any, pair: TrainingPair, max_tokens: int, eos_id: int) -> Encoded:
    """Prompt and completion tokenised separately, exactly as llama.cpp tokenises the prompt."""
    prompt, completion = training_example(pair.neutral, pair.target)
    p_ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    c_ids = [*tokenizer(completion, add_special_tokens=False)["input_ids"], eos_id]
    ids = (p_ids + c_ids)[:max_tokens]
    labels = ([-100] * len(p_ids) + c_ids)[:max_tokens]
    return ids, labels


def plan_batches(
    lengths: Sequence[int], batch_size: int, epochs: float, seed: int
) -> list[list[int]]:
    """The whole run's batches, deterministic from ``seed`` (so a resumed run continues it).

    Within an epoch, examples are shuffled, grouped into chunks of similar length (less
    padding, which on CPU is pure waste), and the batches are shuffled again.
    """
    n = len(lengths)
    if n == 0:
        return []
    per_epoch = math.ceil(n / batch_size)
    total = max(1, math.ceil(epochs * per_epoch))
    rng = random.Random(seed)
    out: list[list[int]] = []
    while len(out) < total:
        order = list(range(n))
        rng.shuffle(order)
        window = batch_size * 8
        grouped: list[int] = []
        for i in range(0, n, window):
            grouped.extend(sorted(order[i : i + window], key=lambda j: lengths[j]))
        epoch = [grouped[i : i + batch_size] for i in range(0, n, batch_size)]
        rng.shuffle(epoch)
        out.extend(epoch)
    return out[:total]


def _collate(encoded: Sequence[Encoded], pad_id: int) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    labels = torch.full((len(encoded), width), -100, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, (i, lab) in enumerate(encoded):
        ids[row, : len(i)] = torch.tensor(i)
        labels[row, : len(lab)] = torch.tensor(lab)
        mask[row, : len(i)] = 1
    return ids, mask, labels


def evaluate(model: Any, encoded: Sequence[Encoded], pad_id: int, batch_size: int = 4) -> float:
    """Mean loss per completion token (the validation loss the manifest records)."""
    import torch

    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        order = sorted(range(len(encoded)), key=lambda j: len(encoded[j][0]))
        for start in range(0, len(order), batch_size):
            chunk = [encoded[j] for j in order[start : start + batch_size]]
            ids, mask, labels = _collate(chunk, pad_id)
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1, :]
            target = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                target.reshape(-1),
                ignore_index=-100,
                reduction="sum",
            )
            total += float(loss)
            count += int((target != -100).sum())
    if was_training:
        model.train()
    return total / max(count, 1)


# --- checkpoints ------------------------------------------------------------------------------


def spread_sample(items: Sequence[TrainingPair], limit: int) -> list[TrainingPair]:
    """At most ``limit`` of ``items``, evenly spread and in order (deterministic)."""
    if len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def fingerprint(pairs: Sequence[TrainingPair], config: TrainConfig, base_sha256: str) -> str:
    """Identity of a run: a checkpoint is resumed only by a run with the same fingerprint."""
    h = hashlib.sha256()
    h.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    h.update(f"{base_sha256}:{PROMPT_FORMAT_VERSION}".encode())
    for p in pairs:
        h.update(p.document.encode("utf-8", "surrogatepass") + b"\0")
        h.update(p.neutral.encode("utf-8", "surrogatepass") + b"\0")
        h.update(p.target.encode("utf-8", "surrogatepass") + b"\1")
    return h.hexdigest()


def save_checkpoint(folder: Path, state: dict[str, Any]) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(folder / CHECKPOINT_STATE, buffer.getvalue())


def load_checkpoint(folder: Path, expected: str) -> dict[str, Any] | None:
    """The checkpoint in ``folder`` if it belongs to this run (same fingerprint), else None."""
    import torch

    path = folder / CHECKPOINT_STATE
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception:  # a checkpoint from another torch version, or damaged: start afresh
        return None
    if not isinstance(state, dict) or state.get("fingerprint") != expected:
        return None
    return state


# --- training ---------------------------------------------------------------------------------


def _lr(step: int, total: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    span = max(1, total - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_adapter(
    base: BaseModel,
    train_pairs: Sequence[TrainingPair],
    validation_pairs: Sequence[TrainingPair],
    checkpoint_dir: Path,
    *,
    base_sha256: str,
    config: TrainConfig | None = None,
    max_minutes: float | None = 15.0,
    max_steps: int | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    threads: int | None = None,
) -> TrainOutcome:
    """Train (or resume) a LoRA; returns its peft state dict unless cancelled before any step.

    The base model is wrapped with a fresh adapter and unwrapped again afterwards, so one loaded
    :class:`BaseModel` serves several runs. ``max_steps`` (tests) truncates the schedule.
    """
    import torch
    from peft import (
        LoraConfig,
        get_peft_model,
        get_peft_model_state_dict,
        set_peft_model_state_dict,
    )

    config = config or TrainConfig()
    set_threads(threads)
    clock = time.monotonic()
    tokenizer = base.tokenizer
    eos = base.eos_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    train_enc = [encode_pair(tokenizer, p, config.max_tokens, eos) for p in train_pairs]
    val_enc = [
        encode_pair(tokenizer, p, config.max_tokens, eos)
        for p in spread_sample(validation_pairs, MAX_VALIDATION_PAIRS)
    ]
    plan = plan_batches(
        [len(i) for i, _ in train_enc], config.batch_size, config.epochs, config.seed
    )
    total = len(plan) if max_steps is None else min(len(plan), max_steps)
    print_id = fingerprint(list(train_pairs) + list(validation_pairs), config, base_sha256)

    torch.manual_seed(config.seed)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # a transformers deprecation inside peft, not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(base.model, lora)
    try:
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
        state = load_checkpoint(checkpoint_dir, print_id)
        step = 0
        base_val: float | None = None
        if state is not None:
            set_peft_model_state_dict(model, state["lora"])
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"])
            step = int(state["step"])
            total = min(total, int(state.get("total", total)))
            base_val = state.get("base_validation_loss")
        resumed_from = step
        if base_val is None and val_enc:
            if on_progress:
                on_progress(Progress(step, total, None, None, phase="validate"))
            with model.disable_adapter():
                base_val = evaluate(model, val_enc, pad, config.batch_size)

        def checkpoint() -> None:
            save_checkpoint(
                checkpoint_dir,
                {
                    "fingerprint": print_id,
                    "step": step,
                    "total": total,
                    "lora": get_peft_model_state_dict(model, save_embedding_layers=False),
                    "optimizer": optimizer.state_dict(),
                    "rng": torch.get_rng_state(),
                    "base_validation_loss": base_val,
                },
            )

        model.train()
        losses: list[float] = []
        step_times: list[float] = []
        last_checkpoint = time.monotonic()
        cancelled = capped = False
        budget = max_minutes * 60.0 if max_minutes else None
        eval_reserve = 0.0
        while step < total:
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            elapsed = time.monotonic() - clock
            if budget is not None and step_times:
                per_step = sum(step_times[-5:]) / len(step_times[-5:])
                eval_reserve = per_step * 0.4 * math.ceil(len(val_enc) / config.batch_size)
                fits = int((budget - elapsed - eval_reserve) // per_step)
                if len(step_times) == 3 and step + fits < total:
                    total = max(step + 1, step + fits)  # shrink the schedule to the budget
                if fits <= 0:
                    capped = True
                    break
            started = time.monotonic()
            for group in optimizer.param_groups:
                group["lr"] = _lr(step, total, config)
            ids, mask, labels = _collate([train_enc[j] for j in plan[step]], pad)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(loss.item())
            step_times.append(time.monotonic() - started)
            if on_progress:
                per_step = sum(step_times[-5:]) / len(step_times[-5:])
                on_progress(Progress(step, total, losses[-1], per_step * (total - step)))
            if time.monotonic() - last_checkpoint >= config.checkpoint_seconds and step < total:
                checkpoint()
                last_checkpoint = time.monotonic()
        if cancelled:
            if step > resumed_from:
                checkpoint()
            lora_state = None
            val = None
        else:
            if on_progress and val_enc:
                on_progress(Progress(step, total, losses[-1] if losses else None, None, "validate"))
            val = evaluate(model, val_enc, pad, config.batch_size) if val_enc else None
            lora_state = {
                k: v.detach().clone()
                for k, v in get_peft_model_state_dict(model, save_embedding_layers=False).items()
            }
        seconds = time.monotonic() - clock
        return TrainOutcome(
            lora_state=lora_state,
            steps=step,
            total_steps=total,
            validation_loss=val,
            base_validation_loss=base_val,
            train_loss=sum(losses[-10:]) / len(losses[-10:]) if losses else None,
            cancelled=cancelled,
            capped=capped,
            resumed_from=resumed_from,
            seconds=seconds,
            seconds_per_step=sum(step_times) / len(step_times) if step_times else None,
            model_config=base.config_numbers(),
        )
    finally:
        base.model = model.unload()  # the plain base model again, for the next run
        base.model.eval()
