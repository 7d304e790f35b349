"""Cases 1-4 of issue 12: samples folders that used to hang or crash training."""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import Cli, one_error_line

from inkmod.style import build
from inkmod.style.build import build_profile
from inkmod.style.ingest import SkipSample, iter_sample_files, read_sample
from inkmod.style.storage import load_profile

PROSE = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday.\n\n"
) * 4


def _skips(folder: Path) -> dict[str, str]:
    return {
        item.path.name: item.reason
        for item in iter_sample_files(folder)
        if isinstance(item, SkipSample)
    }


# -- 1: FIFOs, sockets and devices ---------------------------------------------------------------


def test_fifo_and_socket_are_skipped_without_opening(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text(PROSE)
    os.mkfifo(tmp_path / "pipe.md")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.txt"))
    try:
        skips = _skips(tmp_path)
        assert "not a regular file" in skips["pipe.md"]
        assert "not a regular file" in skips["sock.txt"]
        # read_sample on a FIFO nobody writes to must return at once, not block in open();
        # should it block, a writer turns up after 5 s so the test fails instead of hanging
        unblock = threading.Timer(5.0, _open_writer, [tmp_path / "pipe.md"])
        unblock.start()
        started = time.monotonic()
        with pytest.raises(SkipSample, match="not a regular file"):
            read_sample(tmp_path / "pipe.md")
        with pytest.raises(SkipSample, match="not a regular file"):
            read_sample(Path("/dev/zero"))
        assert time.monotonic() - started < 2
    finally:
        unblock.cancel()
        sock.close()


def _open_writer(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_cli_train_and_analyze_with_a_fifo_return(cli: Cli, samples: Path) -> None:
    os.mkfifo(samples / "pipe.md")
    trained = cli("train", "--samples", str(samples), "-p", "maya", timeout=60)
    assert trained.returncode == 0, trained.stderr
    assert "pipe.md" in trained.stderr and "not a regular file" in trained.stderr
    analysed = cli("analyze", str(samples / "pipe.md"), "-p", "maya", timeout=30)
    assert analysed.returncode == 2
    assert "not a regular file" in analysed.stderr


def test_daemon_trains_from_a_folder_with_a_fifo(samples: Path, daemon_env: dict[str, str]) -> None:
    from inkmod.rpc.client import ensure_daemon

    os.mkfifo(samples / "pipe.md")
    client = ensure_daemon("maya", samples=samples, backend="fake", request_timeout=30)
    try:
        result = client.analyze(PROSE, timeout=30)
        assert result["reports"]
        assert len(client.profile_get()["documents"]) == 6
    finally:
        client.close()


# -- 2: SkipSample through the process pool ------------------------------------------------------


def test_skip_sample_pickles() -> None:
    skip = pickle.loads(pickle.dumps(SkipSample(Path("notes.md"), "empty file")))
    assert (skip.path, skip.reason) == (Path("notes.md"), "empty file")


def test_pool_build_with_a_skipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(3):
        (tmp_path / f"{number}.md").write_text(PROSE.replace("garden", f"garden {number}"))
    (tmp_path / "notes.md").write_text("")
    monkeypatch.setattr(build, "POOL_THRESHOLD_BYTES", 0)
    profile, skipped = build_profile(tmp_path, "p", workers=2)
    assert len(profile.documents) == 3
    assert [(s.path.name, s.reason) for s in skipped] == [("notes.md", "empty file")]


# -- 3: deep folders -----------------------------------------------------------------------------


def test_deeply_nested_folders(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(1100):
        deep = deep / "d"
        deep.mkdir()  # one at a time: pathlib's parents=True recurses
    (deep / "bottom.md").write_text(PROSE)
    (tmp_path / "top.md").write_text(PROSE.replace("garden", "yard"))
    (deep / "up").symlink_to(tmp_path)  # a loop through the whole depth
    try:
        profile, skipped = build_profile(tmp_path, "p")
        assert len(profile.documents) == 2
        assert any("loop" in s.reason for s in skipped)
    finally:  # bottom-up, one level at a time: shutil.rmtree recurses too
        (deep / "up").unlink()
        (deep / "bottom.md").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


# -- 4: file names that are not UTF-8 ------------------------------------------------------------


def test_non_utf8_file_name_round_trips(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "fine.md").write_text(PROSE)
    bad = os.fsdecode(b"bad\xffname.txt")
    with open(os.path.join(os.fsencode(folder), b"bad\xffname.txt"), "w") as handle:
        handle.write(PROSE.replace("garden", "orchard"))
    trained = cli("train", "--samples", str(folder), "-p", "odd")
    assert trained.returncode == 0, trained.stderr
    profile = load_profile("odd")
    assert set(profile.documents) == {"fine.md", bad}
    shown = cli("profile", "show", "odd", "--json")
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr


def test_cli_train_of_a_fifo_only_folder_is_one_error(cli: Cli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    result = cli("train", "--samples", str(tmp_path), timeout=30)
    assert result.returncode == 2
    assert "no usable writing samples" in one_error_line(result)
