"""The drift score: how far one paragraph is from the writer's own voice, and why.

Each component measures one habit — vocabulary, function words, sentence length, punctuation,
tone, phrasing, word length — as a "surprise" (higher = less like the writer). A raw surprise means
nothing on its own: a terse writer's paragraphs vary less than a wordy one's. So every component is
standardised against the writer's *own* variation, measured by scoring their paragraphs against the
profile without the document they came from (leave-one-document-out calibration). The combined
surprise is finally mapped to [0, 1] against the same own-paragraph distribution, so a score of 0.95
means "more unusual than about 95 % of your own paragraphs", whoever you are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inkmod.style import lexicons as lx
from inkmod.style.background import Background, default_background
from inkmod.style.features import PUNCTUATION_MARKS, ParagraphFeatures, tone_counts
from inkmod.style.view import ProfileView

MIN_WORDS = 25  # below this a paragraph is too short to judge
PRIOR_WEIGHT = 20000.0  # Dirichlet prior: how many background words the writer's counts compete with
TOP_FUNCTION_WORDS = 60

# How much each component counts in the combined score. The vocabulary likelihood ratio carries
# the most evidence on short texts (see benchmarks/), the others add independent habits.
COMPONENT_WEIGHTS: dict[str, float] = {
    "vocabulary": 6.0,
    "function_words": 1.0,
    "sentence_length": 0.5,
    "punctuation": 1.0,
    "tone": 0.5,
    "phrasing": 1.0,
    "word_length": 0.5,
}
COMPONENTS: tuple[str, ...] = tuple(COMPONENT_WEIGHTS)
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "components": {k: [v.median, v.spread] for k, v in self.components.items()},
            "combined": [self.combined_median, self.combined_spread],
            "paragraphs": self.paragraphs,
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

    def to_dict(self) -> dict[str, Any]:
        return {
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
) -> Surprise:
    """Raw surprise of each component for one paragraph against a profile view."""
    bg = background or default_background()
    n = max(1, features.n_words)
    values: dict[str, float] = {}
    evidence: dict[str, Any] = {}

    # Vocabulary: log-likelihood ratio of the writer's smoothed model against general English,
    # each word type weighted by log(1 + count) so one repeated name cannot dominate.
    total = view.n_tokens + PRIOR_WEIGHT
    weighted = 0.0
    weights = 0.0
    foreign: list[tuple[float, str]] = []
    for token, count in features.tokens.items():
        p_bg = bg(token)
        mine = view.count(token)
        llr = math.log((mine + PRIOR_WEIGHT * p_bg) / total / p_bg)
        weight = math.log1p(count)
        weighted += weight * llr
        weights += weight
        if mine == 0 and token.isalpha() and len(token) > 3 and p_bg > 2e-6:
            foreign.append((llr * weight, token))
    values["vocabulary"] = -(weighted / weights) if weights else 0.0
    foreign.sort()
    evidence["unused_words"] = [w for _, w in foreign[:4]]

    # Function words: Poisson z-scores of the writer's most frequent function words.
    chosen = top_function_words or _top_function_words(view)
    z2 = 0.0
    extremes: list[tuple[float, str, float, float]] = []
    for word in chosen:
        expected = view.rate(word) * n
        observed = features.tokens.get(word, 0)
        z = (observed - expected) / math.sqrt(expected + 0.5)
        z2 += z * z
        extremes.append((abs(z), word, observed / n, expected / n))
    values["function_words"] = z2 / max(1, len(chosen))
    extremes.sort(reverse=True)
    evidence["function_words"] = extremes[:2]

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
    for mark in PUNCTUATION_MARKS:
        expected = view.rate(mark) * n
        observed = features.tokens.get(mark, 0)
        term = (observed - expected) ** 2 / (expected + 0.5)
        chi += term
        marks.append((term, mark, observed, expected))
    values["punctuation"] = chi / len(PUNCTUATION_MARKS)
    marks.sort(reverse=True)
    evidence["punctuation"] = marks[:2]

    # Tone: chi-square over tone marker families and contractions.
    mine_tone = tone_counts(features.tokens)
    chi = 0.0
    tones: list[tuple[float, str, int, float]] = []
    for key in _TONE_KEYS:
        expected = view_tone_rate(view, key) * n
        observed = mine_tone[key]
        term = (observed - expected) ** 2 / (expected + 0.5)
        chi += term
        tones.append((term, key, observed, expected))
    values["tone"] = chi / len(_TONE_KEYS)
    tones.sort(reverse=True)
    evidence["tone"] = tones[:2]

    # Phrasing: share of the paragraph's word pairs the writer has never written.
    pairs = sum(features.bigrams.values())
    if pairs:
        unseen = sum(c for bigram, c in features.bigrams.items() if view.phrase_count(bigram) <= 0)
        values["phrasing"] = unseen / pairs
    else:
        values["phrasing"] = 0.0

    # Word length: z of mean word length.
    if view.word_length_sd > 0:
        mean_wl = features.word_length_sum / n
        z = (mean_wl - view.word_length_mean) / (view.word_length_sd / math.sqrt(n))
        values["word_length"] = abs(z)
        evidence["word_length"] = (mean_wl, view.word_length_mean, z)
    else:
        values["word_length"] = 0.0
    return Surprise(values, evidence)


def _sd(values: Sequence[int]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _top_function_words(view: ProfileView) -> list[str]:
    ranked = sorted(lx.FUNCTION_WORDS, key=lambda w: -view.count(w))
    return ranked[:TOP_FUNCTION_WORDS]


_TONE_CACHE_ATTR = "_tone_rates"


def view_tone_rate(view: ProfileView, key: str) -> float:
    """Rate per word of a tone family in the view (cached on the view)."""
    rates: dict[str, float] | None = getattr(view, _TONE_CACHE_ATTR, None)
    if rates is None:
        counts = tone_counts(_ViewTokens(view))
        rates = {k: v / max(1, view.n_words) for k, v in counts.items()}
        setattr(view, _TONE_CACHE_ATTR, rates)
    return rates[key]


class _ViewTokens(Mapping[str, int]):
    """The view's token counts as a mapping (for tone_counts)."""

    def __init__(self, view: ProfileView) -> None:
        self._view = view
        self._keys = [k for k in view._totals.tokens if view.count(k) > 0]

    def __getitem__(self, key: str) -> int:
        return self._view.count(key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def combine(values: Mapping[str, float], calibration: Calibration | None) -> tuple[float, dict]:
    """Standardise each component by the writer's own spread and take the weighted mean."""
    normed: dict[str, float] = {}
    for name, weight in COMPONENT_WEIGHTS.items():
        raw = values.get(name, 0.0)
        if calibration and name in calibration.components:
            cal = calibration.components[name]
            normed[name] = (raw - cal.median) / cal.spread
        else:
            normed[name] = raw
        del weight
    total = sum(COMPONENT_WEIGHTS.values())
    combined = sum(COMPONENT_WEIGHTS[k] * v for k, v in normed.items()) / total
    return combined, normed


def score_from_combined(combined: float, calibration: Calibration | None) -> float:
    """Map a combined surprise to [0, 1] against the writer's own paragraphs."""
    if calibration is None:
        return _normal_cdf(combined)
    return _normal_cdf((combined - calibration.combined_median) / calibration.combined_spread)


def drift(
    features: ParagraphFeatures,
    view: ProfileView,
    calibration: Calibration | None,
    *,
    max_reasons: int = 3,
    background: Background | None = None,
    top_function_words: Sequence[str] | None = None,
) -> DriftResult:
    """Score one paragraph against a profile: the score, the component scores and the reasons."""
    if features.n_words < MIN_WORDS:
        return DriftResult(
            score=None,
            words=features.n_words,
            reasons=(f"too short to judge ({features.n_words} words; needs {MIN_WORDS})",),
            components={},
        )
    surprise = surprises(features, view, background, top_function_words)
    combined, normed = combine(surprise.values, calibration)
    score = score_from_combined(combined, calibration)
    reasons = explain(surprise, normed, view, features, max_reasons)
    return DriftResult(
        score=round(score, 4), words=features.n_words, reasons=tuple(reasons), components=normed
    )


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def explain(
    surprise: Surprise,
    normed: Mapping[str, float],
    view: ProfileView,
    features: ParagraphFeatures,
    max_reasons: int,
) -> list[str]:
    """Plain-words reasons for the components that stand out most (largest standardised values)."""
    ranked = sorted(normed.items(), key=lambda item: -item[1] * COMPONENT_WEIGHTS[item[0]])
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
        mean_len, sd_len, mine, mine_sd, _ = ev["sentence_length"]
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
        return f"'{word}' far less often than you ({observed * 1000:.0f} vs {expected * 1000:.0f} per 1,000 words)"
    if name == "punctuation" and ev.get("punctuation"):
        _, mark, observed, expected = ev["punctuation"][0]
        label = _PUNCT_NAMES[mark]
        per = 1000.0 / max(1, features.n_words)
        mine = view.rate(mark) * 1000
        return f"{label}: {observed * per:.0f} per 1,000 words here; you use {mine:.0f}"
    if name == "tone" and ev.get("tone"):
        _, key, observed, expected = ev["tone"][0]
        label = key.replace("_", " ")
        per = 1000.0 / max(1, features.n_words)
        return (
            f"{label} words: {observed * per:.0f} per 1,000 here; "
            f"you use {expected * per:.0f} per 1,000"
        )
    if name == "phrasing":
        return "few of the word pairs you habitually write"
    if name == "word_length" and "word_length" in ev:
        mean_wl, mine, _ = ev["word_length"]
        return f"words average {mean_wl:.1f} letters; yours average {mine:.1f}"
    return None
