"""The drift score: how far one paragraph is from the writer's own voice, and why.

Each component measures one habit — vocabulary, syntax (the order of function words and
punctuation with the topic masked out), function words, sentence length, punctuation, tone,
phrasing, word length — as a "surprise" (higher = less like the writer). A raw surprise means
nothing on its own: a terse writer's paragraphs vary less than a wordy one's. So every component is
standardised against the writer's *own* variation, measured by scoring their paragraphs against the
profile without the document they came from (leave-one-document-out calibration). The combined
surprise is finally mapped to [0, 1] against the same own-paragraph distribution, so a score of 0.95
means "more unusual than about 95 % of your own paragraphs", whoever you are.

Why vocabulary and syntax dominate: on passages of 150–300 words, habits measured as rates
(punctuation, sentence length, tone) are too noisy to tell writers apart (benchmarks/ measures
each alone), while a likelihood ratio over every word, and an n-gram model of the writer's
function-word-and-punctuation skeleton, pool evidence from every token.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from itertools import repeat
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from inkmod.style import lexicons as lx
from inkmod.style.background import Background, default_background
from inkmod.style.cohort import COHORT_WEIGHTS, CohortReference
from inkmod.style.features import (
    PUNCTUATION_MARKS,
    SHAPE_ALPHABET,
    SHAPE_ORDER,
    ParagraphFeatures,
    tone_counts,
)
from inkmod.style.view import ProfileView
from inkmod.style.weights import COMPONENT_WEIGHTS
from inkmod.style.weights import COMPONENTS as COMPONENTS

MIN_WORDS = 25  # below this a paragraph is too short to judge
# Dirichlet prior: how many background words the writer's counts compete with.
PRIOR_WEIGHT = 20000.0
TOP_FUNCTION_WORDS = 60
SHAPE_SMOOTHING = 3.0  # how many observations a shape history needs before it is trusted

# A paragraph that repeats itself beyond this many of the writer's own spreads is looping (a
# degenerate draft or a stuck model); every spread further adds LOOP_GAIN spreads of drift,
# outside the clipped mean, so a loop made of the writer's favourite words still drifts.
LOOP_FREE = 3.0
# Least spread a component's calibration may have. A small or uniform sample folder can show
# almost no spread of repetition (or of glyphs), and one repeated word would then count as
# many "spreads". Units are the components' own (repetition: a share of the paragraph).
MIN_SPREAD: dict[str, float] = {"repetition": 0.05, "typography": 0.5}
LOOP_GAIN = 1.0
_COHORT_VOCABULARY = COHORT_WEIGHTS["vocabulary"]
_COHORT_SYNTAX = COHORT_WEIGHTS["syntax"]
# Scores are reported with two decimals, and the decision "drifting = score > threshold" is taken
# on that reported value: what the CLI, the JSON and the editor show is what was decided.
SCORE_DECIMALS = 2
# A standardised component counts at most this many of the writer's spreads either way: the
# chi-square-like habits have heavy tails, and one extreme habit must not outvote the rest.
COMPONENT_CLIP = 4.0
MINOR_COMPONENTS = frozenset(("typography",))  # named in reasons only after the others
_TONE_KEYS = (
    "formal",
    "casual",
    "emphatic",
    "hedges",
    "intensifiers",
    "first_person",
    "second_person",
    "contractions",
)
_TONE_LABELS = {
    "formal": "formal words",
    "casual": "casual words",
    "emphatic": "emphatic words",
    "hedges": "hedges (perhaps, somewhat, might)",
    "intensifiers": "intensifiers (very, really, extremely)",
    "first_person": "first-person words (I, me, we)",
    "second_person": "second-person words (you, your)",
    "contractions": "contractions",
}
_PUNCT_NAMES = {
    ".": "full stops",
    ",": "commas",
    ";": "semicolons",
    ":": "colons",
    "!": "exclamation marks",
    "?": "question marks",
    '"': "quotation marks",
    "—": "dashes",
    "(": "parentheses",
    ")": "parentheses",
    "-": "hyphens",
}


@dataclass(frozen=True)
class ComponentCalibration:
    """Centre and spread of one component over the writer's own held-out paragraphs."""

    median: float
    spread: float


