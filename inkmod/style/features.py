"""The counting: what a text's style is made of, counted so that counts can be added up.

Why counts and not averages: a profile must absorb one new sample file, forget a deleted one, or
merge with another profile, in time proportional to that file. Sums, sums of squares and counters
add and subtract exactly; every figure a writer sees (means, rates, top phrases) is derived from
them on demand. ``DocumentStats`` holds those sufficient statistics for one document;
``ParagraphFeatures`` holds what the drift score needs from one paragraph.

The five analyses of our spec — vocabulary, sentence patterns, paragraph structure, tone markers and
common phrases — plus the stylometric features that matter most for telling writers apart (function
words, punctuation habits, character n-grams) are each a function over ``DocumentStats``, in
:mod:`inkmod.style.analyses`. This module runs on every keystroke and every sample file, so it is
written for speed (see ``text_features`` and ``document_stats``).

Why :func:`repetition` stems by the first five letters and not by Porter2 (snowballstemmer, which
the faithfulness rules use; issue 14, ``python -m benchmarks tokens``): the drift AUC is the same
to 0.001 with either (novels .791/.836, blogs .787/.824 at 150/300 words), but Porter2 is pure
Python: stemming the content words of a 10,000-word document with an empty cache, as a freshly
started daemon has it, takes 35 ms against 0.2 ms, and scoring that document cold goes from
52-54 ms to 104-135 ms. The old faithfulness suffix strip lost 0.002 on blogs.
"""

from __future__ import annotations

import math
import operator
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from inkmod.style import lexicons as lx
from inkmod.style.tokens import Paragraph, normalise, parse_paragraph, split_sentences

# Words and the punctuation marks we count, in text order: the drift score's token stream.
TOKEN_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[.,:]\d+)*|[;:,!?\"—()\-.]", re.UNICODE)
PUNCTUATION_MARKS: tuple[str, ...] = (".", ",", ";", ":", "!", "?", '"', "—", "(", ")", "-")
_PUNCT_SET = frozenset(PUNCTUATION_MARKS)
# Sentence-length histogram bins (upper bounds, inclusive); the last bin is open.
SENTENCE_BINS: tuple[int, ...] = (5, 10, 15, 20, 30, 40, 60)
MATTR_WINDOW = 50
_IRREGULAR_PARTICIPLES = frozenset(
    (
        "been",
        "born",
        "bought",
        "brought",
        "built",
        "caught",
        "chosen",
        "done",
        "drawn",
        "driven",
        "eaten",
        "fallen",
        "felt",
        "found",
        "forgotten",
        "given",
        "gone",
        "grown",
        "heard",
        "held",
        "hidden",
        "kept",
        "known",
        "laid",
        "led",
        "left",
        "lost",
        "made",
        "meant",
        "met",
        "paid",
        "put",
        "read",
        "said",
        "seen",
        "sent",
        "set",
        "shown",
        "shut",
        "sold",
        "spent",
        "spoken",
        "stolen",
        "struck",
        "taken",
        "taught",
        "thought",
        "told",
        "thrown",
        "understood",
        "won",
        "worn",
        "written",
    )
)
_SUBORDINATORS = lx.SUBORDINATORS
_BE_FORMS = lx.BE_FORMS

# Text distortion (Stamatatos): function words and punctuation are kept, every other word is
# masked to a placeholder that keeps only its ending ("*ly", "*ing", "*ed", "*s"), a number to "#".
# N-grams of this stream describe how sentences are built — "of the *", ", which *ed" — without
# depending on what the text is about, so a writer's new topic does not look like a new voice.
SHAPE_ORDER = 3  # longest shape n-gram counted
_SHAPE_KEEP = lx.FUNCTION_WORD_SET | _PUNCT_SET
_SHAPE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("'s", "*'s"),
    ("ly", "*ly"),
    ("ing", "*ing"),
    ("ed", "*ed"),
    ("s", "*s"),
)
SHAPE_CLASSES: tuple[str, ...] = ("*", "#", "*'", *(shape for _, shape in _SHAPE_SUFFIXES))
SHAPE_ALPHABET = len(_SHAPE_KEEP) + len(SHAPE_CLASSES)
_SHAPE_CACHE: dict[str, str] = {}
_SHAPE_CACHE_LIMIT = 200_000


