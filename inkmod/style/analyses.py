"""The analyses: what a writer sees of their style, derived from sufficient statistics.

Why separate from :mod:`inkmod.style.features`: that module counts (it runs on every keystroke
and every sample file, and is tuned for speed); these functions read the counts once per report
or prompt and return plain data: vocabulary, sentence patterns, paragraph structure, tone
markers, common phrases, function words, punctuation habits and character n-grams.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from inkmod.style import lexicons as lx
from inkmod.style.features import (
    _PUNCT_SET,
    PUNCTUATION_MARKS,
    SENTENCE_BINS,
    DocumentStats,
    _sd,
    tone_counts,
)


def _words_only(stats: DocumentStats) -> Counter[str]:
    return Counter({t: c for t, c in stats.tokens.items() if t not in _PUNCT_SET})


def vocabulary(stats: DocumentStats, top: int = 25) -> dict[str, Any]:
    """Word frequencies, type/token ratio and a length-robust diversity measure (MATTR)."""
    words = _words_only(stats)
    content = [
        (w, c) for w, c in words.most_common() if w not in lx.FUNCTION_WORD_SET and len(w) > 2
    ]
    n = stats.n_words
    return {
        "vocabulary_size": len(words),
        "type_token_ratio": len(words) / n if n else 0.0,
        "mattr": stats.mattr_sum / stats.mattr_windows if stats.mattr_windows else None,
        "mean_word_length": stats.word_length_sum / n if n else 0.0,
        "top_words": content[:top],
    }


def sentence_patterns(stats: DocumentStats, top: int = 10) -> dict[str, Any]:
    """Sentence length distribution, openers, question/exclamation rates, structure indicators."""
    n = stats.n_sentences or 1
    return {
        "sentences": stats.n_sentences,
        "mean_length": stats.mean_sentence_length(),
        "sd_length": stats.sd_sentence_length(),
        "length_histogram": dict(zip(_bin_labels(), stats.sentence_length_hist, strict=True)),
        "top_openers": stats.openers.most_common(top),
        "question_rate": stats.questions / n,
        "exclamation_rate": stats.exclamations / n,
        "subordinate_clauses_per_sentence": stats.subordinate_clauses / n,
        "passive_rate": stats.passives / n,
    }


def _bin_labels() -> list[str]:
    labels = []
    low = 1
    for bound in SENTENCE_BINS:
        labels.append(f"{low}-{bound}")
        low = bound + 1
    labels.append(f"{low}+")
    return labels


def paragraph_structure(stats: DocumentStats) -> dict[str, Any]:
    """Sentences per paragraph, transition openers, how often paragraphs run several sentences."""
    p = stats.n_paragraphs or 1
    return {
        "paragraphs": stats.n_paragraphs,
        "mean_sentences": stats.paragraph_sentences_sum / p,
        "sd_sentences": _sd(
            stats.paragraph_sentences_sum, stats.paragraph_sentences_sumsq, stats.n_paragraphs
        ),
        "multi_sentence_share": stats.multi_sentence_paragraphs / p,
        "transition_rate": stats.transition_openers / (stats.n_sentences or 1),
        "mean_words": stats.n_words / p,
    }


def tone_markers(stats: DocumentStats) -> dict[str, Any]:
    """Rates per 1,000 words of formal / casual / professional / emphatic markers and friends."""
    per = 1000.0 / (stats.n_words or 1)
    rates = {name: count * per for name, count in tone_counts(stats.tokens).items()}
    main = {k: rates[k] for k in ("formal", "casual", "professional", "emphatic")}
    dominant = max(main, key=lambda k: main[k]) if any(main.values()) else "neutral"
    return {"per_1000_words": rates, "dominant": dominant}


def tone_diversity(stats: DocumentStats) -> float:
    """Normalised entropy (0–1) of the four tone families: 0 = one tone only, 1 = evenly mixed."""
    counts = tone_counts(stats.tokens)
    values = [counts[k] for k in ("formal", "casual", "professional", "emphatic")]
    total = sum(values)
    if total == 0:
        return 0.0
    entropy = -sum((v / total) * math.log(v / total) for v in values if v)
    return entropy / math.log(len(values))


def common_phrases(
    stats: DocumentStats, top: int = 15, min_count: int = 2
) -> list[tuple[str, int]]:
    """2–4-word phrases used in several documents, longest and most widespread first.

    Returns (phrase, number of documents using it). A phrase counts by how many documents use
    it, not by its raw repeats: a label or heading repeated down one post ("How to Use It —
    Provides") is that post's boilerplate, not the writer's habit. Glue ("of the") is skipped.
    """
    scored = []
    raw = stats.phrases
    for phrase, docs in stats.document_frequencies().items():
        if docs < min_count:
            continue
        words = phrase.split()
        if all(w in lx.FUNCTION_WORD_SET for w in words):
            continue
        scored.append((docs * (1 + 0.5 * (len(words) - 2)), raw.get(phrase, 0), phrase, docs))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [(phrase, docs) for _, _, phrase, docs in scored[:top]]


def function_words(stats: DocumentStats) -> dict[str, float]:
    """Relative frequency of each function word (per word)."""
    n = stats.n_words or 1
    return {w: stats.tokens.get(w, 0) / n for w in lx.FUNCTION_WORDS}


def punctuation(stats: DocumentStats) -> dict[str, float]:
    """Punctuation marks per 1,000 words."""
    per = 1000.0 / (stats.n_words or 1)
    return {mark: stats.tokens.get(mark, 0) * per for mark in PUNCTUATION_MARKS}


def char_ngrams(stats: DocumentStats, n: int = 3, top: int = 30) -> list[tuple[str, int]]:
    """Most frequent character n-grams, counted over word types weighted by their frequency.

    Counting per word type (with word-boundary spaces) instead of over the running text costs time
    proportional to the vocabulary, not the corpus, and keeps the statistic derivable from counts.
    """
    grams: Counter[str] = Counter()
    for word, count in _words_only(stats).items():
        padded = f" {word} "
        for i in range(len(padded) - n + 1):
            grams[padded[i : i + n]] += count
    return grams.most_common(top)
