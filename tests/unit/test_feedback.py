"""Parsing and validating a teacher's answer, the JSON schema, and the teacher-less critic."""

from __future__ import annotations

import json

import pytest
from inkmod_training_testlib import FORMAL, MAYA

from inkmod.style.build import build_profile
from inkmod.training.feedback import (
    FeedbackError,
    drift_feedback,
    feedback_schema,
    merge,
    parse_feedback,
)
from inkmod.training.judge import judge


def answer(**changes: object) -> str:
    data = {
        "scores": [
            {"id": 1, "style_similarity": 0.2, "tone": 0.5, "structure": 0.6},
            {"id": 2, "style_similarity": 0.7, "tone": 0.6, "structure": 0.9},
        ],
        "prefer": ["a little bit", "", "x" * 200],
        "avoid": ["utilize"],
        "sentence_length_target": 12,
        "openers": ["I", "Once upon a time there"],
        "notes": ["Shorter sentences"],
        "weakest_id": 1,
        "improved_version": "Okay, so here's the thing about frost: it always comes early.",
    }
    data.update(changes)
    return json.dumps(data)


def test_valid_answer_is_parsed_with_global_indices_and_bad_rules_dropped() -> None:
    feedback = parse_feedback(answer(), n_drafts=2, offset=4)
    assert set(feedback.scores) == {4, 5}
    assert feedback.scores[4].style_similarity == 0.2
    assert feedback.prefer == ["a little bit"]  # empty and 200-character phrases dropped
    assert feedback.openers == ["I"]  # a five-word "opener" is not an opener
    assert feedback.weakest == 4
    assert feedback.improvements[0].output_index == 4
    assert feedback.improvements[0].source == "teacher"


def test_json_inside_code_fences_and_chatter_is_found() -> None:
    text = "Here you go:\n```json\n" + answer() + "\n```\nHope this helps!"
    assert parse_feedback(text, 2).sentence_length_target == 12


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("The drafts are fine.", "not JSON"),
        ("[1, 2]", "not an object"),
        (answer(scores=[]), "'scores'"),
        (
            answer(scores=[{"id": 1, "style_similarity": 7, "tone": 0.5, "structure": 0.5}]),
            "[0, 1]",
        ),
        (answer(scores=[{"id": 9, "style_similarity": 0.5, "tone": 0.5, "structure": 0.5}]), "id"),
        (
            answer(scores=[{"id": 1, "style_similarity": "high", "tone": 0.5, "structure": 1}]),
            "number",
        ),
        (answer(prefer="a little bit"), "list"),
    ],
)
def test_unusable_answers_are_rejected_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(FeedbackError, match=why.replace("[", r"\[").replace("]", r"\]")):
        parse_feedback(text, n_drafts=2)


def test_out_of_range_sentence_target_and_weakest_are_dropped_not_fatal() -> None:
    feedback = parse_feedback(answer(sentence_length_target=500, weakest_id=7), 2)
    assert feedback.sentence_length_target is None
    assert feedback.weakest == 0  # falls back to the lowest style score


def test_schema_bounds_scores_ids_and_lengths() -> None:
    schema = feedback_schema(3, improved_chars=500)
    item = schema["properties"]["scores"]["items"]
    assert item["properties"]["style_similarity"]["enum"][0] == 0.0
    assert item["properties"]["style_similarity"]["enum"][-1] == 1.0
    assert item["properties"]["id"]["enum"] == [1, 2, 3]
    assert schema["properties"]["scores"]["minItems"] == 3
    assert schema["properties"]["improved_version"]["maxLength"] == 500


def test_merge_keeps_all_scores_and_picks_the_weakest_overall() -> None:
    a = parse_feedback(answer(), 2, offset=0)
    b = parse_feedback(
        answer(scores=[{"id": 1, "style_similarity": 0.1, "tone": 0.1, "structure": 0.1}]),
        1,
        offset=2,
    )
    merged = merge([a, b])
    assert merged is not None
    assert set(merged.scores) == {0, 1, 2}
    assert merged.weakest == 2
    assert len(merged.improvements) == 2


def test_drift_critic_flags_fancy_words_and_points_back_to_the_writer() -> None:
    profile, _ = build_profile(MAYA, "maya")
    texts = [" ".join(FORMAL[i : i + 4]) for i in (0, 1)]
    feedback = drift_feedback(profile, texts, [judge(profile, t) for t in texts])
    assert feedback.source == "drift"
    assert set(feedback.scores) == {0, 1}
    assert feedback.avoid, "formal words the writer never uses should be flagged"
    assert all(profile.totals.tokens.get(w, 0) == 0 for w in feedback.avoid)
    assert feedback.prefer  # the writer's phrases (or plain alternatives)
    assert all("too short" not in n for n in feedback.notes)


def test_json_debris_and_echoed_instructions_are_not_rules() -> None:
    from inkmod.training.feedback import echoes_task

    feedback = parse_feedback(
        answer(
            notes=["{{.", "Use short, plain sentences", "that'snt'unrealthing to me"],
            openers=["{{ id:1}}", "So"],
        ),
        2,
    )
    assert feedback.notes == ["Use short, plain sentences"]
    assert feedback.openers == ["So"]
    assert echoes_task("up to 3 phrases the writer uses (copied)")
    assert echoes_task("The answer is not JSON")
    assert not echoes_task("Talk to the reader like a neighbour")


def test_raw_newlines_inside_strings_are_accepted() -> None:
    text = answer(improved_version="PLACEHOLDER").replace("PLACEHOLDER", "line one\\nline two")
    text = text.replace("\\n", "\n")
    assert parse_feedback(text, 2).scores