@dataclass(frozen=True)
class Calibration:
    """The writer's own variation, from leave-one-document-out scoring."""

    components: Mapping[str, ComponentCalibration]
    combined_median: float
    combined_spread: float
    paragraphs: int
    # The impostor cohort members the components were measured against (empty: none), so that
    # scoring uses the very members calibration did (see inkmod.style.cohort).
    cohort: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "components": {k: [v.median, v.spread] for k, v in self.components.items()},
            "combined": [self.combined_median, self.combined_spread],
            "paragraphs": self.paragraphs,
            "cohort": list(self.cohort),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            components={
                k: ComponentCalibration(float(v[0]), float(v[1]))
                for k, v in data["components"].items()
            },
            combined_median=float(data["combined"][0]),
            combined_spread=float(data["combined"][1]),
            paragraphs=int(data["paragraphs"]),
            cohort=tuple(str(name) for name in data.get("cohort", ())),
        )


@dataclass
class Surprise:
    """Raw component surprises of one paragraph, with the evidence behind them for reasons."""

    values: dict[str, float]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftResult:
    """A paragraph's drift: a score in [0, 1] (None when too short) and the reasons in words."""

    score: float | None
    words: int
    reasons: tuple[str, ...]
    components: Mapping[str, float]
    # The combined surprise in units of the writer's own spread, before it is mapped to [0, 1].
    # It keeps ordering paragraphs after the score saturates at 1.0 (rewrite re-ranking needs it).
    z: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "z": None if self.z is None else round(self.z, 4),
            "score": self.score,
            "words": self.words,
            "reasons": list(self.reasons),
            "components": dict(self.components),
        }


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def surprises(
    features: ParagraphFeatures,
    view: ProfileView,
    background: Background | None = None,
    top_function_words: Sequence[str] | None = None,
    cohort: CohortReference | None = None,
) -> Surprise:
    """Raw surprise of each component for one paragraph against a profile view.

    With a ``cohort`` (see :mod:`inkmod.style.cohort`), the vocabulary and syntax surprises are
    relative to those writers': their mean surprise, times ``COHORT_WEIGHTS``, is subtracted.
    """
    bg = background or default_background()
    n = max(1, features.n_words)
    values: dict[str, float] = {}
    evidence: dict[str, Any] = {}

    values["vocabulary"], evidence["unused_words"] = _vocabulary(features, view, bg, cohort)
    values["syntax"], evidence["syntax"] = _syntax(features, view, cohort)

    # Function words: Poisson z-scores of the writer's most frequent function words.
    chosen = top_function_words or _cached_top_function_words(view)
    tokens = features.tokens
    word_rates = _word_rates(view, chosen, "function_words")
    counts_here = list(map(tokens.get, chosen, repeat(0)))
    z2 = 0.0
    sizes: list[float] = []
    sqrt = math.sqrt
    for rate, here in zip(word_rates, counts_here, strict=True):
        expected = rate * n
        z = (here - expected) / sqrt(expected + 0.5)
        z2 += z * z
        sizes.append(abs(z))
    values["function_words"] = z2 / max(1, len(chosen))
    # The two largest |z| (ties to the later word, as a reverse sort of the tuples did).
    top = heapq.nlargest(2, zip(sizes, chosen, range(len(chosen)), strict=True))
    evidence["function_words"] = [
        (size, word, counts_here[i] / n, word_rates[i] * n / n) for size, word, i in top
    ]

    # Sentence length: z of the paragraph's mean sentence length.
    lengths = features.sentence_lengths
    if lengths and view.sentence_sd > 0:
        mean_len = sum(lengths) / len(lengths)
        z = (mean_len - view.sentence_mean) / (view.sentence_sd / math.sqrt(len(lengths)))
        values["sentence_length"] = abs(z)
        sd_len = _sd(lengths)
        evidence["sentence_length"] = (mean_len, sd_len, view.sentence_mean, view.sentence_sd, z)
    else:
        values["sentence_length"] = 0.0

    # Punctuation: chi-square of each mark's count against the writer's rate.
    chi = 0.0
    marks: list[tuple[float, str, int, float]] = []
    for mark, rate in zip(
        PUNCTUATION_MARKS, _word_rates(view, PUNCTUATION_MARKS, "marks"), strict=True
    ):
        expected = rate * n
        here = tokens.get(mark, 0)
        term = (here - expected) ** 2 / (expected + 0.5)
        chi += term
        marks.append((term, mark, here, expected))
    values["punctuation"] = chi / len(PUNCTUATION_MARKS)
    marks.sort(reverse=True)
    evidence["punctuation"] = marks[:2]

    # Tone: chi-square over tone marker families and contractions.
    mine_tone = tone_counts(tokens)
    rates = _tone_rates(view)
    chi = 0.0
    tones: list[tuple[float, str, int, float]] = []
    for key in _TONE_KEYS:
        expected = rates[key] * n
        observed = mine_tone[key]
        term = (observed - expected) ** 2 / (expected + 0.5)
        chi += term
        tones.append((term, key, observed, expected))
    values["tone"] = chi / len(_TONE_KEYS)
    tones.sort(reverse=True)
    evidence["tone"] = tones[:2]

    # Phrasing: share of the paragraph's word pairs the writer has never written.
    bigrams = features.bigrams
    pairs = sum(bigrams.values())
    if pairs:
        counts = view.phrase_counts(list(bigrams))
        unseen = sum(c for c, known in zip(bigrams.values(), counts, strict=True) if known <= 0)
        values["phrasing"] = unseen / pairs
    else:
        values["phrasing"] = 0.0

    # Typography: the share of typographic glyphs among quotes, dashes and ellipses, against the
    # writer's share (a binomial chi-square with one degree of freedom).
    typographic, straight = features.typography
    glyphs = typographic + straight
    if glyphs:
        share = (view.typographic_marks + 0.5) / (view.typographic_marks + view.plain_marks + 1.0)
        expected = glyphs * share
        variance = glyphs * share * (1.0 - share) + 0.5
        values["typography"] = (typographic - expected) ** 2 / variance
        evidence["typography"] = (typographic, straight, share)
    else:
        values["typography"] = 0.0

    values["repetition"] = features.repetition

    # Word length: z of mean word length.
    if view.word_length_sd > 0:
        mean_wl = features.word_length_sum / n
        z = (mean_wl - view.word_length_mean) / (view.word_length_sd / math.sqrt(n))
        values["word_length"] = abs(z)
        evidence["word_length"] = (mean_wl, view.word_length_mean, z)
    else:
        values["word_length"] = 0.0
    return Surprise(values, evidence)


