"""Our own judgement of one text against the writer's profile: the drift score, broken down.

Why break the drift score down: the loop reports *style similarity*, *tone consistency* and
*structure quality*, and the teacher-less critic needs the evidence behind the score (which
words the writer never uses) to derive rules. Every figure is on the drift score's scale:
0.5 means "as typical as the writer's own median paragraph", 1 means "more typical than all of
them", 0 "less typical than all of them".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from inkmod.style.drift import surprises
from inkmod.style.features import paragraph_features
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import parse_paragraph, words_of


def typicality(z: float) -> float:
    """A standardised surprise ``z`` mapped to [0, 1]: 1 − Φ(z)."""
    return 1.0 - 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True)
class Judgement:
    """Our scores of one text. ``None`` scores: too short to judge (under 25 words)."""

    drift: float | None
    style: float | None
    tone: float | None
    structure: float | None
    reasons: tuple[str, ...] = ()
    unused_words: tuple[str, ...] = ()
    sentence_length: float | None = None
    openers: tuple[str, ...] = field(default_factory=tuple)


def judge(profile: StyleProfile, text: str) -> Judgement:
    """Score ``text`` against ``profile`` and keep the evidence the critic turns into rules."""
    features = paragraph_features(parse_paragraph(text))
    result = profile.score_features(features)
    lengths = features.sentence_lengths
    mean_len = sum(lengths) / len(lengths) if lengths else None
    if result.score is None:
        return Judgement(None, None, None, None, result.reasons, (), mean_len, features.openers)
    comps = result.components
    structure_z = (comps.get("sentence_length", 0.0) + comps.get("punctuation", 0.0)) / 2
    evidence = surprises(
        features, profile.view, top_function_words=profile.top_function_words()
    ).evidence
    return Judgement(
        drift=result.score,
        style=round(1.0 - result.score, 4),
        tone=round(typicality(comps.get("tone", 0.0)), 4),
        structure=round(typicality(structure_z), 4),
        reasons=result.reasons,
        unused_words=tuple(evidence.get("unused_words") or ()),
        sentence_length=mean_len,
        openers=features.openers,
    )


def writer_uses(profile: StyleProfile, phrase: str) -> int:
    """How often the writer's samples contain ``phrase`` (a word or a 2–4-word phrase).

    Used to check a teacher's rules: "prefer X" must name something the writer really writes,
    "never say Y" must not ban something they do. Longer phrases are looked up in the stored
    exemplar paragraphs, the only verbatim text a profile keeps.
    """
    words = [w.lower() for w in words_of(phrase)]
    if not words:
        return 0
    if len(words) == 1:
        return profile.totals.tokens.get(words[0], 0)
    if len(words) <= 4:
        return profile.totals.phrases.get(" ".join(words), 0)
    needle = " ".join(words)
    return sum(
        " ".join(w.lower() for w in words_of(text)).count(needle) for _, text in profile.exemplars()
    )


def text_contains(text: str, phrase: str) -> bool:
    """Whole-word, case-insensitive containment (so "rain" is not found in "training")."""
    needle = " ".join(w.lower() for w in words_of(phrase))
    if not needle:
        return False
    hay = " ".join(w.lower() for w in words_of(text))
    return f" {needle} " in f" {hay} "
