"""Trust bugs of issue 14: each test failed before its fix.

A real writer (awichman, digital.gov blog; public domain) who types curly quotes; a looping
draft; a label repeated inside one post; and a score whose shown value must equal the decision.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testpaths import CORPORA

from inkmod.style import analyses as an
from inkmod.style import drift as dr
from inkmod.style import features as ft
from inkmod.style.profile import StyleProfile
from inkmod.style.reports import analyze_text
from inkmod.style.tokens import parse_paragraph

BLOGGER = CORPORA / "blogs" / "texts" / "awichman"

CURLY = (
    "“We wanted a tool people already trust,” said the program lead. “It was a fun way to get "
    "a serious message across – and it worked…” The team shared the videos with partners, "
    "and more than 21,000 people watched them in the first month."
)


@pytest.fixture(scope="module")
def blogger() -> StyleProfile:
    if not BLOGGER.is_dir():
        pytest.skip(f"corpus not found: {BLOGGER}")
    profile = StyleProfile("awichman")
    for path in sorted(BLOGGER.glob("*.txt"))[:20]:
        profile.add_document(path.name, path.read_text(encoding="utf-8"))
    profile.recalibrate()
    return profile


def _straight(text: str) -> str:
    return text.replace("“", '"').replace("”", '"').replace("–", "—").replace("…", "...")


def test_curly_and_straight_quotes_score_alike(blogger: StyleProfile) -> None:
    curly = blogger.score_text(CURLY)
    straight = blogger.score_text(_straight(CURLY))
    assert curly.score is not None and straight.score is not None
    assert abs(curly.score - straight.score) <= 0.05, (curly, straight)
    # The writer's quotes are counted as quotes, not as something foreign.
    assert not any("you use 0" in r for r in curly.reasons), curly.reasons


def test_typographic_marks_count_as_their_plain_habit() -> None:
    tokens = ft.lower_tokens("“Yes” – she said… ‘no’")
    assert tokens.count('"') == 2
    assert "—" in tokens
    assert tokens.count(".") == 3


def test_the_glyph_itself_stays_a_minor_habit() -> None:
    curly = ft.paragraph_features(parse_paragraph(CURLY))
    straight = ft.paragraph_features(parse_paragraph(_straight(CURLY)))
    assert curly.typography[0] > 0 and straight.typography[0] == 0
    assert dr.COMPONENT_WEIGHTS["typography"] <= 0.1


LOOP = (
    "By measuring, the success of their business is measured by their ability to measure the "
    "success of their business. By measuring the success of their business, they measure their "
    "ability to measure the success of their business, and the success of their business is "
    "measured by measuring their ability to measure the success of their business."
)


def test_a_looping_paragraph_drifts(blogger: StyleProfile) -> None:
    result = blogger.score_text(LOOP)
    assert result.score is not None and result.score > 0.95, result
    assert any("repeat" in r for r in result.reasons), result.reasons


def test_a_label_repeated_in_one_document_is_not_a_common_phrase() -> None:
    label = "How to Use It—Provides a quick way to look things up."
    post = "\n\n".join(
        f"{label} Item {i} has notes of its own about widgets and forms." for i in range(12)
    )
    others = [
        "We met the team on Monday. The new forms went out to every office that week.",
        "Our office tested the forms with ten people. Most of them liked the new layout.",
    ]
    profile = StyleProfile("p")
    profile.add_document("post", post)
    for i, text in enumerate(others):
        profile.add_document(f"o{i}", text)
    phrases = [p for p, _ in an.common_phrases(profile.totals)]
    assert not any("to use it provides" in p for p in phrases), phrases
    assert "use it provides" not in " | ".join(profile.summary()["common_phrases"])


def test_phrases_count_documents_not_repeats() -> None:
    # 3- and 4-word phrases are stored when they recur within a document (architecture.md).
    docs = [
        "Here's the thing about jam. Here's the thing I know.",
        "Here's the thing about bread. Here's the thing: it rises.",
    ]
    profile = StyleProfile("p")
    for i, text in enumerate(docs):
        profile.add_document(f"d{i}", text)
    assert dict(an.common_phrases(profile.totals))["here's the thing"] == 2
    profile.remove_document("d1")
    assert "here's the thing" not in dict(an.common_phrases(profile.totals))


def test_reasons_read_as_words(blogger: StyleProfile) -> None:
    foreign = (
        "Notwithstanding the considerable administrative complexity inherent in such "
        "undertakings, the committee resolved, after protracted deliberation concerning the "
        "respective merits of the competing proposals, that the implementation of the "
        "aforementioned recommendations should proceed expeditiously, whereupon the secretariat "
        "was instructed to circulate a comprehensive memorandum."
    )
    for text in (foreign, LOOP, CURLY):
        features = ft.paragraph_features(parse_paragraph(text))
        surprise = dr.surprises(features, blogger.view)
        for name in dr.COMPONENTS:
            reason = dr._reason(name, surprise.evidence, blogger.view, features)
            if reason is None:
                continue
            # No masked patterns ("… …s because"): words, or the writer's own text quoted.
            assert not re.search(r"'…|… …|…s\b", reason), reason
            assert " words words" not in reason and "hedges words" not in reason, reason
            assert "contractions words" not in reason, reason
            assert "*" not in reason, reason


def test_shown_equals_decided(monkeypatch: pytest.MonkeyPatch, blogger: StyleProfile) -> None:
    monkeypatch.setattr(dr, "score_from_combined", lambda combined, calibration: 0.9527)
    result = blogger.score_text(CURLY)
    shown = f"{result.score:.2f}"
    assert shown == "0.95"
    reports = analyze_text(CURLY + "\n", "markdown", blogger, threshold=0.95)
    assert [r.score for r in reports] == [0.95]
    # shown 0.95, threshold 0.95, drifting means score > threshold: not drifting.
    assert [r.drifting for r in reports] == [False]
    monkeypatch.setattr(dr, "score_from_combined", lambda combined, calibration: 0.9551)
    reports = analyze_text(CURLY + "\n", "markdown", blogger, threshold=0.95)
    assert [(r.score, r.drifting) for r in reports] == [(0.96, True)]


def test_old_profiles_ask_for_retraining(tmp_path: Path) -> None:
    from inkmod.style import storage

    profile = StyleProfile("old")
    profile.add_document("d", "One short sample. It has two sentences.")
    data = storage.dumps(profile).replace(b"\xa6schema\x02", b"\xa6schema\x01")
    with pytest.raises(storage.ProfileSchemaError, match="retrain"):
        storage.loads(data)