def _vocabulary(
    features: ParagraphFeatures,
    view: ProfileView,
    bg: Background,
    cohort: CohortReference | None = None,
) -> tuple[float, list[str]]:
    """Minus the mean log-likelihood ratio, writer's smoothed unigram model vs general English.

    Each token type counts with weight log(1 + count), so one repeated name cannot dominate.
    With a cohort, each token's ratio is less the cohort members' mean ratio (times its weight):
    at weight 1, the writer's model against theirs. Per-token ratios are kept in the view's
    cache: they depend only on the view, the background and the cohort.
    """
    memo: dict[str, tuple[float, bool]] | None = view.cache.get("vocabulary")
    if (
        memo is None
        or view.cache.get("vocabulary_bg") is not bg
        or view.cache.get("vocabulary_cohort") is not cohort
    ):
        memo = view.cache["vocabulary"] = {}
        view.cache["vocabulary_bg"] = bg
        view.cache["vocabulary_cohort"] = cohort
    total = view.n_tokens + PRIOR_WEIGHT
    log = math.log
    new = [token for token in features.tokens if token not in memo]
    if new:
        p_bgs = list(map(bg, new))
        theirs = (
            _CohortWordModel.of(cohort).mean_log_ratios(new, p_bgs)
            if cohort is not None and cohort.members
            else None
        )
        for i, (token, p_bg) in enumerate(zip(new, p_bgs, strict=True)):
            mine = view.count(token)
            llr = log((mine + PRIOR_WEIGHT * p_bg) / total / p_bg)
            candidate = mine == 0 and token.isalpha() and len(token) > 3 and p_bg > 2e-6
            if theirs is not None:
                llr -= _COHORT_VOCABULARY * theirs[i]
            memo[token] = (llr, candidate)
    weighted = 0.0
    weights = 0.0
    foreign: list[tuple[float, str]] = []
    log1p = math.log1p
    for token, count in features.tokens.items():
        llr, candidate = memo[token]
        weight = log1p(count)
        weighted += weight * llr
        weights += weight
        if candidate:
            foreign.append((llr * weight, token))
    foreign.sort()
    return (-(weighted / weights) if weights else 0.0), [w for _, w in foreign[:4]]


