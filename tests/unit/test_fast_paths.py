"""The fast paths of issue 14 give exactly what the straightforward code gives.

Each optimisation keeps a slow, obvious reference: ``paragraph_features(parse_paragraph(t))`` for
:func:`~inkmod.style.features.text_features`, and below a copy of the one-n-gram-at-a-time shape
model the drift score used before its lookups were batched. Property tests draw texts from pieces
chosen to hit every branch: typographic glyphs, the characters that force the general path ("…",
"Σ", "İ"), abbreviations, lower-case continuations and sentences without words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.style import drift as dr
from inkmod.style import features as ft
from inkmod.style.features import (
    _S_CONTRACTIONS,
    _TONE_INDEX,
    SHAPE_ALPHABET,
    SHAPE_ORDER,
    TONE_LEXICONS,
    document_stats,
    paragraph_features,
    shapes_of,
    text_features,
    tone_counts,
)
from inkmod.style.tokens import (
    _SENTENCE_END_RE,
    Paragraph,
    _runs_on,
    parse_paragraph,
    split_plain_paragraphs,
    split_sentences,
)
from inkmod.style.view import Excluded, ProfileView

PIECES = [
    "The", "cat", "sat", "on", "a", "mat", "quickly", "walked", "it's", "don’t", "dogs'", "and",
    "Mr.", "e.g.", "J.", "Smith", "said", "I", "we", "which", "was", "taken", "by", "them",
    "No.", "etc.", "U.S.", "7.", "fig.",
    ".", ",", ";", ":", "!", "?", "...", "…", "—", "–", "-", "--", " - ", '"', "“", "”", "(", ")",
    "1990", "3.5", "1990–1994", "ΟΔΟΣ", "İstanbul", "naïve", "café", "x_y", "42nd",
    ".\n", "\n\n", "  ", "'", "’", ":—", "?”", ".)", "— .", "! !",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), min_size=0, max_size=40).map(" ".join)


def _same(text: str) -> None:
    fast = text_features(text)
    slow = paragraph_features(parse_paragraph(text))
    assert fast == slow
    assert fast.sequence == slow.sequence
    assert list(fast.tokens) == list(slow.tokens)  # the same order too (reasons list ties)
    assert list(fast.bigrams) == list(slow.bigrams)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_text_features_equal_the_general_path(text: str) -> None:
    _same(text)


def test_text_features_on_the_characters_that_force_the_general_path() -> None:
    for text in ("İstanbul is big. It is.", "ΟΔΟΣ. Next one.", "Wait… no. Yes.", "", "  "):
        _same(text)


def _reference_split(text: str) -> list[tuple[int, int, str]]:
    """The sentence splitter as it was (it sliced and stripped the text at every stop)."""
    spans: list[tuple[int, int, str]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        mark = match.group(0)
        closers = "\"'”’)]"
        following = text[end:].lstrip()
        if (
            mark.startswith(".")
            and len(mark.rstrip(closers)) == 1
            and _runs_on(text, start, match.start(), end, following[0] if following else None)
        ):
            continue
        if following and following[0].islower():
            continue
        if text[start:end].strip():
            spans.append((start, end, mark.strip(closers)))
        start = end
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text), ""))
    trimmed = []
    for s, e, t in spans:
        while s < e and text[s].isspace():
            s += 1
        trimmed.append((s, e, t))
    return trimmed


@settings(max_examples=400, deadline=None)
@given(texts)
def test_sentence_splitter_equals_the_reference(text: str) -> None:
    assert split_sentences(text) == _reference_split(text)


class _ReferenceShapeModel:
    """The shape model as it was: every n-gram's probability computed on its own."""

    def __init__(self, view: ProfileView) -> None:
        self.n_tokens = max(0, view.n_tokens)
        self.view = view

    def count(self, key: str) -> int:
        return max(0, self.view.shape_count(key))

    def p(self, gram: tuple[str, ...]) -> float:
        if len(gram) == 1:
            return (self.count(gram[0]) + 0.5) / (self.n_tokens + 0.5 * SHAPE_ALPHABET)
        lower = self.p(gram[1:])
        seen = self.count(" ".join(gram[:-1]))
        both = min(seen, self.count(" ".join(gram))) if seen else 0
        return (both + dr.SHAPE_SMOOTHING * lower) / (seen + dr.SHAPE_SMOOTHING)

    def syntax(self, shapes: tuple[str, ...]) -> float:
        total = 0.0
        for i in range(1, len(shapes)):
            gram = shapes[max(0, i + 1 - SHAPE_ORDER) : i + 1]
            total += math.log(self.p(gram) / self.p(gram[-1:]))
        return -total / (len(shapes) - 1)


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4), texts, st.booleans())
def test_batched_shape_model_equals_the_reference(
    profile_texts: list[str], text: str, leave_out: bool
) -> None:
    paragraphs = [parse_paragraph(t) for t in profile_texts]
    totals = document_stats(paragraphs)
    shapes = tuple(shapes_of(text_features(text).sequence))
    if len(shapes) < 2:
        return
    excluded = Excluded.of_paragraph(text_features(profile_texts[0])) if leave_out else None
    view = ProfileView(totals, excluded)
    features = text_features(text)
    got, _ = dr._syntax(features, view)
    assert got == _ReferenceShapeModel(view).syntax(shapes)
    assert dr._syntax(features, view)[0] == got  # and again from the memo


