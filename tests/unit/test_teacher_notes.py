"""A teacher's notes are checked like its other rules (issue 13): a local teacher's description
of its own rewrite, cut off mid-sentence, was once kept as a rule for every future prompt."""

from __future__ import annotations

import pytest

from inkmod.training.feedback import note_phrases, note_problem

JUNK = (
    "The rewritten version is improved with a focus on clarity and conciseness. "
    "The revised text has been."
)


ABOUT_REWRITE = "describes the teacher's rewrite, not the writer's style"


def test_the_junk_note_from_a_local_teacher_is_rejected() -> None:
    assert note_problem(JUNK) == ABOUT_REWRITE


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("Write like you talk to a neighbour over the fence", None),
        ("Talk to the reader", None),
        ("Use parentheses for asides and", "an unfinished sentence"),
        ("She writes short sentences. Her asides have been.", "an unfinished sentence"),
        ("This version focuses on clarity", ABOUT_REWRITE),
    ],
)
def test_note_problems(note: str, problem: str | None) -> None:
    assert note_problem(note) == problem


def test_quoted_phrases_to_use_are_checked_but_not_those_to_avoid() -> None:
    assert note_phrases("Say “honestly” when you hedge.") == ["honestly"]
    assert note_phrases('Use contractions like "it\'s" freely.') == ["it's"]
    assert note_phrases('Avoid "utilize"; it is not her word.') == []
