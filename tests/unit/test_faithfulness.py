"""The faithfulness rules: one test per rejection case, plus what must still pass."""

from __future__ import annotations

from inkmod.generation.faithfulness import (
    MAX_CONTENT_ADDED,
    MIN_CONTENT_KEPT,
    added_content,
    content_terms,
    names,
    negations,
    numbers,
    preservation,
    rejections,
)

ORIGINAL = (
    "Mr. Darcy did not arrive at Netherfield until the third week of May, and he brought "
    "two servants and 1,000 pounds with him."
)
FAITHFUL = (
    "Mr. Darcy didn't reach Netherfield till the third week of May; he came with "
    "2 servants and one thousand pounds."
)


def test_a_faithful_paraphrase_passes() -> None:
    assert rejections(ORIGINAL, FAITHFUL, "stop") == []
    assert rejections(ORIGINAL, ORIGINAL, "stop") == []


def test_empty_rewrite_is_rejected() -> None:
    assert rejections(ORIGINAL, "   ", "stop") == ["the rewrite is empty"]


def test_cut_off_at_max_tokens_is_rejected() -> None:
    reasons = rejections(ORIGINAL, FAITHFUL, "length")
    assert len(reasons) == 1 and "token limit" in reasons[0]


def test_a_lost_name_is_rejected() -> None:
    candidate = FAITHFUL.replace("Netherfield", "the house")
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "Netherfield" in reasons[0]


def test_names_are_mid_sentence_capitals_not_first_words() -> None:
    text = 'The dog ran. Then Mr. Darcy said, "You will see London." I agree with the API.'
    assert names(text) == {"Darcy", "London", "API"}


def test_a_lost_number_is_rejected_and_numbers_are_normalised() -> None:
    assert numbers("3 cats, three dogs, 1,000 and one thousand, twenty-one")["3"] == 2
    assert numbers("1,000 and a thousand")["1000"] == 2
    assert numbers("twenty-one")["21"] == 1
    assert numbers("no one came; the one who did")["1"] == 0
    candidate = FAITHFUL.replace("2 servants", "some servants")
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "number" in reasons[0] and "2" in reasons[0]


def test_a_lost_negation_is_rejected() -> None:
    assert sum(negations("He didn't go, cannot stay, and never will, without fail").values()) == 4
    candidate = FAITHFUL.replace("didn't reach", "reached")
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "negation" in reasons[0]


def test_not_only_is_an_addition_not_a_negation() -> None:
    # The 1.5B paraphraser's restatement of a blog passage was vetoed for "losing a negation".
    original = (
        "Not only does the Department of State have a great set of APIs, State also has an "
        "excellent example of how to build a useful app."
    )
    restated = (
        "The Department of State has a great set of APIs, and State also has an excellent "
        "example of how to build a useful app."
    )
    assert sum(negations(original).values()) == 0
    assert rejections(original, restated, "stop") == []
    assert negations("It is not just late, it is not done.") == {"not": 1}


def test_talk_about_the_task_is_rejected() -> None:
    for chatter in (
        "Here is the rewritten passage: ",
        "I've rewritten it in the writer's voice. ",
        "As requested, ",
        "The rewritten passage is: ",
        "In the case of the above passage, ",
    ):
        reasons = rejections(ORIGINAL, chatter + FAITHFUL, "stop")
        assert any("talks about the task" in r for r in reasons), chatter


def test_talk_words_that_the_original_itself_uses_are_not_chatter() -> None:
    original = "Here is the passage of the bill, as requested by the senators of Ohio."
    assert rejections(original, original, "stop") == []
    # "here's the thing" is an idiom, not an introduction of a rewrite
    casual = "Okay, here's the thing: the committee met. " + FAITHFUL
    assert not any("task" in r for r in rejections(ORIGINAL, casual, "stop"))


def test_too_little_content_kept_is_rejected() -> None:
    candidate = "Mr. Darcy did not: Netherfield, third, May, 2, 1000."
    assert preservation(ORIGINAL, candidate) < MIN_CONTENT_KEPT
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "content" in reasons[0]


def test_every_failure_is_reported_at_once() -> None:
    reasons = rejections(ORIGINAL, "Here is the rewritten passage: The man came.", "length")
    joined = " | ".join(reasons)
    for part in ("token limit", "task", "Darcy", "number", "negation", "content"):
        assert part in joined


def test_a_name_the_original_does_not_have_is_rejected() -> None:
    candidate = FAITHFUL.replace("he came with", "he came with Bingley and")
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "Bingley" in reasons[0] and "brings in" in reasons[0]


def test_a_rewrite_that_says_something_else_is_rejected() -> None:
    """The demo once applied a sentence the original never said: facts kept, a story added."""
    candidate = (
        FAITHFUL + " Everyone at the ball gossiped about his fortune, his horses, his sister's"
        " dresses and the dreadful weather all evening."
    )
    assert preservation(ORIGINAL, candidate) >= MIN_CONTENT_KEPT
    share, new = added_content(ORIGINAL, candidate)
    assert share > MAX_CONTENT_ADDED and "gossip" in new
    reasons = rejections(ORIGINAL, candidate, "stop")
    assert len(reasons) == 1 and "says things the original does not" in reasons[0]


def test_a_few_swapped_words_are_not_new_content() -> None:
    candidate = "Mr. Darcy never reached Netherfield before the third week of May, with two men."
    assert rejections("Mr. Darcy did not come.", "Mr. Darcy did not turn up.", "stop") == []
    assert added_content(ORIGINAL, candidate)[0] <= MAX_CONTENT_ADDED


def test_inflections_are_one_content_term_and_look_alikes_two() -> None:
    # The suffix strip kept "dance" and "dances" apart (only "es" was cut, leaving "danc") and
    # joined "rates" with "rats" and "stored" with "stories".
    for one, other in [
        ("dance", "dances"),
        ("couple", "couples"),
        ("mortgage", "mortgages"),
        ("cry", "cries"),
        ("trip", "tripped"),
    ]:
        assert content_terms(f"They spoke of the {one}.") == content_terms(
            f"They spoke of {other}."
        )
    for one, other in [("rates", "rats"), ("stored", "stories"), ("hat", "hated")]:
        assert not content_terms(one) & content_terms(other)
    assert preservation("The couples danced.", "A couple dances.") == 1.0
