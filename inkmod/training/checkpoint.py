"""Checkpoints: everything a run has learned or paid for, on disk after every step that cost.

Why checkpoint *within* an iteration too: an iteration's expensive parts are the local drafts
(minutes on a laptop) and the teacher's answers (money). Each draft and each teacher batch is
saved as soon as it exists, so a crash, a Ctrl-C or a teacher outage loses at most the step in
flight, and ``--resume`` neither regenerates nor re-buys anything.

The checkpoint also holds ``learned`` as it was *before* the iteration in progress: a resumed
iteration applies its feedback to that snapshot, so an update is never applied twice even if the
process died between saving the profile and saving the checkpoint. Written atomically (temp
file, fsync, rename), as JSON: small, human-readable, and no pickle.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inkmod.atomic import atomic_write_text
from inkmod.paths import state_dir
from inkmod.training.secrets import scrub_known

CHECKPOINT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint that cannot be used (damaged, newer, or from a different run)."""


def training_dir(profile_name: str) -> Path:
    """``<state dir>/training/<profile>``: checkpoint, default report and log of one profile."""
    return state_dir() / "training" / profile_name


def checkpoint_path(profile_name: str) -> Path:
    return training_dir(profile_name) / "checkpoint.json"


def fingerprint(
    style_folder: Path, prompts: Sequence[str], backend: str, max_tokens: int
) -> dict[str, Any]:
    """What must not change between a run and its resumption (else the iterations mix)."""
    digest = hashlib.sha256("\n".join(prompts).encode("utf-8")).hexdigest()[:16]
    return {
        "style_folder": str(style_folder.expanduser().resolve()),
        "prompts_sha256": digest,
        "prompts": len(prompts),
        "backend": backend,
        "max_tokens": max_tokens,
    }


@dataclass
class Checkpoint:
    """The state of one training run of one profile."""

    profile: str
    fingerprint: dict[str, Any]
    status: str = "running"
    """running | completed | budget | stopped | cancelled"""
    message: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    learned: dict[str, Any] = field(default_factory=dict)
    """``profile.learned`` after the last *completed* iteration."""
    iterations: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, Any] | None = None
    """The iteration in progress: its drafts and the teacher batches answered so far."""
    baseline: dict[str, Any] | None = None
    spent_usd: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    teacher: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    version: int = CHECKPOINT_VERSION

    @property
    def done(self) -> int:
        return len(self.iterations)

    def snapshot_learned(self, learned: dict[str, Any]) -> None:
        self.learned = copy.deepcopy(learned)

    def save(self, path: Path) -> None:
        self.updated_at = time.time()
        text = json.dumps(asdict(self), indent=1, ensure_ascii=False, default=str)
        atomic_write_text(path, scrub_known(text))

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(
                f"checkpoint {path} is unreadable ({exc}); start over with --fresh"
            ) from None
        if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"checkpoint {path} has an unknown format; start over with --fresh"
            )
        known = set(cls.__dataclass_fields__)
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise CheckpointError(f"checkpoint {path} is damaged ({exc}); use --fresh") from None
