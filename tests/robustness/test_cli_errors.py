"""Cases 6-10 and 13 of issue 12: one clear ``error:`` line (with a way out), never a traceback."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from conftest import Cli, one_error_line

from inkmod.style.storage import load_profile

PROSE = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday.\n\n"
)


@pytest.fixture
def trained(cli: Cli, samples: Path) -> str:
    result = cli("train", "--samples", str(samples), "-p", "maya")
    assert result.returncode == 0, result.stderr
    return "maya"


# -- 6: an insecure runtime directory ------------------------------------------------------------


def test_symlinked_runtime_dir_is_one_error(cli: Cli, inkmod_home: Path, samples: Path) -> None:
    (inkmod_home / "elsewhere").mkdir()
    (inkmod_home / "run").symlink_to(inkmod_home / "elsewhere")
    result = cli("daemon", "start", "-s", str(samples), "-b", "fake")
    assert result.returncode == 2
    assert "symlink" in one_error_line(result)


def test_world_writable_xdg_runtime_dir_is_refused(cli: Cli, inkmod_home: Path) -> None:
    xdg = inkmod_home / "xdg"
    xdg.mkdir()
    os.chmod(xdg, 0o777)
    env = {
        "INKMOD_HOME": None,
        "XDG_RUNTIME_DIR": str(xdg),
        "HOME": str(inkmod_home),
        "XDG_DATA_HOME": str(inkmod_home / "data"),
        "XDG_STATE_HOME": str(inkmod_home / "state"),
        "XDG_CACHE_HOME": str(inkmod_home / "cache"),
        "XDG_CONFIG_HOME": str(inkmod_home / "config"),
    }
    try:
        result = cli("daemon", "start", "-b", "fake", "--idle-timeout", "5", env=env)
        assert result.returncode == 2, result.stdout
        line = one_error_line(result)
        assert "world-writable" in line and "XDG_RUNTIME_DIR" in line
    finally:  # before the fix a daemon starts there; stop it
        cli("daemon", "stop", env=env)


# -- 7: a socket path over the OS limit ----------------------------------------------------------


def test_socket_path_too_long_is_one_error(cli: Cli) -> None:
    home = Path("/tmp") / ("x" * 120)
    home.mkdir(exist_ok=True)
    try:
        result = cli("daemon", "start", "-b", "fake", env={"INKMOD_HOME": str(home)})
        assert result.returncode == 2
        line = one_error_line(result)
        assert "INKMOD_HOME" in line and "XDG_RUNTIME_DIR" in line
    finally:
        shutil.rmtree(home, ignore_errors=True)


# -- 8: disk full --------------------------------------------------------------------------------


@contextlib.contextmanager
def _small_disk(path: Path, size_kb: int) -> Iterator[bool]:
    """A tmpfs of ``size_kb`` at ``path`` when we may mount one (root); False otherwise."""
    path.mkdir()
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_disk_full_during_train_is_one_error_and_keeps_the_old_profile(
    cli: Cli, inkmod_home: Path, samples: Path
) -> None:
    small = inkmod_home / "small"
    small.mkdir()
    shutil.copy(samples / "01-first-tomato.md", small)
    with _small_disk(inkmod_home / "disk", 1024) as mounted:
        env = {"INKMOD_HOME": str(inkmod_home / "disk")}
        first = cli("train", "--samples", str(small), "-p", "maya", env=env)
        assert first.returncode == 0, first.stderr
        stored = inkmod_home / "disk" / "data" / "profiles" / "maya.inkprofile"
        before = stored.read_bytes()
        preexec = None
        if mounted:  # fill the disk, leaving a few KB
            filler_path = inkmod_home / "disk" / "filler"
            with open(filler_path, "wb", buffering=0) as filler, contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 4096)
            os.truncate(filler_path, os.path.getsize(filler_path) - 8192)
        else:
            preexec = lambda: _limit_file_size(len(before) + 4096)  # noqa: E731
        result = cli("train", "--samples", str(samples), "-p", "maya", env=env, preexec_fn=preexec)
        assert result.returncode == 2
        line = one_error_line(result)
        assert "maya" in line and ("space" in line or "too large" in line)
        assert stored.read_bytes() == before
        assert not [p for p in stored.parent.iterdir() if p.name.endswith(".tmp")]


# -- 9: a profile of the wrong shape -------------------------------------------------------------


def _write_wrong_shape(name: str, home: Path) -> None:
    folder = home / "data" / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"magic": "inkmod-profile", "schema": 1, "name": name, "documents": 5}
    (folder / f"{name}.inkprofile").write_bytes(msgpack.packb(payload))


@pytest.mark.parametrize("documents", [5, {"a.md": 7}, {"a.md": {"stats": []}}])
def test_wrong_shape_profile_is_corrupt_not_a_crash(inkmod_home: Path, documents: object) -> None:
    from inkmod.style.profile import SCHEMA_VERSION
    from inkmod.style.storage import ProfileCorruptError

    folder = inkmod_home / "data" / "profiles"
    folder.mkdir(parents=True)
    payload = {"magic": "inkmod-profile", "schema": SCHEMA_VERSION, "name": "bad"}
    payload["documents"] = documents
    (folder / "bad.inkprofile").write_bytes(msgpack.packb(payload))
    with pytest.raises(ProfileCorruptError, match=r"corrupt.*retrain with `inkmod train"):
        load_profile("bad")


def test_wrong_shape_profile_cli_and_daemon(cli: Cli, inkmod_home: Path, tmp_path: Path) -> None:
    from inkmod.rpc import protocol as P
    from inkmod.rpc.client import ensure_daemon
    from inkmod.rpc.session import RPCError
    from inkmod.style.profile import SCHEMA_VERSION

    folder = inkmod_home / "data" / "profiles"
    folder.mkdir(parents=True)
    payload = {"magic": "inkmod-profile", "schema": SCHEMA_VERSION, "name": "bad", "documents": 5}
    (folder / "bad.inkprofile").write_bytes(msgpack.packb(payload))
    draft = tmp_path / "draft.md"
    draft.write_text(PROSE)
    result = cli("analyze", str(draft), "-p", "bad")
    assert result.returncode == 2
    assert "retrain with" in one_error_line(result)
    client = ensure_daemon("bad", backend="fake", request_timeout=20)
    try:
        with pytest.raises(RPCError) as caught:
            client.analyze(PROSE)
        assert caught.value.code != P.INTERNAL_ERROR
        assert caught.value.code == P.PROFILE_UNUSABLE
        assert "retrain with" in caught.value.message
    finally:
        client.close()


# -- 10: analyze errors fail CI; backend options are typed ---------------------------------------


def test_analyze_errors_exit_2(cli: Cli, trained: str, tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x00\x01binary" * 100)
    (tmp_path / "ok.md").write_text(PROSE)
    for target in ("missing.md", str(tmp_path), str(tmp_path / "photo.txt")):
        result = cli("analyze", target, "-p", trained, "--fail-on-drift")
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr
    # one bad file among good ones still fails, and the good one is still reported
    result = cli("analyze", str(tmp_path / "ok.md"), "missing.md", "-p", trained, "--json")
    assert result.returncode == 2
    assert '"paragraphs"' in result.stdout and "missing.md" in result.stdout


def test_backend_option_of_the_wrong_type(cli: Cli) -> None:
    result = cli("backends", "--test", "smollm2", "-o", "threads=abc")
    assert result.returncode == 2
    line = one_error_line(result)
    assert "threads" in line and "integer" in line
    result = cli("daemon", "start", "-b", "fake", "-o", "threads=abc")
    assert result.returncode == 2
    assert "threads" in one_error_line(result)


# -- 13: standard input has the same size cap as files -------------------------------------------


def test_analyze_stdin_is_capped(cli: Cli, trained: str) -> None:
    from inkmod.style.ingest import MAX_SAMPLE_BYTES

    big = PROSE * (MAX_SAMPLE_BYTES // len(PROSE) + 10)
    result = cli("analyze", "-", "-p", trained, input=big, timeout=60)
    assert result.returncode == 2
    assert "too large" in result.stderr