class _MemberTable:
    """The cohort members' count tables as one array: a row per key any member has (the last
    row for keys none has), a column per member; kept in the cohort reference's cache."""

    dtype: Any = np.int64

    def __init__(self, cohort: CohortReference, tables: Sequence[Mapping[str, int]]) -> None:
        index: dict[str, int] = {}
        for table in tables:
            for key in table:
                index.setdefault(key, len(index))
        counts = np.zeros((len(index) + 1, len(tables)), self.dtype)
        for column, table in enumerate(tables):
            rows = np.fromiter(map(index.__getitem__, table), np.intp, len(table))
            counts[rows, column] = np.fromiter(table.values(), self.dtype, len(table))
        self.index = index
        self.counts = counts

    def rows(self, keys: Sequence[str]) -> npt.NDArray[np.intp]:
        """The table rows of ``keys`` (the unseen row for a key no member has)."""
        return np.fromiter(map(self.index.get, keys, repeat(len(self.index))), np.intp, len(keys))

    @classmethod
    def of(cls: type[_Table], cohort: CohortReference) -> _Table:
        """The table of ``cohort``, built once for every view scored against it."""
        model = cohort.cache.get(cls.__name__)
        if not isinstance(model, cls):
            model = cohort.cache[cls.__name__] = cls(cohort)  # type: ignore[call-arg]
        return model


_Table = TypeVar("_Table", bound=_MemberTable)


class _CohortWordModel(_MemberTable):
    """Every member's smoothed word model in one table (a row per word, a column per member).

    The same reason as :class:`_CohortShapeModel`: a new paragraph's words are looked up once
    and their log ratios taken by numpy across the members, not 16 Python calls per word.
    """

    dtype = np.float64

    def __init__(self, cohort: CohortReference) -> None:
        super().__init__(cohort, [m.view._tokens for m in cohort.members])
        self.sizes = np.array([m.view.n_tokens + PRIOR_WEIGHT for m in cohort.members])

    def mean_log_ratios(self, tokens: Sequence[str], p_bgs: Sequence[float]) -> list[float]:
        """Each token's mean over the members of log(P_member(token) / P_general(token))."""
        rows = self.rows(tokens)
        p_bg = np.asarray(p_bgs, np.float64)[:, None]
        ratios = np.log((self.counts[rows] + PRIOR_WEIGHT * p_bg) / self.sizes / p_bg)
        return ratios.mean(axis=1).tolist()


def _syntax(
    features: ParagraphFeatures, view: ProfileView, cohort: CohortReference | None = None
) -> tuple[float, list[tuple[float, int]]]:
    """Minus the mean log gain of the writer's shape n-gram model over their shape unigrams.

    The paragraph is distorted (content words masked, function words and punctuation kept, see
    ``features.token_shape``); each shape is predicted from the ones before it by the writer's
    interpolated n-gram model. Dividing by the writer's own unigram probability leaves only the
    *order* in which they put things — how often "of the *" or ", which *ed" follows — which a
    new topic does not change. With a cohort, the members' mean gain (times its weight) is
    subtracted: patterns every writer of the kind uses stop counting as the writer's. Returns
    the value and, as evidence, where (token index) the writer's least expected patterns end.
    """
    shapes = features.shapes
    if len(shapes) < 2:
        return 0.0, []
    values = _ShapeModel.of(view).gains_of(shapes)
    # Summed one by one in token order (reduce, not sum(): Python 3.12's sum() compensates),
    # so the value is the one the per-token loop of earlier versions gave, bit for bit.
    total = reduce(operator.add, values, 0.0)
    if cohort is not None and cohort.members:
        total -= _COHORT_SYNTAX * _cohort_gain_sum(shapes, cohort)
    lowest = [(v, i) for i, v in enumerate(values, 1) if v < -1.0 and i + 1 >= SHAPE_ORDER]
    lowest.sort()
    return -total / (len(shapes) - 1), lowest[:3]


