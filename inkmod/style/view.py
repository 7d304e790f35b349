"""A read-only view of profile counts, optionally with one document or paragraph left out.

Why: calibration scores each of the writer's own paragraphs against the profile *without* the
document it came from (leave-one-document-out). Subtracting on lookup avoids copying the profile's
counters once per document.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from inkmod.style.features import DocumentStats, ParagraphFeatures

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
        )


class ProfileView:
    """Counts of a profile, minus an optional excluded part."""

    def __init__(self, totals: DocumentStats, excluded: Excluded | None = None) -> None:
        self._totals = totals
        self._ex_tokens = excluded.tokens if excluded else _EMPTY
        self._ex_phrases = excluded.phrases if excluded else _EMPTY
        ex = excluded
        self.n_words = totals.n_words - (ex.n_words if ex else 0)
        self.n_tokens = sum(totals.tokens.values()) - (sum(ex.tokens.values()) if ex else 0)
        self.n_sentences = totals.n_sentences - (ex.n_sentences if ex else 0)
        s_sum = totals.sentence_length_sum - (ex.sentence_length_sum if ex else 0)
        s_sq = totals.sentence_length_sumsq - (ex.sentence_length_sumsq if ex else 0)
        w_sum = totals.word_length_sum - (ex.word_length_sum if ex else 0)
        w_sq = totals.word_length_sumsq - (ex.word_length_sumsq if ex else 0)
        self.sentence_mean, self.sentence_sd = _mean_sd(s_sum, s_sq, self.n_sentences)
        self.word_length_mean, self.word_length_sd = _mean_sd(w_sum, w_sq, self.n_words)

    def count(self, token: str) -> int:
        return self._totals.tokens.get(token, 0) - self._ex_tokens.get(token, 0)

    def phrase_count(self, phrase: str) -> int:
        return self._totals.phrases.get(phrase, 0) - self._ex_phrases.get(phrase, 0)

    def rate(self, token: str) -> float:
        """Occurrences per word."""
        return self.count(token) / self.n_words if self.n_words else 0.0


def _mean_sd(total: int, sumsq: int, n: int) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 0.0
    mean = total / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(max(0.0, (sumsq - n * mean * mean) / (n - 1)))
