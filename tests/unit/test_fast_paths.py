"""The fast paths of issue 14 give exactly what the straightforward code gives.

Each optimisation keeps a slow, obvious reference: ``paragraph_features(parse_paragraph(t))`` for
:func:`~inkmod.style.features.text_features`, and below a copy of the one-n-gram-at-a-time shape
model the drift score used before its lookups were batched. Property tests draw texts from pieces
chosen to hit every branch: typographic glyphs, the characters that force the general path ("…",
"Σ", "İ"), abbreviations, lower-case continuations and sentences without words.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.style import drift as dr
from inkmod.style.features import (
    SHAPE_ALPHABET,
    SHAPE_ORDER,
    document_stats,
    paragraph_features,
    shapes_of,
    text_features,
)
from inkmod.style.tokens import parse_paragraph
from inkmod.style.view import Excluded, ProfileView

PIECES = [
    "The", "cat", "sat", "on", "a", "mat", "quickly", "walked", "it's", "don’t", "dogs'", "and",
    "Mr.", "e.g.", "J.", "Smith", "said", "I", "we", "which", "was", "taken", "by", "them",
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