def _cohort_gain_sum(shapes: Sequence[str], cohort: CohortReference) -> float:
    """The cohort members' mean gain, summed over the paragraph's shapes.

    Mean gains depend on the members alone and are kept by n-gram in the cohort's cache, shared
    by every view scored against it, so a re-scored paragraph costs one lookup per shape; a
    paragraph with new n-grams asks all members at once (:class:`_CohortShapeModel`).
    """
    memo: dict[str, float] = cohort.cache.setdefault("mean_gains", {})
    keys = _shape_keys(shapes)
    found = list(map(memo.get, keys))
    if None in found:
        means = _CohortShapeModel.of(cohort).mean_gains(shapes)
        memo.update(zip(keys, means, strict=True))
        return math.fsum(means)
    return math.fsum(found)  # type: ignore[arg-type]  # no None


class _CohortShapeModel(_MemberTable):
    """Every member's shape model (the interpolation of :class:`_ShapeModel`) in one table.

    Why: asked one member at a time, a new paragraph built its n-grams and looked them up once
    per member, and a new 10,000-word document took 416 ms to score after warm-up against 38 ms
    without the cohort — every document a writer opens is new. Here the members' counts sit in
    one array (a row per n-gram any member has, a column per member), so a paragraph costs one
    dictionary lookup per n-gram and numpy does the members together. The same formula, with
    numpy's logarithm and mean: equal to the per-member result within rounding.
    """

    def __init__(self, cohort: CohortReference) -> None:
        super().__init__(cohort, [m.view.shape_table() for m in cohort.members])
        self.n_tokens = np.array([max(0, m.view.n_tokens) for m in cohort.members], np.float64)

    def mean_gains(self, shapes: Sequence[str]) -> list[float]:
        """The members' mean log gain of every shape from the second on (as ``_shape_keys``)."""
        rows = {m: self.rows(_ngrams(shapes, m)) for m in range(1, SHAPE_ORDER + 1)}
        prob, unigram = _interpolate(
            lambda m, starts: self.counts[rows[m][starts]], np.arange(1, len(shapes)), self.n_tokens
        )
        return np.log(prob / unigram).mean(axis=1).tolist()


def _shape_keys(shapes: Sequence[str]) -> list[str]:
    """The n-gram ending at each shape from the second on: the longest the model knows
    (``SHAPE_ORDER``), shorter at the start of the paragraph."""
    full = _ngrams(shapes, SHAPE_ORDER)
    return [" ".join(shapes[: i + 1]) for i in range(1, min(SHAPE_ORDER - 1, len(shapes)))] + full


def _ngrams(shapes: Sequence[str], m: int) -> list[str]:
    """The space-joined m-grams of ``shapes``, the i-th starting at token i."""
    return list(map(" ".join, zip(*(shapes[k:] for k in range(m)), strict=False)))


