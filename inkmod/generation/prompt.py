"""The style prompt: the writer's profile turned into instructions and few-shot examples.

Why both a description and examples: small local models follow concrete examples far better than
abstract instructions, while the description (our spec's template: author, average sentence length,
tone, common phrases, structure patterns) tells a stronger model what to keep. Instruct models get a
chat conversation; base models get a continuation prompt, which is what they were trained on.

The engine stays model-free: messages are plain dicts in the OpenAI shape.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inkmod.style import analyses as an
from inkmod.style.lexicons import FUNCTION_WORDS
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import words_of

Message = dict[str, str]
_CONTENT_RE = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Exemplar:
    """A paragraph of the writer's, with where it came from and how much we trust it."""

    text: str
    source: str
    weight: float = 1.0


def _content_words(text: str) -> Counter[str]:
    return Counter(
        w
        for w in (m.group(0) for m in _CONTENT_RE.finditer(text.lower()))
        if w not in FUNCTION_WORDS
    )


def learned_exemplars(profile: StyleProfile) -> list[Exemplar]:
    """Exemplars added by the training loop (teacher-improved outputs), with their weights."""
    items = profile.learned.get("exemplars", [])
    return [
        Exemplar(str(item["text"]), "learned", float(item.get("weight", 1.0)))
        for item in items
        if isinstance(item, dict) and item.get("text")
    ]


def all_exemplars(profile: StyleProfile) -> list[Exemplar]:
    weights: dict[str, float] = profile.learned.get("exemplar_weights", {})
    own = [
        Exemplar(text, doc_id, float(weights.get(doc_id, 1.0)))
        for doc_id, text in profile.exemplars()
    ]
    return own + learned_exemplars(profile)


def select_exemplars(
    profile: StyleProfile, text: str, n: int = 3, max_words: int = 400
) -> list[Exemplar]:
    """The ``n`` exemplars closest to ``text`` in topic and length, within a word budget.

    Topic similarity is the cosine of content-word counts; length similarity penalises examples
    much longer or shorter than the input, because small models copy the examples' length.
    """
    target = _content_words(text)
    target_len = max(1, len(words_of(text)))
    scored: list[tuple[float, Exemplar]] = []
    for exemplar in all_exemplars(profile):
        words = _content_words(exemplar.text)
        dot = sum(target[w] * words[w] for w in target.keys() & words.keys())
        norm = math.sqrt(sum(v * v for v in target.values()) * sum(v * v for v in words.values()))
        topic = dot / norm if norm else 0.0
        length = len(words_of(exemplar.text))
        length_fit = math.exp(-abs(math.log(max(1, length) / target_len)))
        scored.append((exemplar.weight * (0.6 * topic + 0.4 * length_fit), exemplar))
    scored.sort(key=lambda item: -item[0])
    chosen: list[Exemplar] = []
    budget = max_words
    for _, exemplar in scored:
        size = len(words_of(exemplar.text))
        if size > budget and chosen:
            continue
        chosen.append(exemplar)
        budget -= size
        if len(chosen) >= n:
            break
    return chosen


def distinct_phrases(phrases: Sequence[str]) -> list[str]:
    """Drop phrases inside a longer phrase already listed ("a little" in "a little bit")."""
    kept: list[str] = []
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        padded = f" {phrase} "
        if not any(padded in f" {longer} " for longer in kept):
            kept.append(phrase)
    order = {p: i for i, p in enumerate(phrases)}
    return sorted(kept, key=lambda p: order[p])


def style_summary(profile: StyleProfile) -> dict[str, Any]:
    """The figures the prompt template names, derived from the profile's counts."""
    stats = profile.totals
    sentences = an.sentence_patterns(stats)
    paragraphs = an.paragraph_structure(stats)
    tone = an.tone_markers(stats)
    rates = tone["per_1000_words"]
    return {
        "author": profile.learned.get("author") or profile.name,
        "avg_sentence_length": sentences["mean_length"],
        "sd_sentence_length": sentences["sd_length"],
        "tone": tone["dominant"],
        "contractions_per_1000": rates["contractions"],
        "common_phrases": distinct_phrases([p for p, _ in an.common_phrases(stats, top=20)])[:8],
        "sentences_per_paragraph": paragraphs["mean_sentences"],
        "question_rate": sentences["question_rate"],
        "exclamation_rate": sentences["exclamation_rate"],
        "openers": [w for w, _ in sentences["top_openers"][:5]],
    }