def _reference_tone_counts(tokens: Mapping[str, int]) -> dict[str, int]:
    """Tone counts the way a paragraph's are taken: every token through the marker index."""
    counts = {name: 0 for name in TONE_LEXICONS}
    for token, count in tokens.items():
        for name in _TONE_INDEX.get(token, ()):
            counts[name] += count
    counts["contractions"] = sum(
        c
        for t, c in tokens.items()
        if "'" in t and (not t.endswith("'s") or t[:-2] in _S_CONTRACTIONS)
    )
    counts["exclamations"] = tokens.get("!", 0)
    return counts


def test_tone_counts_of_a_whole_vocabulary_equal_the_per_token_count() -> None:
    samples = Path(__file__).resolve().parents[2] / "examples" / "samples"
    paragraphs = [
        parse_paragraph(p)
        for path in sorted(samples.glob("*/*.md"))
        for p in split_plain_paragraphs(path.read_text(encoding="utf-8"))
    ]
    tokens = document_stats(paragraphs).tokens
    assert len(tokens) > 4 * len(_TONE_INDEX)  # the lookup branch
    assert tone_counts(tokens) == _reference_tone_counts(tokens)
    assert sum(tone_counts(tokens).values()) > 0


documents = st.lists(texts, min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_document_counts_equal_the_general_path(paragraph_texts: list[str]) -> None:
    """The one-pass tokenising of training equals tokenising words and tokens apart."""
    paragraphs = [parse_paragraph(t) for t in paragraph_texts]
    fast = [ft.paragraph_counts(p) for p in paragraphs]
    assert [ft.count_text(t) for t in paragraph_texts] == fast
    with patch.object(ft, "_folded_lower", lambda text: None):
        slow = [ft.paragraph_counts(p) for p in paragraphs]
        assert [ft.count_text(t) for t in paragraph_texts] == slow
    assert fast == slow
    assert [c.word_count for c in fast] == [p.word_count for p in paragraphs]
    assert ft.document_counts(fast) == ft.document_counts(slow)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_passages_equal_the_features_of_their_joined_text(paragraph_texts: list[str]) -> None:
    """A calibration passage assembled from counts is what parsing its text would give."""
    paragraphs = [parse_paragraph(t) for t in paragraph_texts]
    parts = [
        (counts, sentence)
        for paragraph in paragraphs
        for sentence, counts in zip(
            paragraph.sentences, ft.paragraph_counts(paragraph).sentences, strict=True
        )
    ]
    if not parts:
        return
    for size in (1, 2, len(parts)):
        group = parts[:size]
        joined = Paragraph(
            text=" ".join(counts[0] for counts, _ in group),
            sentences=tuple(sentence for _, sentence in group),
            words=tuple(w for _, sentence in group for w in sentence.words),
        )
        assert ft.passage_features([counts for counts, _ in group]) == paragraph_features(joined)