def _compute_shape(token: str) -> str:
    if token in _SHAPE_KEEP:
        return token
    if token[0].isdigit():
        return "#"
    for suffix, shape in _SHAPE_SUFFIXES:
        if token.endswith(suffix):
            return shape
    if "'" in token:
        return "*'"
    return "*"


def token_shape(token: str) -> str:
    """The distorted form of one lower-cased token (see ``SHAPE_ORDER``)."""
    shape = _SHAPE_CACHE.get(token)
    if shape is None:
        shape = _compute_shape(token)
        if len(_SHAPE_CACHE) < _SHAPE_CACHE_LIMIT:
            _SHAPE_CACHE[token] = shape
    return shape


def shapes_of(tokens: Iterable[str]) -> list[str]:
    """The distorted token stream of lower-cased tokens."""
    get = _SHAPE_CACHE.get
    return [get(t) or token_shape(t) for t in tokens]


def _ngram_strings(seq: Sequence[str], max_n: int, out: list[str]) -> None:
    """Append the 2..``max_n``-grams of ``seq`` (space-joined) to ``out``."""
    join = " ".join
    if max_n >= 2:
        out.extend(map(join, pairwise(seq)))
    if max_n >= 3:
        out.extend(map(join, zip(seq, seq[1:], seq[2:], strict=False)))
    if max_n >= 4:
        out.extend(map(join, zip(seq, seq[1:], seq[2:], seq[3:], strict=False)))


def shape_ngrams(shapes: Sequence[str]) -> Counter[str]:
    """Counts of the shape 1..``SHAPE_ORDER``-grams of one paragraph's shape stream."""
    grams: list[str] = list(shapes)
    _ngram_strings(shapes, SHAPE_ORDER, grams)
    return Counter(grams)


# Typographic variants of a mark mean the same habit as the plain mark: curly double quotes are
# quotation marks, an en dash used as a dash is a dash (between digits it is a range, a hyphen),
# and "…" is an ellipsis like "...". They are folded before counting, so a writer who types (or
# whose editor types) curly quotes is not told they never use quotation marks. Which glyph a
# writer uses is kept as one minor habit of its own: ``typography_counts``.
_TYPOGRAPHIC = {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "—", "…": "..."}
_TYPOGRAPHIC_RE = re.compile("[“”„«»–…]")
_DIGIT_RANGE_RE = re.compile(r"(?<=\d)–(?=\d)")
# The plain counterparts, counted for the glyph habit: straight quotes, "...", "--" / " - ".
_PLAIN_VARIANT_RE = re.compile(r'"|\.\.\.|--| - ')


def fold_typography(text: str) -> str:
    """Typographic quotes, en dashes and ellipses as the plain marks they stand for."""
    if not _TYPOGRAPHIC_RE.search(text):
        return text
    text = _DIGIT_RANGE_RE.sub("-", text)
    return _TYPOGRAPHIC_RE.sub(lambda m: _TYPOGRAPHIC[m.group(0)], text)


def typography_counts(text: str) -> tuple[int, int]:
    """(typographic marks, their plain counterparts) in raw text: the glyph habit."""
    return len(_TYPOGRAPHIC_RE.findall(text)), len(_PLAIN_VARIANT_RE.findall(text))


def lower_tokens(text: str) -> list[str]:
    """The lower-cased word and punctuation tokens of paragraph text, in order."""
    return TOKEN_RE.findall(fold_typography(normalise(text)).lower())


def _lower_words(words: Sequence[str]) -> list[str]:
    # One lower() per sentence instead of one per word; words never contain spaces.
    return " ".join(words).lower().split(" ")


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
    shapes: tuple[str, ...] = ()
    # (typographic marks, plain counterparts): which glyphs the writer types, a minor habit.
    typography: tuple[int, int] = (0, 0)
    # How much the paragraph repeats itself (see ``repetition``): loops and degenerate drafts.
    repetition: float = 0.0
    # The token stream itself, only to quote the paragraph in reasons (not stored in profiles).
    sequence: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n_words,
            "t": dict(self.tokens),
            "s": list(self.sentence_lengths),
            "wl": self.word_length_sum,
            "b": dict(self.bigrams),
            "o": list(self.openers),
            "d": list(self.shapes),
            "y": list(self.typography),
            "r": self.repetition,
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
            shapes=tuple(data.get("d", ())),
            typography=(int(data["y"][0]), int(data["y"][1])),
            repetition=float(data["r"]),
        )


