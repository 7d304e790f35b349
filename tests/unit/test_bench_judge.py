"""The rewrite benchmark's judge and STYLL metrics on tiny synthetic data (no model, no corpora)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from benchmarks.judge import (
    AuthorshipJudge,
    away_score,
    facts_kept,
    joint_score,
    scaled_sim,
    styll,
    towards_score,
)

pytest.importorskip("sklearn")


def _author_texts(words: list[str], marks: str, seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(words) + (rng.choice(marks) if i % 5 == 4 else "") for i in range(40))
        for _ in range(n)
    ]


A_WORDS = ["whilst", "indeed", "amongst", "shall", "upon", "the", "manor", "sister"]
B_WORDS = ["gonna", "super", "basically", "app", "like", "the", "data", "team"]


@pytest.fixture(scope="module")
def judge() -> AuthorshipJudge:
    texts = _author_texts(A_WORDS, ";,", 1, 30) + _author_texts(B_WORDS, "!", 2, 30)
    return AuthorshipJudge().fit(texts, ["A"] * 30 + ["B"] * 30)


def test_judge_separates_two_synthetic_authors(judge: AuthorshipJudge) -> None:
    held_a, held_b = _author_texts(A_WORDS, ";,", 3, 10), _author_texts(B_WORDS, "!", 4, 10)
    assert judge.accuracy(held_a + held_b, ["A"] * 10 + ["B"] * 10) == 1.0
    probabilities = judge.proba(held_a)
    assert probabilities.shape == (10, 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[:, judge.index("A")].mean() > 0.5


def test_styll_figures_follow_their_definitions() -> None:
    src, tgt = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    # an output with the target's style: all the way away and towards
    assert away_score(tgt, src, tgt) == 1.0 and towards_score(tgt, src, tgt) == 1.0
    # a copy of the input: nowhere
    assert away_score(src, src, tgt) == 0.0 and towards_score(src, src, tgt) == 0.0
    # half way (45°): away = (1/4) / (1/2), towards = (3/4 - 1/2) / (1 - 1/2)
    mid = np.array([1.0, 1.0])
    assert away_score(mid, src, tgt) == pytest.approx(0.5)
    assert towards_score(mid, src, tgt) == pytest.approx(0.5)
    assert scaled_sim(0.9, 0.2) == pytest.approx(0.7 / 0.8)
    assert scaled_sim(0.1, 0.2) == 0.0
    assert joint_score(0.5, 0.5, 0.64) == pytest.approx(math.sqrt(0.5 * 0.64))


def test_styll_on_judge_probabilities(judge: AuthorshipJudge) -> None:
    inputs = _author_texts(A_WORDS, ";,", 5, 4)
    target_text = judge.proba(_author_texts(B_WORDS, "!", 6, 6))
    p_in = judge.proba(inputs)
    copy = styll(p_in, p_in, target_text, judge.index("B"), [1.0] * 4, 0.2)
    assert copy.away == 0.0 and copy.towards == 0.0 and copy.sim == 1.0 and copy.joint == 0.0
    moved = styll(
        judge.proba(_author_texts(B_WORDS, "!", 7, 4)), p_in, target_text, 1, [0.6] * 4, 0.2
    )
    assert moved.away > 0.8 and moved.towards > 0.8 and moved.p_target > 0.5
    assert moved.sim == pytest.approx(0.5) and 0.5 < moved.joint < 0.75


def test_names_and_numbers_kept() -> None:
    original = "Then Elizabeth paid 3 pounds to Mr. Collins in 1813."
    assert facts_kept(original, "Elizabeth's three pounds went to Collins in 1813.") == 1.0
    assert facts_kept(original, "She paid Collins.") == pytest.approx(1 / 4)
    assert facts_kept("nothing to keep here.", "anything") is None