def style_description(profile: StyleProfile) -> str:
    """Our spec's style prompt: author, sentence length, tone, phrases, structure, learned rules."""
    s = style_summary(profile)
    lines = [
        f"Write as {s['author']}. Match this writer's style exactly:",
        f"- Average sentence length: {s['avg_sentence_length']:.0f} words "
        f"(varies by about {s['sd_sentence_length']:.0f}).",
        f"- Tone: {s['tone']}; "
        + (
            "uses contractions freely."
            if s["contractions_per_1000"] >= 10
            else "rarely uses contractions."
            if s["contractions_per_1000"] >= 2
            else "never uses contractions."
        ),
    ]
    if s["common_phrases"]:
        lines.append(
            "- Common phrases: " + ", ".join(f'"{p}"' for p in s["common_phrases"][:6]) + "."
        )
    structure = f"- Structure: about {s['sentences_per_paragraph']:.0f} sentences per paragraph"
    if s["question_rate"] >= 0.05:
        structure += ", asks questions"
    if s["exclamation_rate"] >= 0.03:
        structure += ", uses exclamations"
    lines.append(structure + ".")
    lines.extend(rule_lines(profile))
    return "\n".join(lines)


def rule_lines(profile: StyleProfile) -> list[str]:
    """Rules learned from feedback (the training loop), as prompt lines."""
    rules: dict[str, Any] = profile.learned.get("rules", {})
    lines: list[str] = []
    if rules.get("prefer"):
        lines.append("- Prefer: " + ", ".join(f'"{p}"' for p in rules["prefer"][:8]) + ".")
    never = list(rules.get("avoid", [])) + list(rules.get("never_say", []))
    if never:
        lines.append("- Never write: " + ", ".join(f'"{p}"' for p in never[:10]) + ".")
    if rules.get("sentence_length"):
        lines.append(f"- Keep sentences around {rules['sentence_length']} words.")
    if rules.get("openers"):
        lines.append("- Start sentences like: " + ", ".join(rules["openers"][:5]) + ".")
    for note in rules.get("notes", [])[:5]:
        lines.append(f"- {note}")
    return lines


def rewrite_messages(
    profile: StyleProfile, paragraph: str, exemplars: Sequence[Exemplar]
) -> list[Message]:
    """Chat prompt for an instruct model: rewrite one paragraph in the writer's voice."""
    system = style_description(profile)
    examples = "\n\n".join(f"Example {i}:\n{e.text}" for i, e in enumerate(exemplars, start=1))
    user = (
        (f"Here is how this writer writes.\n\n{examples}\n\n" if examples else "")
        + "Rewrite the passage below in this writer's voice. Keep every fact and the meaning; "
        "change only the style. Reply with the rewritten passage only.\n\n"
        f"Passage:\n{paragraph}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def rewrite_continuation(
    profile: StyleProfile, paragraph: str, exemplars: Sequence[Exemplar]
) -> str:
    """Continuation prompt for a base model: numbered passages, then the draft to redo.

    Base models continue patterns rather than follow orders, so the rewrite is framed as the next
    numbered passage of the same writer; generation stops at the next blank line or label.
    """
    author = style_summary(profile)["author"]
    parts = [f"Passages written by {author}, in {author}'s own voice."]
    parts.extend(f"Passage {i}: {e.text}" for i, e in enumerate(exemplars, start=1))
    n = len(exemplars) + 1
    parts.append(
        f"Passage {n} is the following draft rewritten by {author} in the same voice, "
        f"keeping its meaning. Draft: {' '.join(paragraph.split())}"
    )
    parts.append(f"Passage {n}:")
    return "\n\n".join(parts)


def generation_messages(
    profile: StyleProfile, request: str, exemplars: Sequence[Exemplar]
) -> list[Message]:
    """Chat prompt for writing new text on a prompt, in the writer's voice."""
    examples = "\n\n".join(f"Example {i}:\n{e.text}" for i, e in enumerate(exemplars, start=1))
    user = (f"Examples of this writer:\n\n{examples}\n\n" if examples else "") + request
    return [
        {"role": "system", "content": style_description(profile)},
        {"role": "user", "content": user},
    ]


def generation_continuation(
    profile: StyleProfile, request: str, exemplars: Sequence[Exemplar]
) -> str:
    """Continuation prompt for a base model: numbered passages, then the request as the next one."""
    author = style_summary(profile)["author"]
    parts = [f"Passages written by {author}, in {author}'s own voice."]
    parts.extend(f"Passage {i}: {e.text}" for i, e in enumerate(exemplars, start=1))
    n = len(exemplars) + 1
    parts.append(f"Passage {n} is {author}'s answer to: {request}")
    parts.append(f"Passage {n}:")
    return "\n\n".join(parts)