REPEAT_ORDER = 3  # word n-grams a paragraph repeating itself repeats
_STEM_CHARS = 5


def repetition(words: Sequence[str], stem: Callable[[str], str] | None = None) -> float:
    """How much a paragraph repeats itself: 0 for none, towards 1 for a loop.

    The share of its word trigrams that already occurred earlier in the paragraph, plus half the
    share of its content words whose stem (first five letters) did. Writers repeat a name or a
    term; a paragraph that keeps saying "the success of their business" is looping, which
    nothing else in the drift score sees (every repeated word is one the writer uses).
    ``stem`` replaces the five-letter prefix (``python -m benchmarks tokens`` compares stems).
    """
    n = len(words)
    if n < REPEAT_ORDER + 1:
        return 0.0
    # Set sizes do the counting in C: repeats = occurrences - distinct.
    grams = n - REPEAT_ORDER + 1
    repeats = grams - len(set(zip(words, words[1:], words[2:], strict=False)))
    function = lx.FUNCTION_WORD_SET
    content_words = [w for w in words if len(w) > 3 and w not in function]
    stems = (
        [w[:_STEM_CHARS] for w in content_words] if stem is None else list(map(stem, content_words))
    )
    content = len(stems)
    stem_repeats = content - len(set(stems))
    share = repeats / grams
    return share + 0.5 * (stem_repeats / content if content else 0.0)


def paragraph_features(paragraph: Paragraph) -> ParagraphFeatures:
    """Count one parsed paragraph's tokens, sentence lengths, bigrams, openers and shapes."""
    tokens = lower_tokens(paragraph.text)
    bigrams: list[str] = []
    openers: list[str] = []
    lengths: list[int] = []
    all_words: list[str] = []
    word_length_sum = 0
    for sentence in paragraph.sentences:
        words = _lower_words(sentence.words)
        lengths.append(len(words))
        openers.append(words[0])
        all_words.extend(words)
        word_length_sum += sum(map(len, words))
        _ngram_strings(words, 2, bigrams)
    return ParagraphFeatures(
        n_words=paragraph.word_count,
        tokens=Counter(tokens),
        sentence_lengths=tuple(lengths),
        word_length_sum=word_length_sum,
        bigrams=Counter(bigrams),
        openers=tuple(openers),
        shapes=tuple(shapes_of(tokens)),
        typography=typography_counts(paragraph.text),
        repetition=repetition(all_words),
        sequence=tuple(tokens),
    )


def text_features(text: str) -> ParagraphFeatures:
    """``paragraph_features(parse_paragraph(text))``, tokenising the text once instead of twice.

    Scoring needs the lower-cased tokens (words and marks) and, per sentence, the lower-cased
    words; the general path finds the words in the original text and the tokens in the folded,
    lower-cased text, two regular-expression passes that cost more than the rest of the features
    together. When lower-casing and folding keep every character in place (no "İ", whose lower
    case is two characters, no "…", which folds to three, and no "Σ", whose lower case depends on
    what follows) the two passes find the same words at the same offsets, so the sentences'
    words are read off the tokens of their spans. Otherwise the general path runs. Equality
    with it is tested on the benchmark corpora and by property tests.
    """
    folded = normalise(text)
    if "…" in folded or "Σ" in folded:
        return paragraph_features(parse_paragraph(text))
    typographic = _TYPOGRAPHIC_RE.search(folded) is not None
    low = (fold_typography(folded) if typographic else folded).lower()
    if len(low) != len(folded):
        return paragraph_features(parse_paragraph(text))
    findall = TOKEN_RE.findall
    punctuation = _PUNCT_SET
    tokens: list[str] = []
    words: list[str] = []
    bigrams: list[str] = []
    openers: list[str] = []
    lengths: list[int] = []
    join = " ".join
    for start, end, _ in split_sentences(folded):
        found = findall(low, start, end)
        tokens.extend(found)  # a span without words still has its marks in the token stream
        sentence = [t for t in found if t not in punctuation]
        if sentence:
            lengths.append(len(sentence))
            openers.append(sentence[0])
            words.extend(sentence)
            bigrams.extend(map(join, pairwise(sentence)))
    return ParagraphFeatures(
        n_words=len(words),
        tokens=Counter(tokens),
        sentence_lengths=tuple(lengths),
        word_length_sum=sum(map(len, words)),
        bigrams=Counter(bigrams),
        openers=tuple(openers),
        shapes=tuple(shapes_of(tokens)),
        typography=typography_counts(text) if typographic else (0, _plain_marks(text)),
        repetition=repetition(words),
        sequence=tuple(tokens),
    )


