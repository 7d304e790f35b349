"""The impostor cohort: shipped counts of writers who are not the benchmark's, chosen by fit,
named in the calibration, and subtracted from the vocabulary and syntax surprises exactly."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from inkmod.style import cohort as ch
from inkmod.style import drift as dr
from inkmod.style.features import DocumentStats, text_features
from inkmod.style.profile import StyleProfile
from inkmod.style.view import ProfileView

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "samples"
NOVELISTS = ("austen", "dickens", "eliot", "doyle", "cbronte")
BLOGGERS = ("bbrantley", "tyrus-manuel", "awichman", "jherman", "jparcell")
TEST_AUTHORS = (*NOVELISTS, *BLOGGERS)
PARAGRAPH = (
    "The committee met on Tuesday and agreed, after a long and rather tedious discussion, that "
    "the new guidance should be published before the end of the month, so that every office "
    "could read it, ask questions and plan the changes it would need to make in good time."
)


@pytest.fixture(scope="module")
def cohort() -> ch.Cohort:
    shipped = ch.shipped_cohort()
    assert shipped is not None, "the cohort data file ships with the package"
    return shipped


@pytest.fixture(scope="module")
def profile() -> StyleProfile:
    """All three example writers together: enough words (about 10,000) for the cohort."""
    profile = StyleProfile("cohort")
    for path in sorted(SAMPLES.glob("*/*.md")):
        profile.add_document(f"{path.parent.name}/{path.name}", path.read_text("utf-8"), "markdown")
    profile.recalibrate()
    return profile


def test_the_cohort_has_many_writers_and_never_a_test_author(cohort: ch.Cohort) -> None:
    names = [m.name for m in cohort.members]
    assert len(names) == len(set(names)) >= 50
    assert {m.genre for m in cohort.members} == {"novels", "blogs"}
    handles = {name.split(":", 1)[1] for name in names}
    assert handles.isdisjoint(TEST_AUTHORS)
    for member in cohort.members:
        assert member.view.n_tokens >= member.view.n_words > 3000
        assert member.view.count("the") > 0


def test_every_member_has_its_source_recorded(cohort: ch.Cohort) -> None:
    sources = json.loads((ch.DATA_FILE.parent / "cohort_sources.json").read_text("utf-8"))
    listed = {m["name"]: m for m in sources["members"]}
    assert set(listed) == {m.name for m in cohort.members}
    for entry in listed.values():
        assert entry["repo"] in sources["licences"]
        assert len(entry["commit"]) == 40 and entry["paths"]
    assert set(sources["excluded_authors"]) == set(TEST_AUTHORS)


def test_nearest_puts_a_writer_first_against_their_own_counts(cohort: ch.Cohort) -> None:
    member = cohort.members[7]
    stats = DocumentStats()
    stats.tokens = Counter(member.view._tokens)
    stats.n_words = member.view.n_words
    chosen = cohort.nearest(stats, size=5)
    assert chosen.members[0] is member
    assert len(set(chosen.names)) == 5
    assert cohort.nearest(stats, size=5).names == chosen.names  # deterministic
    assert cohort.reference(chosen.names) == chosen
    assert cohort.reference(("novels:nobody",)) is None


def test_calibration_names_the_cohort_and_scoring_uses_it(profile: StyleProfile) -> None:
    assert profile.totals.n_words >= ch.MIN_PROFILE_WORDS
    assert profile.calibration is not None
    assert len(profile.calibration.cohort) == ch.COHORT_SIZE
    reference = profile.cohort()
    assert reference is not None and reference.names == profile.calibration.cohort
    restored = StyleProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert restored.calibration == profile.calibration
    assert restored.score_text(PARAGRAPH).z == pytest.approx(profile.score_text(PARAGRAPH).z)


def test_a_calibration_without_a_cohort_scores_without_one(profile: StyleProfile) -> None:
    with_cohort = profile.score_text(PARAGRAPH)
    data = profile.to_dict()
    del data["calibration"]["cohort"]  # as written before the cohort existed
    old = StyleProfile.from_dict(data)
    assert old.cohort() is None
    features = text_features(PARAGRAPH)
    plain = dr.surprises(features, old.view, None, old.top_function_words()).values
    want = dr.standardise_combined(dr.combine(plain, old.calibration)[0], old.calibration)
    assert old.score_text(PARAGRAPH).z == pytest.approx(want, abs=1e-12)
    assert old.score_text(PARAGRAPH).z != pytest.approx(with_cohort.z, abs=1e-6)


def test_a_thin_profile_is_not_compared_with_the_cohort() -> None:
    profile = StyleProfile("thin")
    for path in sorted((SAMPLES / "maya").glob("*.md")):
        profile.add_document(path.name, path.read_text("utf-8"), "markdown")
    profile.recalibrate()
    assert profile.totals.n_words < ch.MIN_PROFILE_WORDS
    assert profile.calibration is not None and profile.calibration.cohort == ()
    assert profile.cohort() is None


def test_the_cohort_is_subtracted_from_vocabulary_and_syntax_only(profile: StyleProfile) -> None:
    reference = profile.cohort()
    assert reference is not None
    features = text_features(PARAGRAPH)
    top = profile.top_function_words()
    alone = dr.surprises(features, profile.view, None, top).values
    relative = dr.surprises(features, profile.view, None, top, reference).values
    # Each member's own surprise, as if it were the writer (the same top function words).
    theirs = [dr.surprises(features, m.view, None, top).values for m in reference.members]
    for name, weight in ch.COHORT_WEIGHTS.items():
        mean = math.fsum(v[name] for v in theirs) / len(theirs)
        assert relative[name] == pytest.approx(alone[name] - weight * mean, abs=1e-9)
    for name in dr.COMPONENTS:
        if name not in ch.COHORT_WEIGHTS:
            assert relative[name] == alone[name]


def test_writers_of_the_kind_are_chosen() -> None:
    """A profile of one member's counts, rebuilt as a view, gets mostly members of its genre."""
    cohort = ch.shipped_cohort()
    assert cohort is not None
    for genre in ("novels", "blogs"):
        member = next(m for m in cohort.members if m.genre == genre)
        stats = DocumentStats()
        stats.tokens = Counter(member.view._tokens)
        chosen = cohort.nearest(stats)
        same = sum(m.genre == genre for m in chosen.members)
        assert same >= ch.COHORT_SIZE * 3 // 4, (genre, chosen.names)
        assert isinstance(chosen.members[0].view, ProfileView)


def test_all_members_at_once_agree_with_each_members_own_model(profile: StyleProfile) -> None:
    # The one-table model replaced a loop over members that made a new document 11x slower.
    reference = profile.cohort()
    assert reference is not None
    shapes = text_features(PARAGRAPH + " Zebra-quux, 1999!").shapes  # some n-grams nobody has
    per_member = [dr._ShapeModel(m.view).gains_of(shapes) for m in reference.members]
    expected = [math.fsum(column) / len(per_member) for column in zip(*per_member, strict=True)]
    together = dr._CohortShapeModel(reference).mean_gains(shapes)
    assert together == pytest.approx(expected, abs=1e-12)
