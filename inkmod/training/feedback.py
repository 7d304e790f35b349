"""Structured feedback: what a critic says about a batch of drafts, validated before use.

Two critics produce the same :class:`Feedback`: the teacher (JSON from an OpenAI-compatible
server, parsed and validated here) and, without a teacher, our drift score
(:func:`drift_feedback`). The update step therefore never knows or cares which one spoke.

Why validate so strictly: a teacher's answer is untrusted input that ends up in every future
prompt. Scores outside [0, 1] mean the teacher misread the scale, so the answer is rejected
(and retried) rather than silently clamped; rules that are merely unusable (an empty phrase, a
40-word "opener") are dropped one by one, keeping the rest of the answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from inkmod.generation.prompt import distinct_phrases, style_summary
from inkmod.style import lexicons as lx
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import words_of
from inkmod.training.judge import Judgement, text_contains

SCORE_KEYS = ("style_similarity", "tone", "structure")
SCORE_STEPS = tuple(round(i / 10, 1) for i in range(11))
MAX_PHRASE_CHARS = 60
MAX_OPENER_CHARS = 20
MAX_NOTE_CHARS = 140
MIN_IMPROVED_WORDS = 5
SENTENCE_LENGTH_RANGE = (3, 80)
_FENCE_RE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


TEACHER_TASK = (
    "For each draft give style_similarity, tone and structure from 0.0 (unlike the writer) "
    "to 1.0 (indistinguishable), in steps of 0.1. Then give concrete, checkable rules: "
    "'prefer': up to 3 phrases the writer uses (copied from the excerpts); 'avoid': up to 3 "
    "phrases from the drafts the writer would never write; 'sentence_length_target': the "
    "writer's typical sentence length in words; 'openers': up to 3 words the writer starts "
    "sentences with; 'notes': up to 2 short rules. Name the weakest draft ('weakest_id') and "
    "write 'improved_version': that draft rewritten as the writer would write it, same topic."
)
"""The task as the teacher reads it; also what :func:`echoes_task` compares rules with."""
RETRY_TEXT = (
    "That answer was unusable ({error}). Reply again with the JSON object only, scores "
    "between 0.0 and 1.0."
)
_TASK_WORDS = frozenset(re.findall(r"[a-z]{3,}", (TEACHER_TASK + RETRY_TEXT).lower()))
_TASK_WORDS |= {"answer", "json", "not", "unusable", "draft", "drafts"}


def echoes_task(text: str) -> bool:
    """True when ``text`` mostly repeats our instructions (small teachers do): not a rule."""
    words = re.findall(r"[a-z]{3,}", text.lower())
    return bool(words) and sum(w in _TASK_WORDS for w in words) / len(words) >= 0.6


def looks_like_words(text: str, min_words: int = 1) -> bool:
    """Mostly letters and spaces, with at least ``min_words`` words: not JSON debris."""
    if not text:
        return False
    letters = sum(c.isalpha() or c.isspace() or c in "'’-" for c in text)
    words = re.findall(r"[^\W\d_]+", text)
    return letters / len(text) >= 0.8 and len(words) >= min_words


def mostly_english(text: str, share: float = 0.8) -> bool:
    """At least ``share`` of the words are known to general English (the drift background).

    A note goes verbatim into every future prompt, and nothing in the samples can confirm it,
    so it must at least be made of words: small teachers emit fused junk ("that'snt'unrealthing").
    """
    from inkmod.style.background import default_background

    words = [w.lower() for w in words_of(text)]
    if not words:
        return False
    bg = default_background()
    return sum(bg(w) > 1e-7 for w in words) / len(words) >= share


class FeedbackError(ValueError):
    """The teacher's answer is not usable feedback; the message says what was wrong."""


@dataclass(frozen=True)
class DraftScore:
    """A critic's scores of one draft, each in [0, 1] (1 = indistinguishable from the writer)."""

    style_similarity: float
    tone: float
    structure: float


@dataclass(frozen=True)
class Improvement:
    """A better version of one draft: from the teacher, or (no teacher) our best local output."""

    output_index: int
    text: str
    source: str  # "teacher" | "local"