def _plain_marks(text: str) -> int:
    return len(_PLAIN_VARIANT_RE.findall(text))


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
    shape_ngrams: Counter[str] = field(default_factory=Counter)
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
    typographic_marks: int = 0
    plain_marks: int = 0
    # In how many documents each stored phrase occurs: derived from the documents' own phrase
    # tables when they are added (a single document's is implicitly 1 per phrase), not stored.
    phrase_docs: Counter[str] = field(default_factory=Counter)

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
        "typographic_marks",
        "plain_marks",
    )
    _COUNTER_FIELDS = ("tokens", "phrases", "openers", "shape_ngrams")

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
            _combine_counter(getattr(self, name), getattr(other, name), sign)
        _combine_counter(self.phrase_docs, other.document_frequencies(), sign)
        self.sentence_length_hist = [
            a + sign * b
            for a, b in zip(self.sentence_length_hist, other.sentence_length_hist, strict=True)
        ]
        self.mattr_sum = round(self.mattr_sum + sign * other.mattr_sum, 9)

    def document_frequencies(self) -> Mapping[str, int]:
        """In how many documents each stored phrase occurs (1 each for a single document)."""
        if self.n_docs == 1 and not self.phrase_docs:
            return dict.fromkeys(self.phrases, 1)
        return self.phrase_docs

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
            # Profiles written before a counter existed simply lack it: start it empty.
            setattr(stats, name, Counter(data.get(name, {})))
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


def _combine_counter(mine: Counter[str], other: Mapping[str, int], sign: int) -> None:
    if sign > 0:
        mine.update(other)
        return
    mine.subtract(other)
    for key in [k for k in other if mine[k] <= 0]:
        del mine[key]


def _sd(total: float, sumsq: float, n: int) -> float:
    if n < 2:
        return 0.0
    mean = total / n
    return math.sqrt(max(0.0, (sumsq - n * mean * mean) / (n - 1)))


def _sentence_bin(length: int) -> int:
    # Index of the first bound >= length; the open last bin when there is none.
    return bisect_left(SENTENCE_BINS, length)


def _count_subordinate(words: list[str]) -> int:
    # "that"/"which" after a word are relative or complement clauses; at the start they are not.
    return sum(map(_SUBORDINATORS.__contains__, words[1:]))


def _count_passive(words: list[str]) -> int:
    if _BE_FORMS.isdisjoint(words):
        return 0
    count = 0
    for i, word in enumerate(words[:-1]):
        if word in _BE_FORMS:
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
    return " ".join(words[:4]).startswith(lx.TRANSITION_PHRASES)


SentenceCounts = tuple[str, list[str], list[str], list[str]]
"""One sentence as training counts it: its text, lower-cased tokens, lower-cased words and word
pairs. Calibration passages are assembled from these instead of tokenising their text again."""


def _folded_lower(text: str) -> str | None:
    """The folded, lower-cased text when that keeps every character at its offset, else None.

    Then the sentences' words (found in the original text) are exactly the word tokens of their
    spans in this text, and one tokenising pass serves both (see ``text_features``).
    """
    folded = normalise(text)
    if "…" in folded or "Σ" in folded:
        return None
    low = (fold_typography(folded) if _TYPOGRAPHIC_RE.search(folded) else folded).lower()
    return low if len(low) == len(folded) else None


@dataclass(frozen=True)
class CountedParagraph:
    """One paragraph as training counts it: its text, the terminators of its sentences, its
    lower-cased tokens and each sentence's counts (sentences without words left out)."""

    text: str
    terminators: tuple[str, ...]
    tokens: list[str]
    sentences: list[SentenceCounts]

    @property
    def word_count(self) -> int:
        return sum(len(sentence[2]) for sentence in self.sentences)


