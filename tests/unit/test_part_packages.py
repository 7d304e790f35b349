"""Joining a model split across part packages: exact size and SHA-256, or nothing is replaced."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inkmod.backends.errors import BackendError
from inkmod.backends.part_packages import SplitModel

PAYLOADS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


@pytest.fixture()
def parts(tmp_path: Path) -> Iterator[Path]:
    """Three installed part packages, each with pip's own files beside the payload."""
    site = tmp_path / "site"
    for index, payload in enumerate(PAYLOADS, start=1):
        package = site / f"fake_model_part{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(payload)
        info = site / f"fake_model_part{index}-0.2.0.dist-info"
        info.mkdir()
        (info / "INSTALLER").write_text("pip\n")
        (info / "direct_url.json").write_text("{}")
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    for index in range(1, len(PAYLOADS) + 1):
        sys.modules.pop(f"fake_model_part{index}", None)


def model(digest: str | None = None, size: int | None = None) -> SplitModel:
    joined = b"".join(PAYLOADS)
    return SplitModel(
        filename="fake.gguf",
        package="fake_model_part{}",
        distribution="fake-model-part{}",
        parts=len(PAYLOADS),
        size=len(joined) if size is None else size,
        sha256=digest or hashlib.sha256(joined).hexdigest(),
    )


def test_joins_only_the_payloads_and_records_the_digest(parts: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "fake.gguf"
    spec = model()
    assert spec.installed() and not spec.verified(target)
    assert spec.ensure(target) == target
    assert target.read_bytes() == b"".join(PAYLOADS)
    assert spec.verified(target)
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".partial")]


def test_a_wrong_digest_is_refused_and_leaves_nothing(parts: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "fake.gguf"
    with pytest.raises(BackendError, match="do not match the pinned file"):
        model(digest="0" * 64).ensure(target)
    assert list(target.parent.iterdir()) == []


def test_a_file_replaced_after_joining_is_joined_again(parts: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "fake.gguf"
    spec = model()
    spec.ensure(target)
    target.write_bytes(b"GGUF truncated")
    assert not spec.verified(target)
    spec.ensure(target)
    assert target.read_bytes() == b"".join(PAYLOADS)


def test_a_missing_part_says_which_packages(tmp_path: Path) -> None:
    spec = model()
    assert not spec.installed()
    with pytest.raises(BackendError, match=r"fake-model-part1 \.\. fake-model-part3"):
        spec.ensure(tmp_path / "fake.gguf")
