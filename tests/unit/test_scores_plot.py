"""The train-enhanced score plot starts at the baseline (issue 13)."""

from __future__ import annotations

from pathlib import Path

from inkmod.training.report import plot_points, plot_scores

REPORT = {
    "profile": "maya",
    "critic": "teacher",
    "baseline": {
        "ours": {"style_similarity": 0.2, "tone_consistency": 0.5, "structure_quality": 0.4},
        "fidelity": {"joint": None, "away": None},
    },
    "iterations": [
        {
            "iteration": 1,
            "ours": {"style_similarity": 0.4, "tone_consistency": 0.6, "structure_quality": 0.5},
            "teacher": {"style_similarity": 0.5},
            "fidelity": {"joint": 0.3},
        },
        {
            "iteration": 2,
            "ours": {"style_similarity": 0.5, "tone_consistency": 0.6, "structure_quality": 0.6},
            "teacher": {"style_similarity": 0.6},
            "fidelity": {"joint": 0.4},
        },
    ],
}


def test_the_baseline_is_the_first_point() -> None:
    xs, series = plot_points(REPORT)
    assert xs == [0, 1, 2]
    assert series["style similarity (ours)"] == [0.2, 0.4, 0.5]
    # the teacher and the joint fidelity have no baseline value: a gap, not a made-up point
    assert series["style similarity (teacher)"] == [None, 0.5, 0.6]
    assert series["joint (away·towards·sim)"] == [None, 0.3, 0.4]


def test_without_a_baseline_the_iterations_alone(tmp_path: Path) -> None:
    report = {**REPORT, "baseline": {}}
    assert plot_points(report)[0] == [1, 2]
    assert plot_scores(REPORT, tmp_path / "scores.png")
    assert (tmp_path / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
