import json
from pathlib import Path
from typing import Any

import pytest

from inkmod.style.tokens import parse_paragraph, split_plain_paragraphs, split_sentences, words_of


def test_words_keep_contractions_and_fold_curly_apostrophes() -> None:
    assert words_of("Don’t stop; it's 3.5 km.") == ["Don't", "stop", "it's", "3.5", "km"]


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = "Mr. Darcy met J. Smith at 5 p.m. today. Was it late? Yes! It was."
    spans = split_sentences(text)
    assert [text[s:e] for s, e, _ in spans] == [
        "Mr. Darcy met J. Smith at 5 p.m. today.",
        "Was it late?",
        "Yes!",
        "It was.",
    ]
    assert [t for _, _, t in spans] == [".", "?", "!", "."]


def test_dialogue_tag_after_question_mark_stays_in_sentence() -> None:
    paragraph = parse_paragraph('"Is it raining?" she asked. It was.')
    assert [len(s.words) for s in paragraph.sentences] == [5, 2]


def test_paragraph_counts_words_and_sentences() -> None:
    paragraph = parse_paragraph("One two three. Four five.")
    assert paragraph.word_count == 5
    assert [s.words for s in paragraph.sentences] == [("One", "two", "three"), ("Four", "five")]


def test_plain_paragraph_split_joins_wrapped_lines() -> None:
    assert split_plain_paragraphs("a\nb\n\n\nc\r\n\r\nd") == ["a b", "c", "d"]


_GOLD = json.loads((Path(__file__).parent / "data" / "sentence_gold.json").read_text("utf-8"))


@pytest.mark.parametrize("case", _GOLD["cases"], ids=[c["name"] for c in _GOLD["cases"]])
def test_sentence_gold_cases(case: dict[str, Any]) -> None:
    text = case["text"]
    assert [text[s:e] for s, e, _ in split_sentences(text)] == case["sentences"]
