"""``update_from_feedback``: turn a critic's verdict into what generation uses next time.

Everything is written into ``profile.learned``, the part of the profile that generation reads
(:mod:`inkmod.generation.prompt` and :mod:`inkmod.generation.model`) and that is persisted with it:

- ``rules``: ``prefer``, ``avoid``, ``never_say``, ``sentence_length``, ``openers``, ``notes``;
- ``exemplars``: better versions (the teacher's, or our best draft) as extra few-shot examples;
- ``exemplar_weights``: how much each sample document's paragraphs are trusted as examples;
- ``generation``: ``temperature``, ``top_p``, ``top_k``, ``k`` (best-of-k), ``seed``;
- ``training``: the loop's own memory (score history for roll-back, how often each phrase was
  flagged), read back by this module on the next update.

Why every rule is checked against the samples first: a critic (a small teacher above all) can be
wrong, and a wrong rule would be repeated in every future prompt. So "prefer X" is kept only if
the writer really writes X, "avoid Y" only if a draft contains Y and the writer never writes it,
a sentence-length target only if it is within half a standard deviation of the writer's mean, an
opener only if the writer opens sentences with it, and an improved version only if our drift
score agrees it is no further from the writer than the draft it replaces. "Avoid" becomes
"never say" once two iterations have flagged the same phrase.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from inkmod.generation.generate import LocalOutput, generation_settings
from inkmod.generation.prompt import style_summary
from inkmod.generation.rewrite import DEFAULT_K
from inkmod.style.profile import StyleProfile
from inkmod.training.feedback import Feedback, echoes_task
from inkmod.training.judge import judge, text_contains, writer_uses

MAX_PREFER = 8
MAX_AVOID = 10
MAX_NEVER_SAY = 15
MAX_OPENERS = 5
MAX_NOTES = 5
MAX_LEARNED_EXEMPLARS = 8
NEVER_SAY_AFTER = 2  # iterations that must flag a phrase before it is banned outright
WEIGHT_RANGE = (0.25, 4.0)
LEARNING_RATE = 1.0
TEMPERATURE_RANGE = (0.3, 1.0)
IMPROVEMENT_TOLERANCE = 0.02  # an improved version may be this much "worse" and still kept
# Trust in added exemplars, relative to the writer's own paragraphs (1.0): a teacher's version is
# at most as trusted as the writer; our own best draft (no teacher) less, so that the model does
# not end up imitating itself.
_CAP = {"teacher": 1.0, "local": 0.7}


@dataclass
class UpdateSummary:
    """What one update changed, and what it refused (with reasons), for the report."""

    iteration: int
    prefer_added: list[str] = field(default_factory=list)
    avoid_added: list[str] = field(default_factory=list)
    never_say_added: list[str] = field(default_factory=list)
    openers_added: list[str] = field(default_factory=list)
    notes_added: list[str] = field(default_factory=list)
    sentence_length: int | None = None
    rejected: list[str] = field(default_factory=list)
    exemplars_added: int = 0
    weights_changed: int = 0
    generation: dict[str, Any] = field(default_factory=dict)
    generation_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _front(new: Sequence[str], old: Sequence[str], cap: int) -> list[str]:
    """Newest first, no duplicates (case-insensitive), at most ``cap``."""
    seen: set[str] = set()
    merged: list[str] = []
    for item in [*new, *old]:
        if item.lower() not in seen:
            seen.add(item.lower())
            merged.append(item)
    return merged[:cap]


def output_scores(feedback: Feedback, outputs: Sequence[LocalOutput]) -> dict[int, float]:
    """Each draft's style score: the critic's where it gave one, else ours (1 − drift).

    A critic that gives several drafts the very same score (a base model answering 0.0 to
    everything) cannot tell better from worse; its scores would steer weights and sampling at
    random, so ours are used instead.
    """
    given = [feedback.scores[i].style_similarity for i in feedback.scores]
    if len(given) > 1 and len(set(given)) == 1:
        return _own_scores(outputs)
    scores: dict[int, float] = {}
    for index, output in enumerate(outputs):
        if index in feedback.scores:
            scores[index] = feedback.scores[index].style_similarity
        elif output.drift is not None:
            scores[index] = 1.0 - output.drift
    return scores


def update_from_feedback(
    profile: StyleProfile,
    feedback: Feedback | None,
    outputs: Sequence[LocalOutput],
    *,
    iteration: int,
    max_k: int = DEFAULT_K,
) -> UpdateSummary:
    """Apply one iteration's feedback to ``profile.learned`` (the caller persists the profile).

    ``feedback`` may be ``None`` (every teacher batch skipped): then only the generation
    settings react to our own scores, and nothing else changes.
    """
    learned = profile.learned
    summary = UpdateSummary(iteration)
    memory: dict[str, Any] = learned.setdefault("training", {})
    scores = output_scores(feedback, outputs) if feedback else _own_scores(outputs)
    if feedback is not None:
        _update_rules(profile, feedback, outputs, memory, summary)
        _update_exemplars(profile, feedback, outputs, iteration, summary)
        _update_weights(profile, outputs, scores, summary)
    _update_generation(profile, scores, memory, iteration, max_k, summary)
    memory["iterations"] = int(memory.get("iterations", 0)) + 1
    return summary


def _own_scores(outputs: Sequence[LocalOutput]) -> dict[int, float]:
    return {i: 1.0 - o.drift for i, o in enumerate(outputs) if o.drift is not None}


def _update_rules(
    profile: StyleProfile,
    feedback: Feedback,
    outputs: Sequence[LocalOutput],
    memory: dict[str, Any],
    summary: UpdateSummary,
) -> None:
    rules: dict[str, Any] = profile.learned.setdefault("rules", {})
    texts = [o.text for o in outputs]
    prompts = [o.prompt for o in outputs]
    for phrase in feedback.prefer:
        if writer_uses(profile, phrase) > 0:
            summary.prefer_added.append(phrase)
        else:
            summary.rejected.append(f"prefer {phrase!r}: not in the writer's samples")
    rules["prefer"] = _front(summary.prefer_added, rules.get("prefer", []), MAX_PREFER)

    counts: dict[str, int] = memory.setdefault("flagged", {})
    never = list(rules.get("never_say", []))
    for phrase in feedback.avoid:
        uses = writer_uses(profile, phrase)
        if uses > 0:
            summary.rejected.append(f"avoid {phrase!r}: the writer uses it {uses}×")
        elif any(text_contains(p, phrase) for p in prompts):
            summary.rejected.append(f"avoid {phrase!r}: it is the topic a prompt asks for")
        elif not any(text_contains(t, phrase) for t in texts):
            summary.rejected.append(f"avoid {phrase!r}: no draft contains it")
        else:
            key = phrase.lower()
            counts[key] = counts.get(key, 0) + 1
            if counts[key] >= NEVER_SAY_AFTER and key not in (n.lower() for n in never):
                summary.never_say_added.append(phrase)
            else:
                summary.avoid_added.append(phrase)
    never = _front(summary.never_say_added, never, MAX_NEVER_SAY)
    banned = {n.lower() for n in never}
    avoid = _front(summary.avoid_added, rules.get("avoid", []), MAX_AVOID)
    # Samples change (the daemon refreshes the profile): never ban what the writer now writes.
    rules["never_say"] = [p for p in never if writer_uses(profile, p) == 0]
    rules["avoid"] = [p for p in avoid if p.lower() not in banned and writer_uses(profile, p) == 0]

    if feedback.sentence_length_target is not None:
        s = style_summary(profile)
        mine, spread = float(s["avg_sentence_length"]), max(1.0, float(s["sd_sentence_length"]))
        target = feedback.sentence_length_target
        if abs(target - mine) <= spread / 2:
            rules["sentence_length"] = summary.sentence_length = int(target)
        else:
            rules["sentence_length"] = summary.sentence_length = round(mine)
            summary.rejected.append(
                f"sentence length {target}: the samples average {mine:.0f} ± {spread:.0f}; "
                f"using {round(mine)}"
            )
    for opener in feedback.openers:
        if profile.totals.openers.get(opener.lower(), 0) > 0:
            summary.openers_added.append(opener[:1].upper() + opener[1:])
        else:
            summary.rejected.append(f"opener {opener!r}: the writer never starts a sentence so")
    rules["openers"] = _front(summary.openers_added, rules.get("openers", []), MAX_OPENERS)
    for note in feedback.notes:
        if echoes_task(note):
            summary.rejected.append(f"note {note!r}: repeats the instructions, not a rule")
        else:
            summary.notes_added.append(note if note.endswith(".") else note + ".")
    rules["notes"] = _front(summary.notes_added, rules.get("notes", []), MAX_NOTES)


def _update_exemplars(
    profile: StyleProfile,
    feedback: Feedback,
    outputs: Sequence[LocalOutput],
    iteration: int,
    summary: UpdateSummary,
) -> None:
    exemplars: list[dict[str, Any]] = list(profile.learned.get("exemplars", []))
    known = {e.get("text") for e in exemplars}
    for improvement in feedback.improvements:
        if improvement.text in known:
            continue
        verdict = judge(profile, improvement.text)
        if verdict.drift is None:
            summary.rejected.append("improved version: too short to judge")
            continue
        draft = (
            outputs[improvement.output_index].drift
            if 0 <= improvement.output_index < len(outputs)
            else None
        )
        if draft is not None and verdict.drift > draft + IMPROVEMENT_TOLERANCE:
            summary.rejected.append(
                f"improved version of draft {improvement.output_index + 1}: drift "
                f"{verdict.drift:.2f}, worse than the draft's {draft:.2f}"
            )
            continue
        exemplars.append(
            {
                "text": improvement.text,
                "weight": round(min(_CAP[improvement.source], max(0.2, 1.0 - verdict.drift)), 3),
                "source": improvement.source,
                "iteration": iteration,
                "drift": verdict.drift,
            }
        )
        known.add(improvement.text)
        summary.exemplars_added += 1
    # Keep the most trusted, newest first among equals.
    exemplars.sort(key=lambda e: (-float(e["weight"]), -int(e.get("iteration", 0))))
    profile.learned["exemplars"] = exemplars[:MAX_LEARNED_EXEMPLARS]


def _update_weights(
    profile: StyleProfile,
    outputs: Sequence[LocalOutput],
    scores: dict[int, float],
    summary: UpdateSummary,
) -> None:
    """Multiplicative weights: a document whose paragraphs were examples for drafts that scored
    above the iteration's mean gains trust, one whose examples led to weak drafts loses it."""
    if len(scores) < 2:
        return
    mean = statistics.fmean(scores.values())
    weights: dict[str, float] = dict(profile.learned.get("exemplar_weights", {}))
    low, high = WEIGHT_RANGE
    for index, score in scores.items():
        for source in outputs[index].exemplar_sources:
            if source not in profile.documents:
                continue
            old = float(weights.get(source, 1.0))
            new = min(high, max(low, old * math.exp(LEARNING_RATE * (score - mean))))
            if abs(new - old) > 1e-6:
                weights[source] = round(new, 4)
                summary.weights_changed += 1
    profile.learned["exemplar_weights"] = weights


