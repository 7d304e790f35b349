"""The analyses: what a text's style is made of, counted so that counts can be added up.

Why counts and not averages: a profile must absorb one new sample file, forget a deleted one, or
merge with another profile, in time proportional to that file. Sums, sums of squares and counters
add and subtract exactly; every figure a writer sees (means, rates, top phrases) is derived from
them on demand. ``DocumentStats`` holds those sufficient statistics for one document;
``ParagraphFeatures`` holds what the drift score needs from one paragraph.

The five analyses of our spec — vocabulary, sentence patterns, paragraph structure, tone markers and
common phrases — plus the stylometric features that matter most for telling writers apart (function
words, punctuation habits, character n-grams) are each a function over ``DocumentStats``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inkmod.style import lexicons as lx
from inkmod.style.tokens import Paragraph, normalise, parse_paragraph

# Words and the punctuation marks we count, in text order: the drift score's token stream.
TOKEN_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[.,:]\d+)*|[;:,!?\"—()\-.]", re.UNICODE)
PUNCTUATION_MARKS: tuple[str, ...] = (".", ",", ";", ":", "!", "?", '"', "—", "(", ")", "-")
_PUNCT_SET = frozenset(PUNCTUATION_MARKS)
# Sentence-length histogram bins (upper bounds, inclusive); the last bin is open.
SENTENCE_BINS: tuple[int, ...] = (5, 10, 15, 20, 30, 40, 60)
MATTR_WINDOW = 50
_IRREGULAR_PARTICIPLES = frozenset(
    """
    been born bought brought built caught chosen done drawn driven eaten fallen felt found forgotten
    given gone grown heard held hidden kept known laid led left lost made meant met paid put read
    said seen sent set shown shut sold spent spoken stolen struck taken taught thought told thrown
    understood won worn written
    """.split()
)


def _is_participle(word: str) -> bool:
    return (len(word) > 3 and word.endswith("ed")) or word in _IRREGULAR_PARTICIPLES


@dataclass
class ParagraphFeatures:
    """What the drift score reads from one paragraph (all lower-cased)."""

    n_words: int
    tokens: Counter[str]
    sentence_lengths: tuple[int, ...]
    word_length_sum: int
    bigrams: Counter[str]
    openers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n_words,
            "t": dict(self.tokens),
            "s": list(self.sentence_lengths),
            "wl": self.word_length_sum,
            "b": dict(self.bigrams),
            "o": list(self.openers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParagraphFeatures:
        return cls(
            n_words=int(data["n"]),
            tokens=Counter(data["t"]),
            sentence_lengths=tuple(data["s"]),
            word_length_sum=int(data["wl"]),
            bigrams=Counter(data["b"]),
            openers=tuple(data["o"]),
        )


def paragraph_features(paragraph: Paragraph) -> ParagraphFeatures:
    """Count one parsed paragraph's tokens, sentence lengths, bigrams and openers."""
    folded = normalise(paragraph.text)
    tokens = Counter(t.lower() for t in TOKEN_RE.findall(folded))
    bigrams: Counter[str] = Counter()
    openers: list[str] = []
    lengths: list[int] = []
    word_length_sum = 0
    for sentence in paragraph.sentences:
        words = [w.lower() for w in sentence.words]
        lengths.append(len(words))
        openers.append(words[0])
        word_length_sum += sum(map(len, words))
        bigrams.update(" ".join(pair) for pair in zip(words, words[1:]))
    return ParagraphFeatures(
        n_words=paragraph.word_count,
        tokens=tokens,
        sentence_lengths=tuple(lengths),
        word_length_sum=word_length_sum,
        bigrams=bigrams,
        openers=tuple(openers),
    )


def _mattr_windows(words: list[str]) -> tuple[float, int]:
    """Sum of type/token ratios over non-overlapping windows, and the window count.

    Non-overlapping windows keep the statistic additive across documents (a moving window that
    spans two documents would not be), while staying robust to text length like MATTR.
    """
    total = 0.0
    count = 0
    for start in range(0, len(words) - MATTR_WINDOW + 1, MATTR_WINDOW):
        total += len(set(words[start : start + MATTR_WINDOW])) / MATTR_WINDOW
        count += 1
    return total, count


