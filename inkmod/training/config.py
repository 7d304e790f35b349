"""The training loop's inputs, progress events and result: plain data, cheap to import.

The daemon's ``train`` method and the CLI both build a :class:`TrainingConfig`, pass a progress
callback, and get a :class:`TrainingResult`; nothing here imports a model, an HTTP client or
matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inkmod.generation.rewrite import DEFAULT_K
from inkmod.training.costs import Price, PriceTable
from inkmod.training.teacher import TeacherConfig

DEFAULT_BACKEND = "smollm2"


class TrainingError(Exception):
    """A run cannot start or continue; the message is one line saying what to do."""


@dataclass
class TrainingConfig:
    """Everything one ``train-enhanced`` run needs. ``teacher=None`` means the drift critic."""

    style_folder: Path
    prompts: list[str]
    backend: str = DEFAULT_BACKEND
    iterations: int = 3
    profile: str = "default"
    teacher: TeacherConfig | None = None
    budget_usd: float | None = None
    """Stop before a teacher call that could take spending over this (USD)."""
    resume: bool = False
    fresh: bool = False
    dry_run: bool = False
    report_dir: Path | None = None
    """Default: ``<state dir>/training/<profile>/report``."""
    max_tokens: int = 200
    """Per local draft."""
    max_k: int = DEFAULT_K
    """Ceiling on best-of-k during training (and on the k learned for rewrite)."""
    prices: PriceTable = field(default_factory=PriceTable)
    teacher_price: Price | None = None
    """Overrides the price table for the teacher model."""
    prompts_source: str | None = None
    """Where the prompts came from (a file path), for the report."""

    def validate(self) -> None:
        if self.iterations < 1:
            raise TrainingError("--iterations must be at least 1")
        if not self.prompts:
            raise TrainingError("no test prompts: the prompts file has no non-empty lines")
        if self.resume and self.fresh:
            raise TrainingError("--resume and --fresh contradict each other; choose one")
        if self.budget_usd is not None and self.budget_usd < 0:
            raise TrainingError("--budget must be zero or more (USD)")
        if self.max_tokens < 8:
            raise TrainingError("--max-tokens must be at least 8")
        if self.max_k < 1:
            raise TrainingError("--max-k must be at least 1")


@dataclass(frozen=True)
class ProgressEvent:
    """One thing worth telling the user; ``to_dict`` is what the daemon sends as a notification.

    ``kind``: ``phase`` (a phase starts), ``step`` (a prompt or batch is done), ``stats``
    (phase 1 figures in ``data``), ``notice`` (what will be sent to the teacher, and where),
    ``request`` (a dry-run request in ``data``), ``warning``, ``iteration`` (an iteration's
    record in ``data``), ``done``.
    """

    kind: str
    message: str = ""
    phase: str = ""
    iteration: int = 0
    iterations: int = 0
    step: int = 0
    steps: int = 0
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass
class TrainingResult:
    """How a run ended and where its outputs are.

    ``status``: ``completed``, ``budget`` (stopped before exceeding the budget), ``stopped``
    (the teacher failed; resumable), ``cancelled`` (resumable), ``dry-run``.
    """

    status: str
    message: str = ""
    profile: str = ""
    profile_path: str | None = None
    checkpoint_path: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def resumable(self) -> bool:
        return self.status in ("stopped", "cancelled", "budget")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
