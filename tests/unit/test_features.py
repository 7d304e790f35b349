"""The analyses on small hand-checked texts."""

from inkmod.style import analyses as an
from inkmod.style import features as ft
from inkmod.style.tokens import parse_paragraph

TEXT = [
    "I don't know. Honestly, it's a little bit odd! Is it?",
    "The report was written by the team. However, the results were reviewed quickly.",
]


def stats() -> ft.DocumentStats:
    return ft.document_stats([parse_paragraph(t) for t in TEXT])


def test_counts() -> None:
    s = stats()
    assert s.n_paragraphs == 2
    assert s.n_sentences == 5
    # I don't know (3) / Honestly it's a little bit odd (6) / Is it (2) / 7 / 6
    assert s.n_words == 3 + 6 + 2 + 7 + 6
    assert s.sentence_length_sum == 24
    assert s.sentence_length_sumsq == 9 + 36 + 4 + 49 + 36
    assert s.questions == 1 and s.exclamations == 1
    assert s.tokens["the"] == 3
    assert s.tokens["!"] == 1 and s.tokens["?"] == 1 and s.tokens[","] == 2


def test_sentence_patterns() -> None:
    sp = an.sentence_patterns(stats())
    assert sp["mean_length"] == 24 / 5
    assert sp["question_rate"] == 0.2
    assert sp["passive_rate"] == 2 / 5  # "was written", "were reviewed"
    assert ("i", 1) in sp["top_openers"]
    assert sum(sp["length_histogram"].values()) == 5


def test_paragraph_structure_counts_transitions() -> None:
    ps = an.paragraph_structure(stats())
    assert ps["mean_sentences"] == 2.5
    assert ps["transition_rate"] == 1 / 5  # "However"
    assert ps["multi_sentence_share"] == 1.0


def test_tone_markers() -> None:
    counts = ft.tone_counts(stats().tokens)
    assert counts["contractions"] == 2  # don't, it's
    assert counts["casual"] >= 2  # honestly, bit
    assert counts["professional"] == 1  # team
    assert counts["first_person"] == 1
    tone = an.tone_markers(stats())
    assert tone["dominant"] == "casual"


def test_vocabulary_and_mattr() -> None:
    words = " ".join(f"w{chr(97 + i % 10)}x" for i in range(100))
    s = ft.document_stats([parse_paragraph(words + ".")])
    v = an.vocabulary(s)
    assert v["vocabulary_size"] == 10
    assert v["type_token_ratio"] == 0.1
    assert v["mattr"] == 10 / 50  # two windows of 50 words, 10 types each


def test_common_phrases_skip_pure_function_words() -> None:
    # Phrases count by documents (issue 14): two documents each using the phrase.
    doc = "Here's the thing about jam. Here's the thing about bread. Of the of the."
    s = ft.DocumentStats()
    for _ in range(2):
        s.add(ft.document_stats([parse_paragraph(doc)]))
    phrases = dict(an.common_phrases(s))
    assert phrases["here's the thing"] == 2
    assert "of the" not in phrases


def test_char_ngrams_count_word_boundaries() -> None:
    s = ft.document_stats([parse_paragraph("the the cat.")])
    grams = dict(an.char_ngrams(s, n=3))
    assert grams[" th"] == 2 and grams["he "] == 2 and grams["cat"] == 1


def test_punctuation_per_thousand_words() -> None:
    s = ft.document_stats([parse_paragraph("a; b; c; d.")])
    assert an.punctuation(s)[";"] == 750.0


def test_stats_add_subtract_roundtrip() -> None:
    a = stats()
    b = ft.document_stats([parse_paragraph("Another one. With words.")])
    total = a.copy()
    total.add(b)
    total.subtract(b)
    assert total.to_dict() == a.to_dict()
    assert ft.DocumentStats.from_dict(a.to_dict()).to_dict() == a.to_dict()
