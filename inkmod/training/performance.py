"""Phase 3: how close each iteration's drafts are to the writer, by our metrics and the teacher's.

Our figures (see :mod:`inkmod.training.judge`) are on the drift score's scale, 0.5 = as typical
as the writer's own median paragraph. The teacher's are its own 0–1 judgements. Both are kept
side by side because neither is ground truth: agreement between them is the signal.

Fidelity (STYLL-style, :mod:`inkmod.generation.evaluation`) needs a *source* and a meaning
reference, and generating from a prompt has neither an original text nor a source style. We define:

- ``towards`` = 1 − drift(draft | writer's profile), as in the rewrite benchmark;
- ``away`` = drift(draft | *baseline* profile), the baseline being the same local model answering
  the same prompts with no style prompt at all -- its own voice, which training should leave;
- ``sim`` = cosine similarity of the draft with its *prompt* (sentence embeddings): the draft
  must stay on the requested topic. We do not compare with the teacher's improved version:
  only one draft per batch has one, it does not exist without a teacher, and it is itself a
  style target, so it would mix style into the meaning score. The prompt exists for every
  draft in every run, so runs with and without a teacher are comparable.
- ``joint`` = √(√(away·towards)·sim), averaged per draft.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from inkmod.generation.evaluation import (
    EmbeddingsUnavailableError,
    fidelity,
    mean_fidelity,
    similarities,
)
from inkmod.style.profile import StyleProfile
from inkmod.training.feedback import Feedback
from inkmod.training.judge import Judgement

log = logging.getLogger(__name__)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def baseline_profile(texts: Sequence[str]) -> StyleProfile | None:
    """A profile of the model's unstyled answers (None if they are all empty)."""
    profile = StyleProfile("baseline")
    for index, text in enumerate(texts):
        if text.strip():
            profile.add_document(f"baseline-{index}", text, "plaintext")
    if not profile.documents:
        return None
    profile.recalibrate()
    return profile


def own_scores(judgements: Sequence[Judgement]) -> dict[str, Any]:
    return {
        "style_similarity": _mean([j.style for j in judgements]),
        "tone_consistency": _mean([j.tone for j in judgements]),
        "structure_quality": _mean([j.structure for j in judgements]),
        "drift": _mean([j.drift for j in judgements]),
        "judged": sum(j.drift is not None for j in judgements),
        "top_reasons": [
            r for r, _ in Counter(r for j in judgements for r in j.reasons).most_common(3)
        ],
    }


def teacher_scores(feedback: Feedback | None) -> dict[str, Any]:
    if feedback is None or feedback.source != "teacher" or not feedback.scores:
        return {"style_similarity": None, "tone": None, "structure": None, "scored": 0}
    values = list(feedback.scores.values())
    return {
        "style_similarity": _mean([v.style_similarity for v in values]),
        "tone": _mean([v.tone for v in values]),
        "structure": _mean([v.structure for v in values]),
        "scored": len(values),
    }


def fidelity_scores(
    profile: StyleProfile,
    prompts: Sequence[str],
    texts: Sequence[str],
    source: StyleProfile | None,
) -> dict[str, Any]:
    """Mean away/towards/sim/joint of the drafts (sim and joint None without embeddings)."""
    try:
        sims = similarities(list(prompts), list(texts))
    except EmbeddingsUnavailableError as exc:
        log.warning("no sim/joint: %s", exc)
        items = fidelity(prompts, texts, profile, source, sims=[0.0] * len(texts))
        means: dict[str, Any] = mean_fidelity(items)
        means["sim"] = means["joint"] = None
        return means
    return dict(mean_fidelity(fidelity(prompts, texts, profile, source, sims=sims)))
