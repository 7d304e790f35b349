"""Case 11 of issue 12: a key given with ``-o api_key=…`` never reaches argv, status or logs."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
from conftest import Cli

from inkmod.rpc.instance import DaemonPaths, read_instance_info
from inkmod.rpc.security import redact_options

SECRET = "sk-robustness-0123456789abcdef"


def test_redact_options_by_name() -> None:
    options = {"api_key": "a", "token": "b", "client_secret": "c", "PASSWORD": "d", "threads": 2}
    redacted = redact_options(options)
    assert redacted["threads"] == 2
    assert {k for k, v in redacted.items() if v == "***"} == {
        "api_key",
        "token",
        "client_secret",
        "PASSWORD",
    }


def test_api_key_option_never_leaks(cli: Cli, inkmod_home: Path, samples: Path) -> None:
    started = cli(
        "daemon",
        "start",
        "-p",
        "maya",
        "-s",
        str(samples),
        "-b",
        "fake",
        "-o",
        f"api_key={SECRET}",
        "-o",
        "auth_token=tok-" + SECRET,
        "--idle-timeout",
        "60",
    )
    assert started.returncode == 0, started.stderr
    assert SECRET not in started.stdout + started.stderr
    info = read_instance_info(DaemonPaths.for_profile("maya"))
    assert info is not None
    daemon = psutil.Process(info["pid"])
    assert SECRET not in " ".join(daemon.cmdline())  # /proc/<pid>/cmdline: readable by all
    status = cli("daemon", "status", "-p", "maya", "--json")
    assert status.returncode == 0, status.stderr
    assert SECRET not in status.stdout
    options = json.loads(status.stdout)["backend"]["options"]
    assert options["api_key"] == "***" and options["auth_token"] == "***"
    human = cli("daemon", "status", "-p", "maya")
    assert SECRET not in human.stdout
    stopped = cli("daemon", "stop", "-p", "maya")
    assert stopped.returncode == 0
    logs = inkmod_home / "state" / "logs"
    for path in logs.iterdir():
        assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in (inkmod_home / "run" / "maya.pid").read_text()
