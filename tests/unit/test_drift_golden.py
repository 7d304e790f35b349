"""The drift score is unchanged by the speed work of issue 14, to within 1e-9.

``data/drift_golden.json`` was written by ``data/make_drift_golden.py`` with the engine as it was
before the scoring path was vectorised (commit 341090e): a profile trained on the ``maya``
examples read as plain text (no markup parser involved, so a change there cannot move these
figures), its calibration, and the raw components, combined surprise, score and reasons of five
fixed paragraphs — each writer's, one full of typographic glyphs, and a long one. A faster
implementation must reproduce them; a deliberate change of the score regenerates the file and
says so in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inkmod.style.drift import combine, surprises
from inkmod.style.features import paragraph_features, text_features
from inkmod.style.profile import StyleProfile, entry_from_paragraphs
from inkmod.style.tokens import parse_paragraph, split_plain_paragraphs

GOLDEN = json.loads((Path(__file__).parent / "data" / "drift_golden.json").read_text("utf-8"))
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "samples" / "maya"
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def profile() -> StyleProfile:
    profile = StyleProfile("golden")
    for path in sorted(SAMPLES.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        paragraphs = [parse_paragraph(p) for p in split_plain_paragraphs(text)]
        profile.add_entry(path.name, entry_from_paragraphs(paragraphs, path.name))
    profile.recalibrate()
    return profile


def test_calibration_is_unchanged(profile: StyleProfile) -> None:
    assert profile.calibration is not None
    got = profile.calibration.to_dict()
    want = GOLDEN["calibration"]
    assert got["paragraphs"] == want["paragraphs"]
    assert got["combined"] == pytest.approx(want["combined"], abs=TOLERANCE, rel=0)
    for name, (median, spread) in want["components"].items():
        assert got["components"][name] == pytest.approx([median, spread], abs=TOLERANCE, rel=0)


@pytest.mark.parametrize("case", sorted(GOLDEN["cases"]))
def test_scores_are_unchanged(profile: StyleProfile, case: str) -> None:
    want = GOLDEN["cases"][case]
    features = paragraph_features(parse_paragraph(want["text"]))
    assert text_features(want["text"]) == features
    values = surprises(features, profile.view, None, profile.top_function_words()).values
    assert values == pytest.approx(want["values"], abs=TOLERANCE, rel=0)
    assert combine(values, profile.calibration)[0] == pytest.approx(
        want["combined"], abs=TOLERANCE, rel=0
    )
    result = profile.score_text(want["text"])
    assert result.score == want["score"]
    assert result.z == pytest.approx(want["z"], abs=TOLERANCE, rel=0)
    assert list(result.reasons) == want["reasons"]
