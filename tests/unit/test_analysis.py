"""Document analysis on the bundled examples and on real prose from the shared corpora."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from testpaths import EXAMPLES

from inkmod.style.build import build_profile
from inkmod.style.document import ScoreCache
from inkmod.style.ingest import read_sample
from inkmod.style.markup import LineIndex
from inkmod.style.profile import StyleProfile
from inkmod.style.reports import analyze_text


@pytest.fixture(scope="module")
def maya() -> StyleProfile:
    profile, _ = build_profile(EXAMPLES / "samples" / "maya", "maya")
    return profile


def foreign_numbers(text: str) -> set[int]:
    marker = text.rsplit("foreign paragraphs", 1)[1]
    numbers = marker.split(":", 1)[1].split("-->")[0]
    return {int(n) for n in numbers.replace(" ", "").split(",")}


def test_mixed_draft_flags_exactly_the_foreign_paragraphs(maya: StyleProfile) -> None:
    draft = read_sample(EXAMPLES / "mixed.md")
    reports = analyze_text(draft.text, draft.fmt, maya)
    flagged = {i for i, r in enumerate(reports, start=1) if r.drifting}
    assert flagged == foreign_numbers(draft.text)
    for report in reports:
        if report.drifting:
            assert report.reasons, "a drifting paragraph must say why"


def test_ranges_point_at_the_paragraph_in_the_source(maya: StyleProfile) -> None:
    text = "# Title\n\nSome `code` here and a [link](http://x) in a short one.\n\n" + (
        "I'm planting garlic again, honestly. " * 10
    )
    reports = analyze_text(text, "markdown", maya)
    index = LineIndex(text)
    assert [r.start.line for r in reports] == [2, 4]
    last = reports[-1]
    assert index.offset(last.start.line, last.start.character) == last.start_offset
    assert text[last.start_offset : last.end_offset].startswith("I'm planting garlic")
    assert reports[0].score is None and "too short" in reports[0].reasons[0]


def test_cache_rescoring_only_changed_paragraphs(maya: StyleProfile) -> None:
    draft = read_sample(EXAMPLES / "mixed.md").text
    cache = ScoreCache()
    first = analyze_text(draft, "markdown", maya, cache=cache)
    misses = cache.misses
    edited = draft.replace("Gloria", "Glenda", 1)
    second = analyze_text(edited, "markdown", maya, cache=cache)
    assert cache.misses - misses == 1
    assert len(first) == len(second)


def test_ignored_paragraph_is_not_drifting(maya: StyleProfile) -> None:
    draft = read_sample(EXAMPLES / "mixed.md").text
    reports = analyze_text(draft, "markdown", maya)
    target = next(r for r in reports if r.drifting)
    again = analyze_text(draft, "markdown", maya, ignored=frozenset({target.text_hash}))
    same = next(r for r in again if r.text_hash == target.text_hash)
    assert not same.drifting and same.reasons == ("ignored at your request",)


def test_sentence_length_reason_for_long_winded_paragraph(maya: StyleProfile) -> None:
    long_sentence = (
        "It is worth noting that the allotment committee, having deliberated at considerable "
        "length upon the matter of water allocation, resolved that each member shall be "
        "permitted access to the municipal supply only insofar as the prevailing regulations, "
        "which were drafted in an earlier and considerably less crowded era, might allow. "
    )
    report = analyze_text(long_sentence * 2, "plaintext", maya)[0]
    assert report.drifting
    assert any("sentences average" in r for r in report.reasons)


def _windows(path: Path, size: int) -> list[str]:
    words = path.read_text(encoding="utf-8").split()
    return [" ".join(words[i : i + size]) for i in range(0, len(words) - size, size)]


@pytest.mark.slow
def test_real_prose_held_out_author_scores_lower_than_others(corpora: Path) -> None:
    novels = corpora / "novels" / "texts"
    profile = StyleProfile("austen")
    for name in ["Austen_Emma_1815.txt", "Austen_PrideAndPrejudice_1813.txt"]:
        profile.add_document(name, (novels / name).read_text(encoding="utf-8"), "plaintext")
    profile.recalibrate()
    own = [
        profile.score_text(w).score for w in _windows(novels / "Austen_Persuasion_1817.txt", 300)
    ]
    other = [
        profile.score_text(w).score for w in _windows(novels / "Doyle_TheLostWorld_1912.txt", 300)
    ]
    assert statistics.median(own) < 0.9 < statistics.median(other)  # type: ignore[type-var]
