"""The drift score: own text scores lower than foreign text, reasons name what differs, and the
shape (text-distortion) statistics added for the syntax component stay exact and additive."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.style import drift as dr
from inkmod.style.features import (
    DocumentStats,
    ParagraphFeatures,
    document_stats,
    paragraph_features,
    shape_ngrams,
    token_shape,
)
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import parse_paragraph, split_plain_paragraphs
from inkmod.style.view import Excluded, ProfileView

# A terse, plain writer: short sentences, "I", contractions, everyday words.
TERSE = [
    "I fixed the gate today. It took an hour. The hinge was bent, so I swapped it. "
    "Then I painted the post. It's green now. The dog didn't care at all.",
    "We walked to the lake. The water was cold. I didn't swim. Sam did, and he yelled. "
    "Then we ate lunch on the dock. It was a good day, I think.",
    "The car won't start again. I checked the battery. It's fine. Maybe it's the starter. "
    "I'll call Joe tomorrow. He knows cars. I don't, and that's fine.",
    "I baked bread this morning. The dough was wet, so I added flour. It rose fast. "
    "The crust came out dark. We ate half of it warm. I'll bake more on Sunday.",
    "My sister came by at noon. She brought soup. We talked about Dad. He's doing better. "
    "She left at three. I washed the pot and took a nap. It was quiet.",
    "The garden needs work. The beans are tall, but the peas died. I pulled them out. "
    "Then I watered the rest. It didn't rain all week. I hope it rains soon.",
]
OWN = (
    "I cleaned the shed today. It was full of junk. I threw out the old chairs. "
    "Then I swept the floor. It's clean now. The cat didn't like the noise at all."
)
# A wordy, formal writer: long sentences, Latinate vocabulary, no contractions.
FOREIGN = (
    "Notwithstanding the considerable administrative complexity inherent in such undertakings, "
    "the committee resolved, after protracted deliberation concerning the respective merits of "
    "the competing proposals, that the implementation of the aforementioned recommendations "
    "should proceed expeditiously, whereupon the secretariat was instructed to circulate a "
    "comprehensive memorandum delineating the consequential obligations of each participating "
    "organisation."
)


def profile_of(texts: list[str]) -> StyleProfile:
    profile = StyleProfile("t")
    for i, text in enumerate(texts):
        profile.add_document(f"d{i}", text)
    profile.recalibrate()
    return profile


def features_of(text: str) -> ParagraphFeatures:
    return paragraph_features(parse_paragraph(text))


def test_own_paragraph_drifts_less_than_a_foreign_one() -> None:
    profile = profile_of(TERSE)
    own = profile.score_text(OWN)
    foreign = profile.score_text(FOREIGN)
    assert own.score is not None and foreign.score is not None
    assert own.score < foreign.score
    assert foreign.score > 0.9
    # Both strong components agree, not just the combination.
    assert foreign.components["vocabulary"] > own.components["vocabulary"]
    assert foreign.components["syntax"] > own.components["syntax"]


def test_too_short_paragraph_gets_no_score_and_says_why() -> None:
    profile = profile_of(TERSE)
    result = profile.score_text("Too short to judge, really.")
    assert result.score is None
    assert result.components == {}
    assert result.reasons and "too short" in result.reasons[0]
    assert str(dr.MIN_WORDS) in result.reasons[0]


def test_reasons_mention_sentence_length_when_that_is_what_differs() -> None:
    profile = profile_of(TERSE)
    # The writer's own words and habits, run together into very long sentences.
    long_sentences = (
        "I fixed the gate and it took an hour because the hinge was bent so I swapped it and "
        "then I painted the post green and the dog didn't care at all and we walked to the "
        "lake where the water was cold and I didn't swim but Sam did and he yelled and then "
        "we ate lunch on the dock and it was a good day."
    )
    result = profile.score_text(long_sentences)
    assert result.score is not None
    assert any("sentences average" in r for r in result.reasons), result.reasons
    assert result.components["sentence_length"] >= 1.0


def test_reasons_are_plain_words_for_every_component() -> None:
    profile = profile_of(TERSE)
    features = features_of(FOREIGN)
    surprise = dr.surprises(features, profile.view)
    for name in dr.COMPONENTS:
        text = dr._reason(name, surprise.evidence, profile.view, features)
        assert text is None or (isinstance(text, str) and text and "{" not in text)
    syntax = dr._reason("syntax", surprise.evidence, profile.view, features)
    assert syntax is not None and "sentences are put together unlike yours" in syntax


def test_combine_clips_and_weights_like_the_server_expects() -> None:
    calibration = dr.Calibration(
        {name: dr.ComponentCalibration(0.0, 1.0) for name in dr.COMPONENTS}, 0.0, 1.0, 10
    )
    values = {name: 0.0 for name in dr.COMPONENTS}
    values["punctuation"] = 1000.0  # one absurd habit must not outvote the rest
    combined, normed = dr.combine(values, calibration)
    assert normed["punctuation"] == dr.COMPONENT_CLIP
    total = sum(dr.COMPONENT_WEIGHTS.values())
    expected = sum(dr.COMPONENT_WEIGHTS[k] * v for k, v in normed.items()) / total
    assert abs(combined - expected) < 1e-12
    # A calibration from before a component existed treats it as typical.
    old = dr.Calibration({"vocabulary": dr.ComponentCalibration(0.0, 1.0)}, 0.0, 1.0, 10)
    _, normed_old = dr.combine({"syntax": 50.0, "vocabulary": 1.0}, old)
    assert normed_old["syntax"] == 0.0 and normed_old["vocabulary"] == 1.0


def test_shapes_mask_content_words_and_keep_function_words() -> None:
    assert token_shape("the") == "the"
    assert token_shape(",") == ","
    assert token_shape("quickly") == "*ly"
    assert token_shape("walking") == "*ing"
    assert token_shape("walked") == "*ed"
    assert token_shape("dogs") == "*s"
    assert token_shape("dog's") == "*'s"
    assert token_shape("won't") == "*'"
    assert token_shape("1999") == "#"
    assert token_shape("garden") == "*"
    features = features_of("The dogs walked quickly, and then the cat ran.")
    assert features.shapes == (
        "the", "*s", "*ed", "*ly", ",", "and", "then", "the", "*", "*", ".",
    )  # fmt: skip


def test_document_shape_ngrams_count_the_stream() -> None:
    paragraphs = [parse_paragraph(p) for p in ("The cat sat.", "A dog ran.")]
    stats = document_stats(paragraphs)
    grams = stats.shape_ngrams
    assert grams["the"] == 1 and grams["*"] == 4 and grams["."] == 2
    assert grams["the * *"] == 1
    assert grams[". a *"] == 1  # the stream runs across the paragraph break
    assert sum(v for k, v in grams.items() if " " not in k) == sum(stats.tokens.values())


def test_paragraph_features_round_trip_with_shapes() -> None:
    features = features_of(OWN)
    again = ParagraphFeatures.from_dict(features.to_dict())
    assert again == features
    legacy = features.to_dict()
    del legacy["d"]
    assert ParagraphFeatures.from_dict(legacy).shapes == ()


def test_excluding_a_document_equals_a_profile_without_it() -> None:
    docs = [document_stats([parse_paragraph(t)]) for t in TERSE]
    totals = DocumentStats()
    for d in docs:
        totals.add(d)
    rest = DocumentStats()
    for d in docs[1:]:
        rest.add(d)
    left_out = ProfileView(totals, Excluded.of_document(docs[0]))
    rebuilt = ProfileView(rest)
    features = features_of(OWN)
    a = dr.surprises(features, left_out).values
    b = dr.surprises(features, rebuilt).values
    for name in dr.COMPONENTS:
        assert abs(a[name] - b[name]) < 1e-9, name


def test_scoring_reuses_the_views_cache() -> None:
    profile = profile_of(TERSE)
    first = profile.score_text(FOREIGN)
    assert "shape_model" in profile.view.cache and "vocabulary" in profile.view.cache
    assert profile.score_text(FOREIGN) == first


def test_real_prose_own_book_drifts_less_than_other_authors(corpora: Path) -> None:
    texts = corpora / "novels" / "texts"
    austen = sorted(texts.glob("Austen_*.txt"))
    profile = StyleProfile("austen")
    for path in austen[:2]:
        profile.add_document(path.name, path.read_text(encoding="utf-8"))
    profile.recalibrate()

    def mean_score(path: Path) -> float:
        paragraphs = [p for p in split_plain_paragraphs(path.read_text(encoding="utf-8"))]
        scores = [profile.score_text(p).score for p in paragraphs[:120]]
        kept = [s for s in scores if s is not None]
        return sum(kept) / len(kept)

    own = mean_score(austen[2])
    other = mean_score(sorted(texts.glob("Doyle_*.txt"))[0])
    assert own < other


WORDS = ["the", "cat", "sat", "on", "a", "mat", "quickly", "walked", "it's", "dogs", ",", "and"]
paragraph_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=25).map(
    lambda ws: " ".join(ws).replace(" ,", ",") + "."
)
document_text = st.lists(paragraph_text, min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(st.lists(document_text, min_size=1, max_size=4))
def test_shape_statistics_are_additive(docs: list[list[str]]) -> None:
    stats = [document_stats([parse_paragraph(p) for p in doc]) for doc in docs]
    total = DocumentStats()
    for s in stats:
        total.add(s)
    expected: Counter[str] = Counter()
    for s in stats:
        expected.update(s.shape_ngrams)
    assert total.shape_ngrams == +expected
    total.subtract(stats[0])
    rest: Counter[str] = Counter()
    for s in stats[1:]:
        rest.update(s.shape_ngrams)
    assert total.shape_ngrams == +rest
    again = DocumentStats.from_dict(stats[0].to_dict())
    assert again == stats[0]


@settings(max_examples=30, deadline=None)
@given(paragraph_text)
def test_paragraph_shape_ngrams_match_its_document(text: str) -> None:
    paragraph = parse_paragraph(text)
    features = paragraph_features(paragraph)
    stats = document_stats([paragraph])
    if paragraph.sentences:
        assert shape_ngrams(features.shapes) == stats.shape_ngrams
