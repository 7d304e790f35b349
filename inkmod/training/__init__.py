"""``inkmod train-enhanced``: a small local model learns a writer's style from a teacher's critique.

Public API (documented in docs/training.md)::

    from inkmod.training import TrainingConfig, TeacherConfig, run_training

    result = run_training(
        TrainingConfig(style_folder=Path("samples"), prompts=["Write about rain."],
                       teacher=TeacherConfig(base_url="http://127.0.0.1:8080/v1")),
        on_progress=lambda event: print(event.kind, event.message),
        cancel=threading.Event(),
    )

Importing this package is cheap: the openai client, the model runtime, the embeddings and
matplotlib are imported only when a run needs them.
"""

from __future__ import annotations

from inkmod.training.config import (
    ProgressCallback,
    ProgressEvent,
    TrainingConfig,
    TrainingError,
    TrainingResult,
)
from inkmod.training.costs import Price, PriceError, PriceTable, parse_price
from inkmod.training.loop import load_prompts, run_training
from inkmod.training.teacher import TeacherConfig, TeacherError
from inkmod.training.update import update_from_feedback

__all__ = [
    "Price",
    "PriceError",
    "PriceTable",
    "ProgressCallback",
    "ProgressEvent",
    "TeacherConfig",
    "TeacherError",
    "TrainingConfig",
    "TrainingError",
    "TrainingResult",
    "load_prompts",
    "parse_price",
    "run_training",
    "update_from_feedback",
]
