"""Starting, finding, replacing and stopping real daemon processes."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from inkmod_daemon_testlib import (
    FAKE_PLUGIN,
    OLD_PROTOCOL_PLUGIN,
    PROFILE,
    daemon_processes,
    wait_for,
)

from inkmod.rpc import protocol as P
from inkmod.rpc.client import (
    DaemonClient,
    DaemonNotRunning,
    DaemonStartError,
    ensure_daemon,
    stop_daemon,
)
from inkmod.rpc.instance import (
    DaemonPaths,
    daemon_alive,
    daemon_command,
    read_instance_info,
    spawn_detached,
)

pytestmark = pytest.mark.slow


def test_handshake_and_status(client: DaemonClient, samples: Path, paths: DaemonPaths) -> None:
    info = client.server_info
    assert info["server"] == P.SERVER_NAME
    assert info["protocol"] == P.PROTOCOL_VERSION
    assert info["compatible"] is True
    assert info["profile"] == PROFILE
    assert client.started_daemon
    hello = client.hello()
    assert hello["pid"] == info["pid"] != os.getpid()
    client.profile_get()  # waits until the profile is ready
    status = client.status()
    assert status["pid"] == info["pid"]
    assert status["socket"] == str(paths.socket)
    assert status["profile"] == PROFILE
    assert status["samples_dir"] == str(samples.resolve())
    assert status["samples_status"] == "ok"
    backend = status["backend"]
    assert (backend["name"], backend["loaded"], backend["error"]) == ("fake", False, None)
    assert status["uptime"] > 0
    assert status["clients"] == 1
    assert status["last_refresh"] is not None
    assert status["documents"] == 6
    assert status["memory_rss"] > 10_000_000
    assert read_instance_info(paths)["pid"] == info["pid"]  # type: ignore[index]


def test_files_are_private(client: DaemonClient, paths: DaemonPaths) -> None:
    assert stat.S_IMODE(os.stat(paths.runtime).st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(paths.socket).st_mode)
    assert stat.S_IMODE(os.stat(paths.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths.pidfile).st_mode) == 0o600


def test_second_client_reuses_the_daemon(connect: Callable[..., DaemonClient]) -> None:
    first, second = connect(), connect()
    assert first.pid == second.pid
    assert not second.started_daemon
    assert second.status()["clients"] == 2


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


RACE_SCRIPT = """
import sys
from inkmod.rpc.client import ensure_daemon
client = ensure_daemon(sys.argv[1], samples=sys.argv[2], backend="fake", idle_timeout=60)
print(client.pid, client.started_daemon, flush=True)
client.close()
"""


def test_ten_racing_clients_start_exactly_one_daemon(samples: Path, inkmod_home: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, PROFILE, str(samples)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    pids = {out.split()[0] for out, _ in results}
    starters = [out for out, _ in results if out.split()[1] == "True"]
    assert len(pids) == 1
    assert len(starters) == 1
    assert len(daemon_processes(inkmod_home)) == 1


def test_other_protocol_version_is_restarted(
    samples: Path, paths: DaemonPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INKMOD_DAEMON_PLUGINS", f"{FAKE_PLUGIN},{OLD_PROTOCOL_PLUGIN}")
    spawn_detached(daemon_command(PROFILE, samples=samples, backend="fake"), paths)
    monkeypatch.setenv("INKMOD_DAEMON_PLUGINS", FAKE_PLUGIN)
    wait_for(lambda: (read_instance_info(paths) or {}).get("protocol") == P.PROTOCOL_VERSION - 1)
    old_pid = read_instance_info(paths)["pid"]  # type: ignore[index]

    client = ensure_daemon(PROFILE, samples=samples, backend="fake")
    try:
        assert client.server_info["protocol"] == P.PROTOCOL_VERSION
        assert client.pid != old_pid
        assert client.started_daemon
        wait_for(lambda: not _exists(old_pid))
    finally:
        client.close()


def test_stale_socket_is_replaced(samples: Path, paths: DaemonPaths) -> None:
    paths.prepare()
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(paths.socket))  # a socket file nobody listens on: a crashed daemon's
    stale.close()
    client = ensure_daemon(PROFILE, samples=samples, backend="fake")
    try:
        assert client.status()["pid"] == client.pid
    finally:
        client.close()


def test_sigterm_shuts_down_cleanly(client: DaemonClient, paths: DaemonPaths) -> None:
    pid = client.pid
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not daemon_alive(paths))
    assert not paths.socket.exists()
    assert read_instance_info(paths) is None
    log = paths.log.read_text()
    assert "shutting down: SIGTERM" in log and "daemon stopped" in log


def test_idle_daemon_exits(connect: Callable[..., DaemonClient], paths: DaemonPaths) -> None:
    client = connect(idle_timeout=1)
    assert daemon_alive(paths)
    time.sleep(1.5)
    assert daemon_alive(paths), "a connected client keeps the daemon alive"
    client.close()
    wait_for(lambda: not daemon_alive(paths), timeout=5)
    assert "no client for 1s" in paths.log.read_text()


def test_start_failure_is_reported(inkmod_home: Path) -> None:
    with pytest.raises(DaemonStartError) as info:
        ensure_daemon(PROFILE, samples=inkmod_home / "nowhere", backend="fake", connect_timeout=15)
    assert "samples folder not found" in str(info.value)


def test_no_spawn_means_no_daemon(inkmod_home: Path) -> None:
    with pytest.raises(DaemonNotRunning):
        ensure_daemon(PROFILE, spawn=False)
    assert stop_daemon(PROFILE) is None


def test_stop_daemon(client: DaemonClient, paths: DaemonPaths) -> None:
    assert stop_daemon(PROFILE) is True
    assert not daemon_alive(paths)
