"""The "generic" neutraliser: further from the writer than "deterministic", never less faithful."""

from __future__ import annotations

import statistics

import pytest
from testpaths import CORPORA, EXAMPLES

from inkmod.generation.faithfulness import rejections
from inkmod.generation.personal.neutralise import get_neutraliser, neutraliser_names
from inkmod.generation.personal.pairs import passages, read_documents
from inkmod.style.tokens import split_sentences, words_of

MAYA = EXAMPLES / "samples" / "maya"


def _maya_passages() -> list[str]:
    docs, _ = read_documents(MAYA)
    return [p for d in docs for p in passages(d.paragraphs)]


def _corpus_passages(limit: int = 80) -> list[str]:
    out: list[str] = []
    for corpus in ("blogs", "novels"):
        for path in sorted((CORPORA / corpus / "texts").glob("*/*.txt"))[:6]:
            paragraphs = [p for p in path.read_text("utf-8").split("\n\n") if p.strip()]
            out.extend(passages(paragraphs)[:8])
    return out[:limit]


def test_registered():
    assert "generic" in neutraliser_names()
    assert get_neutraliser("generic").name == "generic"


@pytest.mark.parametrize("name", ["deterministic", "generic", "skeleton"])
@pytest.mark.parametrize("source", ["maya", "corpus"])
def test_every_training_passage_stays_faithful(name: str, source: str):
    """faithfulness.rejections(original, neutral) is empty for every passage a pair is made of."""
    texts = _maya_passages() if source == "maya" else _corpus_passages()
    assert len(texts) > 20
    neutralise = get_neutraliser(name)
    for text in texts:
        neutral = neutralise(text)
        assert rejections(text, neutral, "stop") == [], (text, neutral)
        assert neutralise(text) == neutral  # deterministic


def _sentence_lengths(text: str) -> list[int]:
    return [len(words_of(text[s:e])) for s, e, _ in split_sentences(text)]


def test_generic_moves_sentence_lengths_to_the_middle():
    texts = _maya_passages()
    det, gen = get_neutraliser("deterministic"), get_neutraliser("generic")
    short_det = sum(n < 8 for t in texts for n in _sentence_lengths(det(t)))
    short_gen = sum(n < 8 for t in texts for n in _sentence_lengths(gen(t)))
    assert short_gen < short_det
    changed = sum(gen(t) != det(t) for t in texts)
    assert changed >= len(texts) // 2


def test_generic_lexicon_openers_and_joins():
    gen = get_neutraliser("generic")
    assert gen("The thing is, I did not expect to love it. But I do.") == (
        "I did not expect to love it, but I do."
    )
    assert gen("I bought a lot of apples and some stuff for Dale.") == (
        "I bought many apples and some things for Dale."
    )
    assert gen("She laughed. She was right to.") == "She laughed, and she was right to."
    assert gen("It was cold, right?") == "It was cold."
    # names, numbers and negations survive every rule
    assert gen("Honestly? Dale never came. Not once in 2019.") == (
        "Dale never came. Not once in 2019."
    )


def test_generic_splits_very_long_sentences():
    gen = get_neutraliser("generic")
    text = (
        "We walked down to the old harbour in the rain with the dog and the two children, "
        "and we stayed on the pier until the light went and the boats came back in one by one."
    )
    out = gen(text)
    assert len(_sentence_lengths(out)) == 2, out
    assert statistics.fmean(_sentence_lengths(out)) < len(words_of(text))


def test_skeleton_removes_the_glue_and_keeps_the_facts():
    skeleton = get_neutraliser("skeleton")
    out = skeleton("Okay. They're here — and Dale said the 2 tomatoes aren't ripe, so we wait.")
    assert out == "They here. Dale said 2 tomatoes not ripe but we wait." or "Dale" in out, out
    words = out.lower().replace(".", " ").split()
    assert not {"the", "a", "and", "are", "is"} & set(words), out
    assert "—" not in out and "," not in out
    assert (
        rejections(
            "Dale said the 2 tomatoes aren't ripe.",
            skeleton("Dale said the 2 tomatoes aren't ripe."),
            "stop",
        )
        == []
    )