@dataclass
class DocumentStats:
    """Sufficient statistics of one or more documents: everything adds and subtracts exactly."""

    n_docs: int = 0
    n_paragraphs: int = 0
    n_sentences: int = 0
    n_words: int = 0
    tokens: Counter[str] = field(default_factory=Counter)
    phrases: Counter[str] = field(default_factory=Counter)
    openers: Counter[str] = field(default_factory=Counter)
    sentence_length_sum: int = 0
    sentence_length_sumsq: int = 0
    sentence_length_hist: list[int] = field(default_factory=lambda: [0] * (len(SENTENCE_BINS) + 1))
    word_length_sum: int = 0
    word_length_sumsq: int = 0
    paragraph_sentences_sum: int = 0
    paragraph_sentences_sumsq: int = 0
    multi_sentence_paragraphs: int = 0
    questions: int = 0
    exclamations: int = 0
    subordinate_clauses: int = 0
    passives: int = 0
    transition_openers: int = 0
    mattr_sum: float = 0.0
    mattr_windows: int = 0

    _INT_FIELDS = (
        "n_docs",
        "n_paragraphs",
        "n_sentences",
        "n_words",
        "sentence_length_sum",
        "sentence_length_sumsq",
        "word_length_sum",
        "word_length_sumsq",
        "paragraph_sentences_sum",
        "paragraph_sentences_sumsq",
        "multi_sentence_paragraphs",
        "questions",
        "exclamations",
        "subordinate_clauses",
        "passives",
        "transition_openers",
        "mattr_windows",
    )
    _COUNTER_FIELDS = ("tokens", "phrases", "openers")

    def add(self, other: DocumentStats) -> None:
        """Add ``other``'s counts into this one."""
        self._combine(other, 1)

    def subtract(self, other: DocumentStats) -> None:
        """Remove ``other``'s counts (which must have been added before)."""
        self._combine(other, -1)

    def _combine(self, other: DocumentStats, sign: int) -> None:
        for name in self._INT_FIELDS:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))
        for name in self._COUNTER_FIELDS:
            mine: Counter[str] = getattr(self, name)
            if sign > 0:
                mine.update(getattr(other, name))
            else:
                mine.subtract(getattr(other, name))
                for key in [k for k, v in getattr(other, name).items() if mine[k] <= 0]:
                    del mine[key]
        self.sentence_length_hist = [
            a + sign * b
            for a, b in zip(self.sentence_length_hist, other.sentence_length_hist, strict=True)
        ]
        self.mattr_sum = round(self.mattr_sum + sign * other.mattr_sum, 9)

    def copy(self) -> DocumentStats:
        clone = DocumentStats()
        clone.add(self)
        return clone

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in self._INT_FIELDS}
        for name in self._COUNTER_FIELDS:
            data[name] = dict(getattr(self, name))
        data["sentence_length_hist"] = list(self.sentence_length_hist)
        data["mattr_sum"] = self.mattr_sum
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentStats:
        stats = cls()
        for name in cls._INT_FIELDS:
            setattr(stats, name, int(data[name]))
        for name in cls._COUNTER_FIELDS:
            setattr(stats, name, Counter(data[name]))
        stats.sentence_length_hist = [int(v) for v in data["sentence_length_hist"]]
        stats.mattr_sum = float(data["mattr_sum"])
        return stats

    # Convenience figures used by several analyses.
    def word_count(self, word: str) -> int:
        return self.tokens.get(word, 0)

    def mean_sentence_length(self) -> float:
        return self.sentence_length_sum / self.n_sentences if self.n_sentences else 0.0

    def sd_sentence_length(self) -> float:
        return _sd(self.sentence_length_sum, self.sentence_length_sumsq, self.n_sentences)


def _sd(total: float, sumsq: float, n: int) -> float:
    if n < 2:
        return 0.0
    mean = total / n
    return math.sqrt(max(0.0, (sumsq - n * mean * mean) / (n - 1)))


def _sentence_bin(length: int) -> int:
    for index, bound in enumerate(SENTENCE_BINS):
        if length <= bound:
            return index
    return len(SENTENCE_BINS)


def _count_subordinate(words: list[str]) -> int:
    # "that"/"which" after a word are relative or complement clauses; at the start they are not.
    return sum(1 for i, w in enumerate(words) if w in lx.SUBORDINATORS and i > 0)


def _count_passive(words: list[str]) -> int:
    count = 0
    for i, word in enumerate(words[:-1]):
        if word in lx.BE_FORMS:
            nxt = words[i + 1]
            if _is_participle(nxt) or (
                i + 2 < len(words) and nxt.endswith("ly") and _is_participle(words[i + 2])
            ):
                count += 1
    return count


def _starts_with_transition(words: list[str]) -> bool:
    if not words:
        return False
    if words[0] in lx.TRANSITIONS:
        return True
    head = " ".join(words[:4])
    return any(head.startswith(phrase) for phrase in lx.TRANSITION_PHRASES)


