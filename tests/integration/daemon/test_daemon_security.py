"""Who may reach the daemon: directory and socket modes, and the kernel-reported peer uid."""

from __future__ import annotations

import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest
from inkmod_daemon_testlib import PROFILE

from inkmod.rpc.client import DaemonClient, DaemonError, ensure_daemon
from inkmod.rpc.instance import DaemonPaths
from inkmod.rpc.security import (
    InsecureRuntimeDir,
    check_socket_path,
    ensure_private_dir,
    peer_credentials,
)
from inkmod.rpc.session import encode

NOBODY = 65534


def test_private_dir_is_created_and_tightened(tmp_path: Path) -> None:
    target = tmp_path / "a" / "run"
    ensure_private_dir(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700
    os.chmod(target, 0o755)
    ensure_private_dir(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700


def test_symlinked_runtime_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "run").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InsecureRuntimeDir):
        ensure_private_dir(tmp_path / "run")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a directory for another uid")
def test_runtime_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "run"
    target.mkdir(mode=0o700)
    os.chown(target, NOBODY, NOBODY)
    with pytest.raises(InsecureRuntimeDir, match="belongs to uid"):
        ensure_private_dir(target)
    # /tmp/runtime-<uid> pre-created by someone else: they could swap our folder inside it.
    with pytest.raises(InsecureRuntimeDir, match="could replace"):
        ensure_private_dir(target / "inkmod")


def test_socket_path_length_is_checked() -> None:
    with pytest.raises(ValueError, match="socket path"):
        check_socket_path(Path("/tmp/" + "x" * 120 + ".sock"))


def test_peer_credentials_of_a_socketpair() -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        creds = peer_credentials(a)
    assert creds is not None and creds.uid == os.geteuid()
    assert creds.pid in (os.getpid(), None)


def _connect_as(uid: int, path: Path) -> str:
    """Fork a child that drops to ``uid``, connects and says hello; return what happened."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest, no threads of ours; report through the pipe and _exit
        outcome = "?"
        try:
            os.setgid(uid)
            os.setuid(uid)
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(5)
            try:
                sock.connect(str(path))
            except PermissionError:
                outcome = "permission denied"
            else:
                try:
                    sock.sendall(encode([0, 1, "hello", {}]))
                    outcome = "answered" if sock.recv(65536) else "closed"
                except (ConnectionResetError, BrokenPipeError):
                    outcome = "closed"  # hung up on us before or after our hello
        except OSError as exc:
            outcome = f"error {exc.errno}"
        finally:
            os.write(write_fd, outcome.encode())
            os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd) as pipe:
        return pipe.read()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")
def test_other_user_is_refused(client: DaemonClient, paths: DaemonPaths) -> None:
    # Layer 1 and 2: the 0700 directory and 0600 socket keep nobody out entirely.
    assert _connect_as(NOBODY, paths.socket) == "permission denied"
    # Layer 3: even with the files opened up, the daemon checks SO_PEERCRED and hangs up.
    home = paths.runtime.parent  # mkdtemp made INKMOD_HOME 0700 as well
    for folder in (home, paths.runtime):
        os.chmod(folder, 0o711)
    os.chmod(paths.socket, 0o666)
    try:
        assert _connect_as(NOBODY, paths.socket) == "closed"
    finally:
        for folder in (home, paths.runtime):
            os.chmod(folder, 0o700)
        os.chmod(paths.socket, 0o600)
    assert f"refused a connection from uid {NOBODY}" in paths.log.read_text()
    assert _connect_as(os.geteuid(), paths.socket) == "answered"
    assert client.status()["clients"] == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")
def test_client_refuses_a_socket_served_by_another_user(paths: DaemonPaths) -> None:
    """The kernel reports the listener's uid to the client too: never send text to it."""
    paths.prepare()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: bind as root, then listen as nobody (listen() records the creds)
        try:
            server = socket.socket(socket.AF_UNIX)
            server.bind(str(paths.socket))
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            server.listen()
            os.write(write_fd, b"1")
            time.sleep(30)
        finally:
            os._exit(0)
    try:
        assert os.read(read_fd, 1) == b"1"
        with pytest.raises(DaemonError, match=f"served by uid {NOBODY}"):
            ensure_daemon(PROFILE, spawn=False)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
        os.close(write_fd)


def test_process_exiting() -> None:
    """How a client tells a dying daemon (still holding its lock) from a live one."""
    from inkmod.rpc.instance import process_exiting

    assert not process_exiting(os.getpid())
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    deadline = time.monotonic() + 5
    while not process_exiting(pid):  # a zombie until reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.waitpid(pid, 0)
    assert process_exiting(pid)  # gone
