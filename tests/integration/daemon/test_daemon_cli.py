"""``inkmod daemon start|status|logs|stop`` against real daemon processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from inkmod_daemon_testlib import PROFILE, wait_for
from typer.testing import CliRunner

from inkmod.cli.daemon import register
from inkmod.rpc.instance import DaemonPaths, daemon_alive, read_instance_info

pytestmark = pytest.mark.slow


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The daemon commands alone, as the main CLI mounts them."""

    register(app)
    return app


def test_start_status_logs_stop(cli: typer.Typer, samples: Path, paths: DaemonPaths) -> None:
    runner = CliRunner()
    args = ["daemon", "start", "-p", PROFILE, "--samples", str(samples), "--backend", "fake"]
    started = runner.invoke(cli, args)
    assert started.exit_code == 0, started.output
    assert "started" in started.output
    again = runner.invoke(cli, [*args[:-1], "other-backend"])
    assert again.exit_code == 0 and "already running" in again.output
    pid = read_instance_info(paths)["pid"]  # type: ignore[index]

    shown = runner.invoke(cli, ["daemon", "status", "-p", PROFILE])
    assert shown.exit_code == 0, shown.output
    for label in ("pid", "socket", "samples folder", "backend", "uptime", "clients", "memory"):
        assert label in shown.output
    assert str(pid) in shown.output and "fake (not loaded yet)" in shown.output

    as_json = runner.invoke(cli, ["daemon", "status", "-p", PROFILE, "--json"])
    data = json.loads(as_json.output)
    assert data["running"] is True and data["pid"] == pid

    logs = runner.invoke(cli, ["daemon", "logs", "-p", PROFILE, "-n", "5"])
    assert logs.exit_code == 0 and len(logs.output.strip().splitlines()) == 5

    stopped = runner.invoke(cli, ["daemon", "stop", "-p", PROFILE])
    assert stopped.exit_code == 0 and "stopped" in stopped.output
    assert not daemon_alive(paths)
    missing = runner.invoke(cli, ["daemon", "status", "-p", PROFILE])
    assert missing.exit_code == 1 and "no daemon running" in missing.output


def test_bad_input_is_one_line(cli: typer.Typer, inkmod_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["daemon", "start", "-p", "bad/name"])
    assert result.exit_code == 2 and "invalid profile name" in result.output
    result = runner.invoke(cli, ["daemon", "start", "--samples", str(inkmod_home / "none")])
    assert result.exit_code == 2 and "samples folder not found" in result.output


def test_foreground_runs_in_the_terminal(samples: Path, paths: DaemonPaths) -> None:
    code = "import sys; from inkmod.cli import app; sys.argv[0] = 'inkmod'; app()"
    args = ["daemon", "start", "--foreground", "-p", PROFILE, "--samples", str(samples)]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--backend", "fake"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (read_instance_info(paths) or {}).get("pid") == proc.pid, timeout=20)
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "serving profile 'maya'" in stderr and "daemon stopped" in stderr