def _update_generation(
    profile: StyleProfile,
    scores: dict[int, float],
    memory: dict[str, Any],
    iteration: int,
    max_k: int,
    summary: UpdateSummary,
) -> None:
    """Small, explainable moves of temperature and k, with roll-back to the best settings seen.

    Uneven drafts (some far off) call for cooler sampling and more candidates to re-rank;
    reliably close drafts allow fewer candidates (cheaper); a clear drop below the best
    iteration so far restores that iteration's settings.
    """
    settings = generation_settings(profile)
    settings["k"] = max(1, min(max_k, int(settings.get("k", DEFAULT_K))))
    used = {"temperature": float(settings["temperature"]), "k": int(settings["k"])}
    history: list[dict[str, Any]] = memory.setdefault("history", [])
    low_t, high_t = TEMPERATURE_RANGE
    reason = "no scores: unchanged"
    if scores:
        mean = statistics.fmean(scores.values())
        spread = statistics.pstdev(scores.values()) if len(scores) > 1 else 0.0
        best = max(history, key=lambda h: float(h["score"])) if history else None
        if best is not None and mean < float(best["score"]) - 0.05:
            settings["temperature"], settings["k"] = best["temperature"], best["k"]
            reason = (
                f"mean style {mean:.2f} fell below iteration {best['iteration']}'s "
                f"{float(best['score']):.2f}: back to its settings"
            )
        elif spread > 0.15:
            settings["temperature"] = round(max(low_t, used["temperature"] - 0.1), 2)
            settings["k"] = min(max_k, used["k"] + 1)
            reason = f"uneven drafts (spread {spread:.2f}): cooler sampling, more candidates"
        elif mean < 0.4:
            settings["temperature"] = round(max(low_t, used["temperature"] - 0.1), 2)
            settings["k"] = min(max_k, used["k"] + 1)
            reason = f"drafts far from the writer (mean {mean:.2f}): cooler, more candidates"
        elif mean >= 0.6 and spread <= 0.08 and used["k"] > 1:
            settings["k"] = used["k"] - 1
            reason = f"drafts reliably close (mean {mean:.2f}): fewer candidates"
        else:
            reason = f"mean style {mean:.2f}, spread {spread:.2f}: unchanged"
        settings["temperature"] = min(high_t, max(low_t, float(settings["temperature"])))
        history.append({"iteration": iteration, "score": round(mean, 4), **used})
    profile.learned["generation"] = settings
    summary.generation = dict(settings)
    summary.generation_reason = reason
