"""Profiles: incremental updates equal a rebuild, merges associate, files round-trip safely."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.style.profile import SCHEMA_VERSION, StyleProfile
from inkmod.style.storage import (
    ProfileCorruptError,
    ProfileNotFoundError,
    ProfileSchemaError,
    dumps,
    load_profile,
    loads,
    save_profile,
)

WORDS = ["the", "cat", "sat", "on", "a", "mat", "honestly", "I'm", "moreover", "it"]
sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(
    lambda ws: " ".join(ws).capitalize() + st_choice_end(len(ws))
)


def st_choice_end(n: int) -> str:
    return [".", "!", "?", "."][n % 4]


paragraph = st.lists(sentence, min_size=1, max_size=5).map(" ".join)
document = st.lists(paragraph, min_size=1, max_size=4).map("\n\n".join)
documents = st.dictionaries(st.sampled_from(list("abcdef")), document, min_size=1, max_size=5)


def build(docs: dict[str, str]) -> StyleProfile:
    profile = StyleProfile("p")
    for doc_id in sorted(docs):
        profile.add_document(doc_id, docs[doc_id], "plaintext")
    return profile


@settings(max_examples=40, deadline=None)
@given(documents, documents)
def test_incremental_add_remove_equals_rebuild(
    first: dict[str, str], second: dict[str, str]
) -> None:
    profile = build(first)
    for doc_id, text in second.items():  # add new, replace existing
        profile.add_document(doc_id, text, "plaintext")
    removed = sorted(first)[0]
    profile.remove_document(removed)
    expected = {**first, **second}
    expected.pop(removed)
    assert profile.totals.to_dict() == build(expected).totals.to_dict()


@settings(max_examples=25, deadline=None)
@given(documents, documents, documents)
def test_merge_is_associative(a: dict[str, str], b: dict[str, str], c: dict[str, str]) -> None:
    pa, pb, pc = build(a), build(b), build(c)
    pa.name, pb.name, pc.name = "a", "b", "c"
    left = pa.merge(pb).merge(pc)
    right = pa.merge(pb.merge(pc))
    assert left.totals.to_dict() == right.totals.to_dict()
    assert len(left.documents) == len(right.documents)


def test_unchanged_document_is_not_reanalysed() -> None:
    profile = build({"a": "Same text here."})
    assert profile.add_document("a", "Same text here.", "plaintext") is False
    assert profile.add_document("a", "Different text.", "plaintext") is True


def test_save_load_roundtrip_preserves_scores(tmp_path: Path) -> None:
    docs = {f"d{i}": " ".join(["I'm here and it is fine, honestly."] * (i + 8)) for i in range(4)}
    profile = build(docs)
    profile.recalibrate()
    path = save_profile(profile, tmp_path / "p.inkprofile")
    loaded = load_profile(path)
    text = "Moreover, the committee has determined that the proposal is sufficient in scope."
    assert loaded.totals.to_dict() == profile.totals.to_dict()
    assert loaded.score_text(text * 3) == profile.score_text(text * 3)
    assert path.stat().st_mode & 0o777 == 0o600


def test_newer_schema_is_a_clear_error() -> None:
    payload = msgpack.unpackb(dumps(build({"a": "Text."})), raw=False)
    payload["schema"] = SCHEMA_VERSION + 1
    with pytest.raises(ProfileSchemaError, match="newer InkMod"):
        loads(msgpack.packb(payload))


def test_older_schema_without_migration_says_retrain() -> None:
    payload = msgpack.unpackb(dumps(build({"a": "Text."})), raw=False)
    payload["schema"] = 0
    with pytest.raises(ProfileSchemaError, match="retrain"):
        loads(msgpack.packb(payload))


@pytest.mark.parametrize(
    "data", [b"", b"\x93garbage", msgpack.packb({"magic": "other"}), b"\xff" * 10]
)
def test_corrupt_files_are_clear_errors(data: bytes) -> None:
    with pytest.raises(ProfileCorruptError):
        loads(data)


def test_damaged_profile_body_is_reported() -> None:
    payload = msgpack.unpackb(dumps(build({"a": "Text."})), raw=False)
    del payload["documents"]
    with pytest.raises(ProfileCorruptError, match=r"corrupt.*retrain with"):
        loads(msgpack.packb(payload))


def test_missing_profile_names_known_ones() -> None:
    save_profile(build({"a": "Text."}))
    with pytest.raises(ProfileNotFoundError, match="known profiles: p"):
        load_profile("nope")