def paragraph_counts(paragraph: Paragraph) -> CountedParagraph:
    """A parsed paragraph's counts.

    ``paragraph`` must be as :func:`~inkmod.style.tokens.parse_paragraph` made it: its
    sentences' offsets are read in its text.
    """
    text = paragraph.text
    join = " ".join
    terminators = tuple(sentence.terminator for sentence in paragraph.sentences)
    sentences: list[SentenceCounts] = []
    low = _folded_lower(text)
    if low is None:
        for sentence in paragraph.sentences:
            part = text[sentence.start : sentence.end]
            words = _lower_words(sentence.words)
            sentences.append((part, lower_tokens(part), words, list(map(join, pairwise(words)))))
        return CountedParagraph(text, terminators, lower_tokens(text), sentences)
    findall = TOKEN_RE.findall
    punctuation = _PUNCT_SET
    tokens: list[str] = []
    done = 0
    for sentence in paragraph.sentences:
        start, end = sentence.start, sentence.end
        if start > done:  # a span without words between sentences still has its marks
            tokens.extend(findall(low, done, start))
        found = findall(low, start, end)
        tokens.extend(found)
        words = [t for t in found if t not in punctuation]
        sentences.append((text[start:end], found, words, list(map(join, pairwise(words)))))
        done = end
    tokens.extend(findall(low, done))
    return CountedParagraph(text, terminators, tokens, sentences)


def count_text(text: str) -> CountedParagraph:
    """``paragraph_counts(parse_paragraph(text))`` without finding the words in the original
    text first: when folding keeps offsets, a sentence's words are the word tokens of its span
    (see ``text_features``), so the sentence spans and one tokenising pass are all it takes."""
    folded = normalise(text)
    low = _folded_lower(text)
    if low is None:
        return paragraph_counts(parse_paragraph(text))
    findall = TOKEN_RE.findall
    punctuation = _PUNCT_SET
    join = " ".join
    tokens: list[str] = []
    terminators: list[str] = []
    sentences: list[SentenceCounts] = []
    for start, end, terminator in split_sentences(folded):
        found = findall(low, start, end)
        tokens.extend(found)
        words = [t for t in found if t not in punctuation]
        if words:
            terminators.append(terminator)
            sentences.append((text[start:end], found, words, list(map(join, pairwise(words)))))
    return CountedParagraph(text, tuple(terminators), tokens, sentences)


def passage_features(parts: Sequence[SentenceCounts]) -> ParagraphFeatures:
    """The features of consecutive sentences read as one passage (their texts joined by spaces):
    what ``paragraph_features`` gives for that passage, from counts already taken."""
    text = " ".join(part[0] for part in parts)
    tokens = [t for part in parts for t in part[1]]
    words = [w for part in parts for w in part[2]]
    return ParagraphFeatures(
        n_words=len(words),
        tokens=Counter(tokens),
        sentence_lengths=tuple(len(part[2]) for part in parts),
        word_length_sum=sum(map(len, words)),
        bigrams=Counter(b for part in parts for b in part[3]),
        openers=tuple(part[2][0] for part in parts),
        shapes=tuple(shapes_of(tokens)),
        typography=typography_counts(text),
        repetition=repetition(words),
    )


def document_stats(paragraphs: Iterable[Paragraph]) -> DocumentStats:
    """Sufficient statistics for one document, from its parsed paragraphs."""
    return document_counts(map(paragraph_counts, paragraphs))


