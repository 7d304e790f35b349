"""A read-only view of profile counts, optionally with one document or paragraph left out.

Why: calibration scores each of the writer's own paragraphs against the profile *without* the
document it came from (leave-one-document-out). Subtracting on lookup avoids copying the profile's
counters once per document.

Why a cache on the view: the drift score looks the same figures up again and again (a word's
likelihood ratio, a shape n-gram's probability, the tone rates); a view is immutable, so whatever
is derived from it is computed once and kept in ``view.cache`` for as long as the view lives. The
profile keeps one view until its counts change, so an editor re-scoring a document pays only for
what it has not seen before.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from inkmod.style.features import DocumentStats, ParagraphFeatures, shape_ngrams

_EMPTY: Counter[str] = Counter()


@dataclass(frozen=True)
class Excluded:
    """Counts to leave out of a view: one document's or one paragraph's."""

    tokens: Counter[str]
    phrases: Counter[str]
    n_words: int
    n_sentences: int
    sentence_length_sum: int
    sentence_length_sumsq: int
    word_length_sum: int
    word_length_sumsq: int
    shapes: Counter[str] = field(default_factory=Counter)
    typographic_marks: int = 0
    plain_marks: int = 0

    @classmethod
    def of_document(cls, stats: DocumentStats) -> Excluded:
        return cls(
            stats.tokens,
            stats.phrases,
            stats.n_words,
            stats.n_sentences,
            stats.sentence_length_sum,
            stats.sentence_length_sumsq,
            stats.word_length_sum,
            stats.word_length_sumsq,
            stats.shape_ngrams,
            stats.typographic_marks,
            stats.plain_marks,
        )

    @classmethod
    def of_paragraph(cls, features: ParagraphFeatures) -> Excluded:
        lengths = features.sentence_lengths
        # Word-length squares are not kept per paragraph; their share is approximated from the
        # mean, which only affects the fallback used when a profile has a single document.
        mean_wl = features.word_length_sum / max(1, features.n_words)
        return cls(
            features.tokens,
            features.bigrams,
            features.n_words,
            len(lengths),
            sum(lengths),
            sum(v * v for v in lengths),
            features.word_length_sum,
            round(features.n_words * mean_wl * mean_wl),
            shape_ngrams(features.shapes),
            features.typography[0],
            features.typography[1],
        )


class ProfileView:
    """Counts of a profile, minus an optional excluded part."""

    def __init__(self, totals: DocumentStats, excluded: Excluded | None = None) -> None:
        self._totals = totals
        self._tokens = totals.tokens
        self._phrases = totals.phrases
        self._shapes = totals.shape_ngrams
        self._ex_tokens = excluded.tokens if excluded else _EMPTY
        self._ex_phrases = excluded.phrases if excluded else _EMPTY
        self._ex_shapes = excluded.shapes if excluded else _EMPTY
        self.excluding = excluded is not None
        ex = excluded
        self.n_words = totals.n_words - (ex.n_words if ex else 0)
        self.n_tokens = sum(totals.tokens.values()) - (sum(ex.tokens.values()) if ex else 0)
        self.n_sentences = totals.n_sentences - (ex.n_sentences if ex else 0)
        self.typographic_marks = totals.typographic_marks - (ex.typographic_marks if ex else 0)
        self.plain_marks = totals.plain_marks - (ex.plain_marks if ex else 0)
        s_sum = totals.sentence_length_sum - (ex.sentence_length_sum if ex else 0)
        s_sq = totals.sentence_length_sumsq - (ex.sentence_length_sumsq if ex else 0)
        w_sum = totals.word_length_sum - (ex.word_length_sum if ex else 0)
        w_sq = totals.word_length_sumsq - (ex.word_length_sumsq if ex else 0)
        self.sentence_mean, self.sentence_sd = _mean_sd(s_sum, s_sq, self.n_sentences)
        self.word_length_mean, self.word_length_sd = _mean_sd(w_sum, w_sq, self.n_words)
        # Derived tables, filled lazily by the drift score (see the module docstring).
        self.cache: dict[str, Any] = {}

    def count(self, token: str) -> int:
        if self.excluding:
            return self._tokens.get(token, 0) - self._ex_tokens.get(token, 0)
        return self._tokens.get(token, 0)

    def phrase_count(self, phrase: str) -> int:
        if self.excluding:
            return self._phrases.get(phrase, 0) - self._ex_phrases.get(phrase, 0)
        return self._phrases.get(phrase, 0)

    def phrase_counts(self, phrases: Sequence[str]) -> list[int]:
        """:meth:`phrase_count` of many phrases, the lookups in C."""
        found = list(map(self._phrases.get, phrases, repeat(0)))
        if not self.excluding:
            return found
        return list(map(operator.sub, found, map(self._ex_phrases.get, phrases, repeat(0))))

    def shape_count(self, gram: str) -> int:
        """Occurrences of a shape n-gram (space-joined shapes, see ``features.token_shape``)."""
        if self.excluding:
            return self._shapes.get(gram, 0) - self._ex_shapes.get(gram, 0)
        return self._shapes.get(gram, 0)

    def shape_table(self) -> Mapping[str, int]:
        """The profile's shape n-gram counts (only meaningful for a view that excludes nothing)."""
        return self._shapes

    def shape_counts(self, grams: Sequence[str]) -> npt.NDArray[np.int64]:
        """:meth:`shape_count` of many n-grams at once, never below zero.

        The lookups run in C (``map`` over the dictionaries), which is what makes scoring a
        paragraph's new n-grams together cheaper than one at a time. Counts are clamped: a
        left-out passage may span two paragraphs of the profile, so its n-grams across the
        break were never counted there and subtracting them can go below zero.
        """
        n = len(grams)
        found = np.fromiter(map(self._shapes.get, grams, repeat(0)), np.int64, n)
        if not self.excluding:
            return found
        left_out = np.fromiter(map(self._ex_shapes.get, grams, repeat(0)), np.int64, n)
        return np.maximum(found - left_out, 0)

    def rate(self, token: str) -> float:
        """Occurrences per word."""
        return self.count(token) / self.n_words if self.n_words else 0.0

    def token_counts(self) -> Mapping[str, int]:
        """Every token the view holds with its (positive) count, as a mapping."""
        if not self.excluding:
            return self._tokens  # profile counters hold only positive counts
        return dict(self.token_items())

    def token_items(self) -> list[tuple[str, int]]:
        """Every token the view holds with its (positive) count."""
        if not self.excluding:
            return [(t, c) for t, c in self._tokens.items() if c > 0]
        return [(t, c) for t in self._tokens if (c := self.count(t)) > 0]


def _mean_sd(total: int, sumsq: int, n: int) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 0.0
    mean = total / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(max(0.0, (sumsq - n * mean * mean) / (n - 1)))
