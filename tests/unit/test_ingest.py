"""A samples folder as real folders are: nothing crashes, every skip is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inkmod.style.build import NoSamplesError, build_profile, refresh_document
from inkmod.style.ingest import (
    SamplesFolderError,
    SkipSample,
    is_ignored_path,
    iter_sample_files,
    read_sample,
)

PROSE = "I wrote this myself. It has a few sentences, honestly, and that's the thing.\n\n" * 5


def collect(folder: Path) -> tuple[list[Path], list[SkipSample]]:
    paths, skips = [], []
    for item in iter_sample_files(folder):
        (skips if isinstance(item, SkipSample) else paths).append(item)
    return paths, skips  # type: ignore[return-value]


def test_missing_and_non_folder(tmp_path: Path) -> None:
    with pytest.raises(SamplesFolderError, match="not found"):
        list(iter_sample_files(tmp_path / "nope"))
    (tmp_path / "f.txt").write_text(PROSE)
    with pytest.raises(SamplesFolderError, match="not a folder"):
        list(iter_sample_files(tmp_path / "f.txt"))


def test_empty_folder_gives_no_samples_error(tmp_path: Path) -> None:
    with pytest.raises(NoSamplesError):
        build_profile(tmp_path, "p")


def test_encodings(tmp_path: Path) -> None:
    text = "Café déjà vu — naïve “quotes”. " * 5
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "cp.txt").write_bytes(text.encode("cp1252"))
    assert read_sample(tmp_path / "bom.txt").encoding == "utf-8-sig"
    assert read_sample(tmp_path / "u16.txt").text == text
    cp = read_sample(tmp_path / "cp.txt")
    assert cp.encoding == "cp1252" and cp.text == text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"  \n", "empty"),
        ("bin.txt", b"\x00\x01\x02binary" * 10, "binary"),
        ("undecodable.txt", b"abc \x81\x8d\x8f\x90 def " * 20, "not UTF-8"),
        ("numbers.txt", b"1234 5678 9012 " * 50, "prose"),
    ],
)
def test_bad_files_are_skipped_with_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(SkipSample, match=reason):
        read_sample(tmp_path / name)


def test_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(PROSE)
    with pytest.raises(SkipSample, match="too large"):
        read_sample(tmp_path / "big.txt", max_bytes=100)


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "locked.txt"
    target.write_text(PROSE)

    def deny(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patch:  # read_sample opens with os.open (O_NONBLOCK)
        patch.setattr(os, "open", deny)
        with pytest.raises(SkipSample, match="Permission denied"):
            read_sample(target)


def test_walk_skips_hidden_swap_and_foreign_files_and_survives_loops(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(PROSE)
    (tmp_path / ".hidden.md").write_text(PROSE)
    (tmp_path / ".a.md.swp").write_text("x")
    (tmp_path / "a.md~").write_text("x")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.txt").write_text(PROSE)
    os.symlink(tmp_path, sub / "loop")
    os.symlink(tmp_path / "missing.txt", tmp_path / "dangling.txt")
    paths, skips = collect(tmp_path)
    assert sorted(p.name for p in paths) == ["a.md", "b.txt"]
    reasons = " | ".join(s.reason for s in skips)
    assert "not a text format" in reasons
    assert "symbolic link loop" in reasons
    assert "broken symbolic link" in reasons


def test_ignored_names() -> None:
    for name in ["#draft.md#", ".x.swp", "notes.md~", "4913", "x.tmp", ".hidden"]:
        assert is_ignored_path(Path(name)), name
    assert not is_ignored_path(Path("chapter-1.md"))


def test_build_profile_reports_skips_and_keeps_good_files(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(PROSE)
    (tmp_path / "bad.txt").write_bytes(b"\x00" * 100)
    (tmp_path / "code.md").write_text("```python\nprint(1)\n```\n")
    profile, skipped = build_profile(tmp_path, "p")
    assert profile.document_ids() == ["good.md"]
    assert {s.path.name for s in skipped} == {"bad.txt", "code.md"}


def test_refresh_document_tracks_file_lifecycle(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(PROSE)
    (tmp_path / "b.md").write_text(PROSE.replace("honestly", "truly"))
    profile, _ = build_profile(tmp_path, "p")
    new = tmp_path / "c.md"
    new.write_text(PROSE + "A new paragraph appears here.")
    assert refresh_document(profile, tmp_path, new) == "added"
    assert refresh_document(profile, tmp_path, new) == "unchanged"
    new.write_text(PROSE + "Edited.")
    assert refresh_document(profile, tmp_path, new) == "updated"
    new.unlink()
    assert refresh_document(profile, tmp_path, new) == "removed"
    assert profile.document_ids() == ["a.md", "b.md"]