def document_stats(paragraphs: Iterable[Paragraph]) -> DocumentStats:
    """Sufficient statistics for one document, from its parsed paragraphs."""
    stats = DocumentStats(n_docs=1)
    all_words: list[str] = []
    for paragraph in paragraphs:
        if not paragraph.sentences:
            continue
        stats.n_paragraphs += 1
        n_sent = len(paragraph.sentences)
        stats.paragraph_sentences_sum += n_sent
        stats.paragraph_sentences_sumsq += n_sent * n_sent
        stats.multi_sentence_paragraphs += n_sent > 1
        stats.tokens.update(t.lower() for t in TOKEN_RE.findall(normalise(paragraph.text)))
        for sentence in paragraph.sentences:
            words = [w.lower() for w in sentence.words]
            n = len(words)
            all_words.extend(words)
            stats.n_sentences += 1
            stats.n_words += n
            stats.sentence_length_sum += n
            stats.sentence_length_sumsq += n * n
            stats.sentence_length_hist[_sentence_bin(n)] += 1
            lengths = list(map(len, words))
            stats.word_length_sum += sum(lengths)
            stats.word_length_sumsq += sum(v * v for v in lengths)
            stats.openers[words[0]] += 1
            stats.questions += sentence.terminator.startswith("?")
            stats.exclamations += sentence.terminator.startswith("!")
            stats.subordinate_clauses += _count_subordinate(words)
            stats.passives += _count_passive(words)
            stats.transition_openers += _starts_with_transition(words)
            for size in (2, 3, 4):
                if n >= size:
                    stats.phrases.update(
                        " ".join(words[i : i + size]) for i in range(n - size + 1)
                    )
    stats.mattr_sum, stats.mattr_windows = _mattr_windows(all_words)
    stats.mattr_sum = round(stats.mattr_sum, 9)
    return stats


def parse_paragraphs(texts: Iterable[str]) -> list[Paragraph]:
    """Parse paragraph texts (already free of markup)."""
    return [parse_paragraph(text) for text in texts]


# ---------------------------------------------------------------------------------------------
# The analyses. Each reads sufficient statistics and returns plain data for reports and prompts.
# ---------------------------------------------------------------------------------------------


def _words_only(stats: DocumentStats) -> Counter[str]:
    return Counter({t: c for t, c in stats.tokens.items() if t not in _PUNCT_SET})


def vocabulary(stats: DocumentStats, top: int = 25) -> dict[str, Any]:
    """Word frequencies, type/token ratio and a length-robust diversity measure (MATTR)."""
    words = _words_only(stats)
    content = [(w, c) for w, c in words.most_common() if w not in lx.FUNCTION_WORDS and len(w) > 2]
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


TONE_LEXICONS: dict[str, frozenset[str]] = {
    "formal": lx.FORMAL_MARKERS,
    "casual": lx.CASUAL_MARKERS,
    "professional": lx.PROFESSIONAL_MARKERS,
    "emphatic": lx.EMPHATIC_MARKERS,
    "hedges": lx.HEDGES,
    "intensifiers": lx.INTENSIFIERS,
    "first_person": lx.FIRST_PERSON,
    "second_person": lx.SECOND_PERSON,
}


# Words whose "'s" is "is"/"has"/"us", not a possessive.
_S_CONTRACTIONS = frozenset("it that there here what he she who where how let".split())


def tone_counts(tokens: Mapping[str, int]) -> dict[str, int]:
    """Raw counts of each tone marker family, contractions and exclamation marks."""
    counts = {name: 0 for name in TONE_LEXICONS}
    contractions = 0
    for token, count in tokens.items():
        for name, lexicon in TONE_LEXICONS.items():
            if token in lexicon:
                counts[name] += count
        if "'" in token and (not token.endswith("'s") or token[:-2] in _S_CONTRACTIONS):
            contractions += count
    counts["contractions"] = contractions
    counts["exclamations"] = tokens.get("!", 0)
    return counts


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


def common_phrases(stats: DocumentStats, top: int = 15, min_count: int = 2) -> list[tuple[str, int]]:
    """Recurring 2–4-word phrases, longest and most frequent first, skipping pure glue ("of the")."""
    scored = []
    for phrase, count in stats.phrases.items():
        if count < min_count:
            continue
        words = phrase.split()
        if all(w in lx.FUNCTION_WORDS for w in words):
            continue
        scored.append((count * (1 + 0.5 * (len(words) - 2)), phrase, count))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [(phrase, count) for _, phrase, count in scored[:top]]


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