@dataclass
class Feedback:
    """One critic's verdict on some of an iteration's drafts (indices are global, 0-based)."""

    source: str  # "teacher" | "drift"
    scores: dict[int, DraftScore] = field(default_factory=dict)
    prefer: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)
    sentence_length_target: int | None = None
    openers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    weakest: int | None = None
    improvements: list[Improvement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = {str(k): asdict(v) for k, v in self.scores.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Feedback:
        return cls(
            source=str(data["source"]),
            scores={int(k): DraftScore(**v) for k, v in data.get("scores", {}).items()},
            prefer=list(data.get("prefer", [])),
            avoid=list(data.get("avoid", [])),
            sentence_length_target=data.get("sentence_length_target"),
            openers=list(data.get("openers", [])),
            notes=list(data.get("notes", [])),
            weakest=data.get("weakest"),
            improvements=[Improvement(**i) for i in data.get("improvements", [])],
        )


def merge(parts: Sequence[Feedback]) -> Feedback | None:
    """One feedback from several batches' (order kept, duplicates dropped)."""
    if not parts:
        return None
    merged = Feedback(source=parts[0].source)
    for part in parts:
        merged.scores.update(part.scores)
        for name in ("prefer", "avoid", "openers", "notes"):
            target: list[str] = getattr(merged, name)
            target.extend(x for x in getattr(part, name) if x not in target)
        if part.sentence_length_target is not None:
            merged.sentence_length_target = part.sentence_length_target
        merged.improvements.extend(part.improvements)
    weakest = [p.weakest for p in parts if p.weakest is not None]
    if merged.scores:
        merged.weakest = min(merged.scores, key=lambda i: merged.scores[i].style_similarity)
    elif weakest:
        merged.weakest = weakest[0]
    return merged


# -- the schema we ask the teacher to follow ------------------------------------------------


MAX_IMPROVED_CHARS = 900


def improved_chars_for(n_drafts: int, max_tokens: int) -> int:
    """How long the improved version may be so the whole answer fits in ``max_tokens``.

    Worst case about 2.5 characters per token (JSON punctuation tokenizes badly); the fixed
    parts of the answer take about 800 characters plus 80 per scored draft. Never more than
    MAX_IMPROVED_CHARS: llama.cpp turns ``maxLength`` into a grammar repetition, and its grammar
    parser aborts the whole server process past about a thousand repetitions.
    """
    return max(150, min(MAX_IMPROVED_CHARS, int(max_tokens * 2.5) - 800 - 80 * n_drafts))


def feedback_schema(n_drafts: int, improved_chars: int = 900) -> dict[str, Any]:
    """JSON schema of the teacher's answer for a batch of ``n_drafts`` drafts.

    Scores are an enum of 0.0, 0.1, … 1.0 rather than ``number`` with bounds because
    grammar-constrained servers (llama.cpp) enforce enums but not numeric bounds; strings and
    lists carry length limits for the same reason: a constrained answer then always fits in the
    token limit and is never cut off mid-JSON.
    """
    score = {"type": "number", "enum": list(SCORE_STEPS)}
    ids = {"type": "integer", "enum": list(range(1, n_drafts + 1))}

    def strings(items: int, chars: int) -> dict[str, Any]:
        return {
            "type": "array",
            "maxItems": items,
            "items": {"type": "string", "maxLength": chars},
        }

    return {
        "type": "object",
        "properties": {
            "scores": {
                "type": "array",
                "minItems": n_drafts,
                "maxItems": n_drafts,
                "items": {
                    "type": "object",
                    "properties": {"id": ids, **dict.fromkeys(SCORE_KEYS, score)},
                    "required": ["id", *SCORE_KEYS],
                    "additionalProperties": False,
                },
            },
            "prefer": strings(3, 40),
            "avoid": strings(3, 40),
            "sentence_length_target": {"type": "integer"},
            "openers": strings(3, MAX_OPENER_CHARS - 5),
            "notes": strings(2, 100),
            "weakest_id": ids,
            "improved_version": {"type": "string", "maxLength": improved_chars},
        },
        "required": [
            "scores",
            "prefer",
            "avoid",
            "sentence_length_target",
            "openers",
            "notes",
            "weakest_id",
            "improved_version",
        ],
        "additionalProperties": False,
    }


# -- parsing ------------------------------------------------------------------------------------


def extract_json(text: str) -> Any:
    """The JSON object in a reply, tolerating code fences and chatter around it."""
    stripped = _FENCE_RE.sub("", text.strip())
    # strict=False: raw newlines inside strings are what grammar-constrained servers produce.
    try:
        return json.loads(stripped, strict=False)
    except ValueError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start >= 0 and end > start:
            try:
                return json.loads(stripped[start : end + 1], strict=False)
            except ValueError:
                pass
    snippet = " ".join(text.split())[:80]
    raise FeedbackError(f"the answer is not JSON: {snippet!r}")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _score(entry: Mapping[str, Any], key: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FeedbackError(f"score {key!r} is missing or not a number")
    if not 0.0 <= float(value) <= 1.0:
        raise FeedbackError(f"score {key!r} = {value} is outside [0, 1]")
    return float(value)


def _strings(
    data: Mapping[str, Any], key: str, limit: int, max_items: int, min_words: int = 1
) -> list[str]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise FeedbackError(f"{key!r} must be a list of strings")
    kept: list[str] = []
    for item in value:
        if not isinstance(item, str):
            continue
        text = " ".join(item.split()).strip(" \"'“”.,;:")
        if (
            looks_like_words(text, min_words)
            and len(text) <= limit
            and text.lower() not in (k.lower() for k in kept)
        ):
            kept.append(text)
    return kept[:max_items]


def parse_feedback(text: str, n_drafts: int, offset: int = 0) -> Feedback:
    """Validate a teacher's answer for drafts ``offset … offset + n_drafts − 1``.

    Raises :class:`FeedbackError` when the answer cannot be used at all (not JSON, no valid
    scores, a score outside [0, 1]); drops individual unusable rules otherwise.
    """
    data = extract_json(text)
    if not isinstance(data, dict):
        raise FeedbackError("the answer is JSON but not an object")
    raw_scores = data.get("scores")
    if not isinstance(raw_scores, list) or not raw_scores:
        raise FeedbackError("'scores' is missing or empty")
    scores: dict[int, DraftScore] = {}
    for entry in raw_scores:
        if not isinstance(entry, dict):
            raise FeedbackError("each entry of 'scores' must be an object")
        draft = _as_int(entry.get("id"))
        if draft is None or not 1 <= draft <= n_drafts:
            raise FeedbackError(f"score for unknown draft id {entry.get('id')!r}")
        scores[offset + draft - 1] = DraftScore(*(_score(entry, key) for key in SCORE_KEYS))
    target = _as_int(data.get("sentence_length_target"))
    low, high = SENTENCE_LENGTH_RANGE
    weakest = _as_int(data.get("weakest_id"))
    improved = data.get("improved_version")
    feedback = Feedback(
        source="teacher",
        scores=scores,
        prefer=_strings(data, "prefer", MAX_PHRASE_CHARS, 5),
        avoid=_strings(data, "avoid", MAX_PHRASE_CHARS, 5),
        sentence_length_target=target if target is not None and low <= target <= high else None,
        openers=[o for o in _strings(data, "openers", MAX_OPENER_CHARS, 5) if len(o.split()) <= 2],
        notes=[
            n for n in _strings(data, "notes", MAX_NOTE_CHARS, 3, min_words=3) if mostly_english(n)
        ],
        weakest=offset + weakest - 1 if weakest is not None and 1 <= weakest <= n_drafts else None,
    )
    if feedback.weakest is None:
        feedback.weakest = min(scores, key=lambda i: scores[i].style_similarity)
    if isinstance(improved, str) and len(improved.split()) >= MIN_IMPROVED_WORDS:
        feedback.improvements.append(
            Improvement(feedback.weakest, " ".join(improved.split()), "teacher")
        )
    return feedback


# -- the critic without a teacher ---------------------------------------------------------------


def drift_feedback(
    profile: StyleProfile, texts: Sequence[str], judgements: Sequence[Judgement]
) -> Feedback:
    """Feedback derived from our drift score, for ``--teacher none``.

    Rules come from the evidence behind the scores: words the drafts use and the writer never
    does become "avoid" (with the writer's plain alternative as "prefer" where one exists);
    sentence length and openers are pulled back to the writer's own figures when the drafts
    stray; the most common drift reasons become notes. The best draft, when it reads as the
    writer, stands in for a teacher's improved version.
    """
    feedback = Feedback(source="drift")
    for index, judgement in enumerate(judgements):
        if judgement.style is not None:
            feedback.scores[index] = DraftScore(
                judgement.style, judgement.tone or 0.0, judgement.structure or 0.0
            )
    # One draft using a word the writer happens not to use is weak evidence (3,000 words of
    # samples miss most of English); a fancy word with a plain alternative the writer prefers,
    # or a word several drafts reach for, is a habit worth correcting.
    unused = Counter(w for j in judgements for w in set(j.unused_words))
    for word, count in unused.most_common():
        plain = lx.PLAIN_ALTERNATIVES.get(word)
        has_plain = bool(plain) and profile.totals.tokens.get(plain or "", 0) > 0
        if len(feedback.avoid) >= 5 or not (has_plain or count >= 2):
            continue
        feedback.avoid.append(word)
        if plain and has_plain and plain not in feedback.prefer:
            feedback.prefer.append(plain)
    summary = style_summary(profile)
    for phrase in distinct_phrases(summary["common_phrases"]):
        if len(feedback.prefer) >= 3:
            break
        if not any(text_contains(t, phrase) for t in texts):
            feedback.prefer.append(phrase)
    mine = summary["avg_sentence_length"]
    spread = max(1.0, summary["sd_sentence_length"])
    means = [j.sentence_length for j in judgements if j.sentence_length is not None]
    if means and abs(sum(means) / len(means) - mine) > spread / 2:
        feedback.sentence_length_target = round(mine)
    theirs = {o for j in judgements for o in j.openers}
    top = summary["openers"][:5]
    if top and len(theirs & set(top)) < 2:
        feedback.openers = top[:3]
    reasons = Counter(
        r for j in judgements if j.drift is not None for r in j.reasons if "too short" not in r
    )
    feedback.notes = [f"Earlier drafts drifted: {r}." for r, _ in reasons.most_common(2)]
    scored = [i for i, j in enumerate(judgements) if j.drift is not None]
    if scored:
        feedback.weakest = max(scored, key=lambda i: judgements[i].drift or 0.0)
        best = min(scored, key=lambda i: judgements[i].drift or 1.0)
        if (judgements[best].drift or 1.0) < 0.5:
            feedback.improvements.append(Improvement(best, texts[best], "local"))
    return feedback