class _ShapeModel:
    """The writer's interpolated shape n-gram model over one view, memoised by n-gram.

    P(t | h) = (c(h t) + β P(t | shorter h)) / (c(h) + β), down to the add-½ unigram. Gains are
    kept by n-gram string; the n-grams of a paragraph new to the memo are computed together,
    their counts fetched in C (``map`` over the count tables) and the interpolation done with
    numpy over all of them at once. The arithmetic is the same sequence of IEEE operations as
    one-at-a-time evaluation and the logarithm is ``math.log``, so scores do not change; what
    changes is that a freshly loaded profile no longer pays several Python calls per new n-gram.
    """

    def __init__(self, view: ProfileView) -> None:
        self.n_tokens = max(0, view.n_tokens)
        self.counts = view.shape_counts
        self.gains: dict[str, float] = {}

    @classmethod
    def of(cls, view: ProfileView) -> _ShapeModel:
        model: _ShapeModel | None = view.cache.get("shape_model")
        if model is None:
            model = view.cache["shape_model"] = cls(view)
        return model

    def gains_of(self, shapes: Sequence[str]) -> list[float]:
        """log P(shape | the ones before) / P(shape) for every shape from the second on.

        The n-gram ending at each token is the longest the model knows (``SHAPE_ORDER``),
        shorter at the start of the paragraph; the gains are kept by that n-gram.
        """
        order = SHAPE_ORDER
        full = _ngrams(shapes, order)
        keys = [" ".join(shapes[: i + 1]) for i in range(1, min(order - 1, len(shapes)))] + full
        gains = self.gains
        found = list(map(gains.get, keys))
        missing = [i for i, value in enumerate(found) if value is None]
        if not missing:
            return found  # type: ignore[return-value]  # no None
        computed = self._compute(shapes, full, [i + 1 for i in missing])
        gains.update(zip(map(keys.__getitem__, missing), computed, strict=True))
        return list(map(gains.__getitem__, keys))

    def _compute(self, shapes: Sequence[str], full: list[str], ends: list[int]) -> list[float]:
        """Gains of the n-grams ending at token indices ``ends`` (each at least 1); ``full`` are
        the paragraph's n-grams of the model's order."""
        order = SHAPE_ORDER
        counts = self.counts
        # grams[m][j]: the m-gram starting at token j (grams[1] are the shapes themselves).
        grams: list[Sequence[str]] = [(), shapes]
        grams.extend(_ngrams(shapes, m) for m in range(2, order))
        grams.append(full)
        # When most of the paragraph is new (a cold profile), the shorter n-grams are counted
        # once for every position: each is a history or a lower order of several new n-grams.
        dense = (
            {m: counts(grams[m]) for m in range(1, order)} if 2 * len(ends) > len(shapes) else {}
        )

        def count_at(m: int, starts: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
            table = dense.get(m)
            if table is not None:
                return table[starts]
            return counts(_pick(grams[m], starts.tolist()))

        prob, unigram = _interpolate(count_at, np.asarray(ends), self.n_tokens)
        return list(map(math.log, (prob / unigram).tolist()))


def _interpolate(
    count_at: Callable[[int, npt.NDArray[np.intp]], npt.NDArray[Any]],
    at: npt.NDArray[np.intp],
    n_tokens: Any,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """P(shape | history) and P(shape) at token indices ``at``, for one model or (2-D counts, a
    column per model) several at once: P = (c(h t) + β P(t | shorter h)) / (c(h) + β) down to
    the add-½ unigram. ``count_at(m, starts)`` is the count of the m-grams starting there."""
    unigram = (count_at(1, at) + 0.5) / (n_tokens + 0.5 * SHAPE_ALPHABET)
    prob = unigram.copy()
    for k in range(2, SHAPE_ORDER + 1):
        rows = np.flatnonzero(at >= k - 1)  # tokens with k - 1 shapes before them
        if not len(rows):
            break
        starts = at[rows] - (k - 1)
        seen = count_at(k - 1, starts)
        both = np.minimum(seen, count_at(k, starts))  # 0 when the history was never seen
        prob[rows] = (both + SHAPE_SMOOTHING * prob[rows]) / (seen + SHAPE_SMOOTHING)
    return prob, unigram


def _pick(items: Sequence[str], indices: list[int]) -> list[str]:
    """``[items[i] for i in indices]``, the loop in C."""
    return list(map(items.__getitem__, indices))


def _sd(values: Sequence[int]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _top_function_words(view: ProfileView) -> list[str]:
    ranked = sorted(lx.FUNCTION_WORDS, key=lambda w: -view.count(w))
    return ranked[:TOP_FUNCTION_WORDS]


def _word_rates(view: ProfileView, words: Sequence[str], slot: str) -> list[float]:
    """Each word's occurrences per word of the view, cached on the view (one list per slot)."""
    key = "rates:" + slot
    cached: tuple[Sequence[str], list[float]] | None = view.cache.get(key)
    if cached is None or cached[0] is not words:
        inv_words = 1.0 / view.n_words if view.n_words else 0.0
        # count * (1 / words), in that order: the figure the per-paragraph loop used to compute.
        cached = view.cache[key] = (words, [view.count(w) * inv_words for w in words])
    return cached[1]


def _cached_top_function_words(view: ProfileView) -> list[str]:
    chosen: list[str] | None = view.cache.get("top_function_words")
    if chosen is None:
        chosen = view.cache["top_function_words"] = _top_function_words(view)
    return chosen


def _tone_rates(view: ProfileView) -> dict[str, float]:
    rates: dict[str, float] | None = view.cache.get("tone")
    if rates is None:
        counts = tone_counts(view.token_counts())
        rates = view.cache["tone"] = {k: v / max(1, view.n_words) for k, v in counts.items()}
    return rates


def view_tone_rate(view: ProfileView, key: str) -> float:
    """Rate per word of a tone family in the view (cached on the view)."""
    return _tone_rates(view)[key]


def combine(
    values: Mapping[str, float], calibration: Calibration | None
) -> tuple[float, dict[str, float]]:
    """Standardise each component by the writer's own spread, clip, and take the weighted mean.

    A component the calibration does not know (a profile calibrated by an older version) counts
    as typical (0) until the profile is recalibrated.
    """
    normed: dict[str, float] = {}
    for name in COMPONENT_WEIGHTS:
        raw = values.get(name, 0.0)
        if calibration is None:
            value = raw
        elif name in calibration.components:
            cal = calibration.components[name]
            value = (raw - cal.median) / cal.spread
        else:
            value = 0.0
        normed[name] = max(-COMPONENT_CLIP, min(COMPONENT_CLIP, value))
    total = sum(COMPONENT_WEIGHTS.values())
    combined = sum(COMPONENT_WEIGHTS[k] * v for k, v in normed.items()) / total
    loop = _loop_excess(values, calibration)
    if loop > 0:
        spread = calibration.combined_spread if calibration else 1.0
        combined += LOOP_GAIN * loop * spread
    return combined, normed


def _loop_excess(values: Mapping[str, float], calibration: Calibration | None) -> float:
    """How many of the writer's spreads the paragraph repeats itself beyond ``LOOP_FREE``."""
    if calibration is None or "repetition" not in calibration.components:
        return 0.0
    cal = calibration.components["repetition"]
    return max(0.0, (values.get("repetition", 0.0) - cal.median) / cal.spread - LOOP_FREE)


def standardise_combined(combined: float, calibration: Calibration | None) -> float:
    """The combined surprise in units of the writer's own spread (0 = a typical paragraph)."""
    if calibration is None:
        return combined
    return (combined - calibration.combined_median) / calibration.combined_spread


def score_from_combined(combined: float, calibration: Calibration | None) -> float:
    """Map a combined surprise to [0, 1] against the writer's own paragraphs."""
    return _normal_cdf(standardise_combined(combined, calibration))


def drift(
    features: ParagraphFeatures,
    view: ProfileView,
    calibration: Calibration | None,
    *,
    max_reasons: int = 3,
    background: Background | None = None,
    top_function_words: Sequence[str] | None = None,
    cohort: CohortReference | None = None,
) -> DriftResult:
    """Score one paragraph against a profile: the score, the component scores and the reasons."""
    if features.n_words < MIN_WORDS:
        return DriftResult(
            score=None,
            words=features.n_words,
            reasons=(f"too short to judge ({features.n_words} words; needs {MIN_WORDS})",),
            components={},
        )
    surprise = surprises(features, view, background, top_function_words, cohort)
    combined, normed = combine(surprise.values, calibration)
    score = score_from_combined(combined, calibration)
    reasons = explain(surprise, normed, view, features, max_reasons)
    return DriftResult(
        score=round(score, SCORE_DECIMALS),
        words=features.n_words,
        reasons=tuple(reasons),
        components=normed,
        z=standardise_combined(combined, calibration),
    )


_NO_SPACE_BEFORE = frozenset(".,;:!?)")
_QUOTE_CONTEXT = 2  # tokens of the paragraph quoted on either side of an unusual pattern


def _quote(sequence: Sequence[str], end: int) -> str:
    """The paragraph's own words around the shape n-gram ending at token ``end``.

    Quoting the writer's text ("needs, because the plan") says where the sentence is built
    unlike theirs; the masked pattern itself ("… …s because") means nothing to a writer.
    """
    if not sequence or end >= len(sequence):
        return ""
    start = max(0, end + 1 - SHAPE_ORDER - _QUOTE_CONTEXT)
    out = ""
    for token in sequence[start : end + 1 + _QUOTE_CONTEXT]:
        if out and token not in _NO_SPACE_BEFORE and not out.endswith("("):
            out += " "
        out += token
    return out


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def explain(
    surprise: Surprise,
    normed: Mapping[str, float],
    view: ProfileView,
    features: ParagraphFeatures,
    max_reasons: int,
) -> list[str]:
    """Plain-words reasons for the components that stand out most.

    Components are ranked by how unusual they are for this writer (the standardised value, so a
    habit three of their own spreads off outranks one two spreads off whatever its weight), ties
    going to the weightier component. Minor habits (which glyphs are typed) come after the rest.
    """
    ranked = sorted(
        normed.items(),
        key=lambda item: (item[0] in MINOR_COMPONENTS, -item[1], -COMPONENT_WEIGHTS[item[0]]),
    )
    reasons: list[str] = []
    ev = surprise.evidence
    for name, value in ranked:
        if len(reasons) >= max_reasons or value < 1.0:
            break
        text = _reason(name, ev, view, features)
        if text:
            reasons.append(text)
    return reasons


def _reason(
    name: str, ev: Mapping[str, Any], view: ProfileView, features: ParagraphFeatures
) -> str | None:
    if name == "vocabulary":
        unused = ev.get("unused_words") or []
        for word in unused:
            plain = lx.PLAIN_ALTERNATIVES.get(word)
            if plain and view.count(plain) > 0:
                return f"you never use '{word}'; you write '{plain}'"
        if unused:
            listed = ", ".join(f"'{w}'" for w in unused[:3])
            return f"words you never use in your samples: {listed}"
        return "the vocabulary is unlike yours"
    if name == "sentence_length" and "sentence_length" in ev:
        mean_len, _sd_len, mine, mine_sd, _ = ev["sentence_length"]
        return (
            f"sentences average {_fmt(mean_len)} words; "
            f"yours average {_fmt(mine)} ± {_fmt(mine_sd)}"
        )
    if name == "function_words" and ev.get("function_words"):
        _, word, observed, expected = ev["function_words"][0]
        if expected <= 0:
            return f"uses '{word}', which you never do"
        ratio = observed / expected
        if ratio >= 1:
            return f"'{word}' {ratio:.1f}× as often as you use it"
        return (
            f"'{word}' far less often than you "
            f"({observed * 1000:.0f} vs {expected * 1000:.0f} per 1,000 words)"
        )
    if name == "punctuation" and ev.get("punctuation"):
        _, mark, observed, expected = ev["punctuation"][0]
        label = _PUNCT_NAMES[mark]
        per = 1000.0 / max(1, features.n_words)
        mine = view.rate(mark) * 1000
        return f"{label}: {observed * per:.0f} per 1,000 words here; you use {mine:.0f}"
    if name == "tone" and ev.get("tone"):
        _, key, observed, expected = ev["tone"][0]
        label = _TONE_LABELS[key]
        per = 1000.0 / max(1, features.n_words)
        return (
            f"{label}: {observed * per:.0f} per 1,000 words here; "
            f"you use {expected * per:.0f} per 1,000"
        )
    if name == "syntax":
        quoted = [_quote(features.sequence, end) for _, end in ev.get("syntax") or []]
        quoted = [q for q in quoted if q]
        if quoted:
            listed = ", ".join(f"“{q}”" for q in quoted[:2])
            return f"sentences are put together unlike yours, as in {listed}"
        return "sentences are put together unlike yours (the order of small words and commas)"
    if name == "typography" and "typography" in ev:
        typographic, plain, share = ev["typography"]
        here = typographic / max(1, typographic + plain)
        if here > share and share < 0.5:
            return "curly quotes or typographic dashes here; you usually type straight ones"
        if here < share and share > 0.5:
            return "straight quotes or dashes here; you usually type curly ones (“ ” –)"
        return None
    if name == "repetition":
        return "the paragraph repeats itself: the same words and phrases come round again"
    if name == "phrasing":
        return "few of the word pairs you habitually write"
    if name == "word_length" and "word_length" in ev:
        mean_wl, mine, _ = ev["word_length"]
        return f"words average {mean_wl:.1f} letters; yours average {mine:.1f}"
    return None
