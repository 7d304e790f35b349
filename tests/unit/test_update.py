"""update_from_feedback: rules checked against the samples, exemplars, weights, sampling, and
that generation really reads what it writes after a save/load round trip."""

from __future__ import annotations

import pytest
from inkmod_training_testlib import FORMAL, MAYA, PROMPTS

from inkmod.generation.generate import LocalOutput
from inkmod.generation.prompt import learned_exemplars, rule_lines, select_exemplars
from inkmod.style.build import build_profile
from inkmod.style.storage import load_profile, save_profile
from inkmod.training.feedback import DraftScore, Feedback, Improvement
from inkmod.training.update import update_from_feedback


@pytest.fixture(scope="module")
def maya_profile():  # type: ignore[no-untyped-def]
    profile, _ = build_profile(MAYA, "maya")
    return profile


@pytest.fixture
def profile(maya_profile):  # type: ignore[no-untyped-def]
    maya_profile.learned = {}
    return maya_profile


def outputs(profile, sources=("01-first-tomato.md", "02-sourdough-gus.md")):  # type: ignore[no-untyped-def]
    texts = [" ".join(FORMAL[i : i + 4]) for i in (0, 2)]
    return [
        LocalOutput(
            prompt=p,
            text=t,
            drift=profile.score_text(t).score,
            prompt_tokens=100,
            completion_tokens=40,
            total_tokens=140,
            seconds=0.1,
            candidates=1,
            exemplar_sources=[sources[i]],
        )
        for i, (p, t) in enumerate(zip(PROMPTS, texts, strict=True))
    ]


def teacher_feedback(improved: str) -> Feedback:
    return Feedback(
        source="teacher",
        scores={0: DraftScore(0.2, 0.3, 0.4), 1: DraftScore(0.8, 0.7, 0.6)},
        prefer=["a little bit", "synergistic paradigm"],
        avoid=["utilize", "the", "frost", "nowhere in any draft"],
        sentence_length_target=60,
        openers=["I", "Consequently"],
        notes=["Talk to the reader"],
        weakest=0,
        improvements=[Improvement(0, improved, "teacher")],
    )


def test_rules_are_checked_against_samples_drafts_and_prompts(profile) -> None:  # type: ignore[no-untyped-def]
    improved = profile.exemplars()[0][1]
    summary = update_from_feedback(
        profile, teacher_feedback(improved), outputs(profile), iteration=1, max_k=3
    )
    rules = profile.learned["rules"]
    assert rules["prefer"] == ["a little bit"]
    assert rules["avoid"] == ["utilize"]
    assert rules["openers"] == ["I"]
    assert rules["notes"] == ["Talk to the reader."]
    # 60 words is far outside Maya's sentence lengths: her own average is used instead.
    assert 5 <= rules["sentence_length"] <= 25
    rejected = " | ".join(summary.rejected)
    assert "synergistic paradigm" in rejected
    assert "'the': the writer uses it" in rejected
    assert "'frost': it is the topic" in rejected
    assert "no draft contains it" in rejected
    assert "'Consequently'" in rejected
    assert summary.exemplars_added == 1


def test_avoid_becomes_never_say_after_two_iterations(profile) -> None:  # type: ignore[no-untyped-def]
    outs = outputs(profile)
    feedback = Feedback(source="teacher", avoid=["utilize"], scores={})
    update_from_feedback(profile, feedback, outs, iteration=1)
    assert "utilize" in profile.learned["rules"]["avoid"]
    summary = update_from_feedback(profile, feedback, outs, iteration=2)
    assert summary.never_say_added == ["utilize"]
    assert profile.learned["rules"]["never_say"] == ["utilize"]
    assert "utilize" not in profile.learned["rules"]["avoid"]


def test_an_improved_version_worse_than_its_draft_is_refused(profile) -> None:  # type: ignore[no-untyped-def]
    outs = outputs(profile)
    outs[0].drift = 0.0  # pretend the draft was perfect
    worse = " ".join(FORMAL)
    summary = update_from_feedback(profile, teacher_feedback(worse), outs, iteration=1, max_k=3)
    assert summary.exemplars_added == 0
    assert any("worse than the draft" in r for r in summary.rejected)


def test_weights_follow_scores_and_generation_settings_react(profile) -> None:  # type: ignore[no-untyped-def]
    improved = profile.exemplars()[0][1]
    summary = update_from_feedback(
        profile, teacher_feedback(improved), outputs(profile), iteration=1, max_k=3
    )
    weights = profile.learned["exemplar_weights"]
    assert weights["01-first-tomato.md"] < 1.0 < weights["02-sourdough-gus.md"]
    generation = profile.learned["generation"]
    # Scores 0.2 and 0.8: uneven drafts, so cooler sampling and one more candidate.
    assert generation["temperature"] == pytest.approx(0.6)
    assert generation["k"] == 3
    assert "uneven" in summary.generation_reason
    history = profile.learned["training"]["history"]
    assert history == [{"iteration": 1, "score": 0.5, "temperature": 0.7, "k": 3}]


def test_settings_roll_back_when_scores_fall(profile) -> None:  # type: ignore[no-untyped-def]
    outs = outputs(profile)
    good = Feedback(source="teacher", scores={0: DraftScore(0.75, 1, 1), 1: DraftScore(0.85, 1, 1)})
    bad = Feedback(source="teacher", scores={0: DraftScore(0.25, 1, 1), 1: DraftScore(0.35, 1, 1)})
    update_from_feedback(profile, good, outs, iteration=1, max_k=3)
    profile.learned["generation"]["temperature"] = 0.95
    summary = update_from_feedback(profile, bad, outs, iteration=2, max_k=3)
    assert profile.learned["generation"]["temperature"] == 0.7
    assert "back to its settings" in summary.generation_reason


def test_learned_state_survives_save_and_load_and_generation_reads_it(profile) -> None:  # type: ignore[no-untyped-def]
    improved = profile.exemplars()[0][1]
    update_from_feedback(profile, teacher_feedback(improved), outputs(profile), iteration=1)
    save_profile(profile)
    loaded = load_profile("maya")
    assert loaded.learned == profile.learned
    lines = "\n".join(rule_lines(loaded))
    assert '"a little bit"' in lines and '"utilize"' in lines
    assert "Talk to the reader." in lines
    assert learned_exemplars(loaded)[0].text == improved
    chosen = select_exemplars(loaded, improved, n=3)
    assert any(e.source == "learned" for e in chosen)


def test_a_critic_that_scores_everything_alike_is_not_followed(profile) -> None:  # type: ignore[no-untyped-def]
    outs = outputs(profile)
    flat = Feedback(source="teacher", scores={0: DraftScore(0, 0, 0), 1: DraftScore(0, 0, 0)})
    update_from_feedback(profile, flat, outs, iteration=1, max_k=3)
    ours = round(sum(1 - o.drift for o in outs) / 2, 4)
    assert profile.learned["training"]["history"][0]["score"] == ours
