"""An independent authorship judge and STYLL's away / towards / sim / joint, for rewrites.

Why a separate judge: rewrites are re-ranked by our own drift score, so measuring them with it
would grade the exam with the answer key. The judge is a plain stylometric classifier that shares
nothing with the engine: scikit-learn logistic regression on TF-IDF character 2–4-grams and word
1–2-grams, trained on the training splits of every author of the shared corpora (novels and blogs
together), each cut into windows of about a paragraph.

STYLL's metrics (Patel et al. 2022, "Low-Resource Authorship Style Transfer"; the same code scores
TinyStyler) compare *style embeddings* of sets of texts. Here a text's style embedding is the
judge's vector of author probabilities, and a set's is the mean over its texts:

- asim(a, b)  = 1 − arccos(cos(a, b)) / π                               (angular similarity)
- away        = 1 − (asim(out, src) + 1) / 2, scaled by its maximum, away(tgt, src):
                min(away, away_max) / away_max
- towards     = (asim(out, tgt) + 1) / 2, scaled from its floor, towards(src, tgt):
                max(towards − floor, 0) / (1 − floor)
- sim         = meaning similarity of output and input (STYLL: mutual implication; here the
                MiniLM cosine), scaled from its floor, the similarity of the inputs with
                unrelated target texts: max(sim − floor, 0) / (1 − floor)
- joint       = √(√(away · towards) · sim)

``src`` is the set of inputs (one source author's paragraphs), ``tgt`` the target author's
held-out text (never seen by the judge in training), ``out`` the rewrites of the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.corpora import Corpus, windows

TRAIN_WINDOW = 100


def _clip(value: float) -> float:
    """STYLL's clean-up of floating-point error: into [0, 1], near-0/1 snapped."""
    value = min(max(float(value), 0.0), 1.0)
    if value > 0.99999:
        return 1.0
    if value < 0.00001:
        return 0.0
    return value


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0
    return _clip(float(a @ b) / (na * nb))


def asim(a: np.ndarray, b: np.ndarray) -> float:
    """Angular similarity of two style embeddings, in [0.5, 1] for non-negative vectors."""
    return 1.0 - math.acos(_cos(a, b)) / math.pi


def away_score(out: np.ndarray, src: np.ndarray, tgt: np.ndarray) -> float:
    def raw(x: np.ndarray) -> float:
        return _clip(1.0 - (asim(x, src) + 1.0) / 2.0)

    maximum = raw(tgt)
    if maximum <= 0:
        return 0.0
    return _clip(min(raw(out), maximum) / maximum)


def towards_score(out: np.ndarray, src: np.ndarray, tgt: np.ndarray) -> float:
    def raw(x: np.ndarray) -> float:
        return _clip((asim(x, tgt) + 1.0) / 2.0)

    floor = raw(src)
    if floor >= 1.0:
        return 0.0
    return _clip(max(raw(out) - floor, 0.0) / (1.0 - floor))


def scaled_sim(sim: float, floor: float) -> float:
    if floor >= 1.0:
        return 0.0
    return _clip(max(sim - floor, 0.0) / (1.0 - floor))


def joint_score(away: float, towards: float, sim: float) -> float:
    return _clip(math.sqrt(math.sqrt(away * towards) * sim))


@dataclass(frozen=True)
class Styll:
    """STYLL's four figures for one (source set → target author) transfer."""

    away: float
    towards: float
    sim: float
    joint: float
    raw_sim: float
    p_target: float
    """Mean judge probability of the target author over the outputs (a plainer reading)."""


def styll(
    out: np.ndarray,
    src: np.ndarray,
    tgt: np.ndarray,
    target_index: int,
    sims: Sequence[float],
    sim_floor: float,
) -> Styll:
    """STYLL's figures from per-text author probabilities (rows) of outputs, inputs, target text."""
    out_e, src_e, tgt_e = out.mean(axis=0), src.mean(axis=0), tgt.mean(axis=0)
    away = away_score(out_e, src_e, tgt_e)
    towards = towards_score(out_e, src_e, tgt_e)
    raw_sim = float(np.mean(sims)) if len(sims) else 0.0
    sim = scaled_sim(raw_sim, sim_floor)
    return Styll(
        away,
        towards,
        sim,
        joint_score(away, towards, sim),
        raw_sim,
        float(out[:, target_index].mean()),
    )


class AuthorshipJudge:
    """Logistic regression on TF-IDF character 2–4-grams and word 1–2-grams; a class per author."""

    def __init__(self, *, c: float = 10.0, max_features: int = 200_000) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char",
                        ngram_range=(2, 4),
                        sublinear_tf=True,
                        min_df=2,
                        max_features=max_features,
                        lowercase=False,
                    ),
                ),
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        min_df=2,
                        max_features=max_features,
                        token_pattern=r"(?u)\b\w+\b|[^\w\s]",
                    ),
                ),
            ]
        )
        self.model: Any = Pipeline(
            [("features", features), ("classify", LogisticRegression(C=c, max_iter=2000))]
        )
        self.authors: list[str] = []

    def fit(self, texts: Sequence[str], authors: Sequence[str]) -> AuthorshipJudge:
        self.model.fit(list(texts), list(authors))
        self.authors = [str(a) for a in self.model.classes_]
        return self

    def index(self, author: str) -> int:
        return self.authors.index(author)

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Author probabilities, one row per text, columns in ``self.authors`` order."""
        return np.asarray(self.model.predict_proba(list(texts)), dtype=float)

    def accuracy(self, texts: Sequence[str], authors: Sequence[str]) -> float:
        if not texts:
            return 0.0
        predicted = self.model.predict(list(texts))
        return float(np.mean([p == a for p, a in zip(predicted, authors, strict=True)]))


def corpus_label(corpus: Corpus, author: str) -> str:
    """Author labels are qualified by corpus so two corpora never share a class."""
    return f"{corpus.name}:{author}"


def train_judge(corpora: Sequence[Corpus], window: int = TRAIN_WINDOW) -> AuthorshipJudge:
    """The judge, trained on every author's training split of every corpus."""
    texts: list[str] = []
    labels: list[str] = []
    for corpus in corpora:
        for split in corpus.splits:
            for text in windows(split.train, window):
                texts.append(text)
                labels.append(corpus_label(corpus, split.author))
    return AuthorshipJudge().fit(texts, labels)


def held_out_accuracy(
    judge: AuthorshipJudge, corpora: Sequence[Corpus], window: int = TRAIN_WINDOW, limit: int = 60
) -> dict[str, float]:
    """The judge's accuracy on untouched held-out windows, per corpus (up to ``limit`` each)."""
    result = {}
    for corpus in corpora:
        texts: list[str] = []
        labels: list[str] = []
        for split in corpus.splits:
            for text in windows(split.held_out, window)[:limit]:
                texts.append(text)
                labels.append(corpus_label(corpus, split.author))
        result[corpus.name] = judge.accuracy(texts, labels)
    return result


def facts_kept(original: str, output: str) -> float | None:
    """Share of the original's names and numbers that the output still has; None if it has none."""
    from inkmod.generation.faithfulness import names, numbers

    wanted_names = names(original)
    wanted_numbers = numbers(original)
    total = len(wanted_names) + sum(wanted_numbers.values())
    if total == 0:
        return None
    words = {w.strip("'’-") for w in output.replace("'s", " ").replace("’s", " ").split()}
    words |= {w.strip('.,;:!?"“”()') for w in list(words)}
    have = numbers(output, lenient=True)
    kept = sum(1 for n in wanted_names if n in words)
    kept += sum(min(count, have[n]) for n, count in wanted_numbers.items())
    return kept / total