def document_counts(paragraphs: Iterable[CountedParagraph]) -> DocumentStats:
    """Sufficient statistics for one document, from its paragraphs' counts.

    Strings to count are gathered in lists and counted once at the end: one C-level counting pass
    over the whole document is several times faster than updating counters sentence by sentence.
    """
    stats = DocumentStats(n_docs=1)
    all_words: list[str] = []
    all_tokens: list[str] = []
    pairs: list[str] = []
    longer: list[str] = []
    all_shapes: list[str] = []
    openers: list[str] = []
    hist = stats.sentence_length_hist
    n_sentences = s_sum = s_sq = wl_sum = wl_sq = 0
    questions = exclamations = subordinate = passives = transitions = 0
    mul = operator.mul
    join = " ".join
    for paragraph in paragraphs:
        if not paragraph.sentences:
            continue
        stats.n_paragraphs += 1
        n_sent = len(paragraph.sentences)
        stats.paragraph_sentences_sum += n_sent
        stats.paragraph_sentences_sumsq += n_sent * n_sent
        stats.multi_sentence_paragraphs += n_sent > 1
        typographic, plain = typography_counts(paragraph.text)
        stats.typographic_marks += typographic
        stats.plain_marks += plain
        tokens = paragraph.tokens
        all_tokens.extend(tokens)
        all_shapes.extend(shapes_of(tokens))
        for terminator, (_, _, words, bigrams) in zip(
            paragraph.terminators, paragraph.sentences, strict=True
        ):
            n = len(words)
            all_words.extend(words)
            n_sentences += 1
            s_sum += n
            s_sq += n * n
            hist[bisect_left(SENTENCE_BINS, n)] += 1
            lengths = list(map(len, words))
            wl_sum += sum(lengths)
            wl_sq += sum(map(mul, lengths, lengths))
            openers.append(words[0])
            if terminator:
                questions += terminator[0] == "?"
                exclamations += terminator[0] == "!"
            subordinate += _count_subordinate(words)
            passives += _count_passive(words)
            transitions += _starts_with_transition(words)
            pairs.extend(bigrams)
            if n > 2:
                longer.extend(map(join, zip(words, words[1:], words[2:], strict=False)))
                longer.extend(map(join, zip(words, words[1:], words[2:], words[3:], strict=False)))
    stats.n_sentences = n_sentences
    stats.n_words = s_sum
    stats.sentence_length_sum = s_sum
    stats.sentence_length_sumsq = s_sq
    stats.word_length_sum = wl_sum
    stats.word_length_sumsq = wl_sq
    stats.questions = questions
    stats.exclamations = exclamations
    stats.subordinate_clauses = subordinate
    stats.passives = passives
    stats.transition_openers = transitions
    stats.tokens = Counter(all_tokens)
    # Word pairs are all kept (the phrasing component looks every pair up); 3- and 4-word phrases
    # only when they recur within the document. Most long n-grams occur once, and keeping them
    # would triple the profile's size and the time to merge or send it, for phrases that are by
    # definition not habits. Per-document pruning keeps add/remove exactly equal to a rebuild.
    stats.phrases = Counter(pairs)
    stats.phrases.update({p: c for p, c in Counter(longer).items() if c >= 2})
    stats.openers = Counter(openers)
    # Shape n-grams run across paragraph breaks: the document is one stream of habits.
    stats.shape_ngrams = shape_ngrams(all_shapes)
    mattr_sum, stats.mattr_windows = _mattr_windows(all_words)
    stats.mattr_sum = round(mattr_sum, 9)
    return stats


def parse_paragraphs(texts: Iterable[str]) -> list[Paragraph]:
    """Parse paragraph texts (already free of markup)."""
    return [parse_paragraph(text) for text in texts]


# Tone markers, counted from any token counts (a paragraph's or a whole profile's).

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
_S_CONTRACTIONS = frozenset(
    ("it", "that", "there", "here", "what", "he", "she", "who", "where", "how", "let")
)


def _tone_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for name, lexicon in TONE_LEXICONS.items():
        for token in lexicon:
            index.setdefault(token, []).append(name)
    return {token: tuple(names) for token, names in index.items()}


# Which tone families each marker belongs to: one lookup per token instead of one per family.
_TONE_INDEX = _tone_index()


def tone_counts(tokens: Mapping[str, int]) -> dict[str, int]:
    """Raw counts of each tone marker family, contractions and exclamation marks."""
    counts = {name: 0 for name in TONE_LEXICONS}
    contractions = 0
    if len(tokens) > 4 * len(_TONE_INDEX):
        # A whole profile's vocabulary: look the markers up rather than every word in the index.
        get = tokens.get
        for marker, families_of in _TONE_INDEX.items():
            found = get(marker, 0)
            if found:
                for name in families_of:
                    counts[name] += found
        for token in [t for t in tokens if "'" in t]:
            if not token.endswith("'s") or token[:-2] in _S_CONTRACTIONS:
                contractions += tokens[token]
    else:
        families = _TONE_INDEX.get
        for token, count in tokens.items():
            names = families(token)
            if names:
                for name in names:
                    counts[name] += count
            if "'" in token and (not token.endswith("'s") or token[:-2] in _S_CONTRACTIONS):
                contractions += count
    counts["contractions"] = contractions
    counts["exclamations"] = tokens.get("!", 0)
    return counts
