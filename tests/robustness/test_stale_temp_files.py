"""Case 14 of issue 12: temp files of interrupted saves are cleaned on the next save."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import Cli


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_interrupted_saves_are_cleaned_up(cli: Cli, inkmod_home: Path, samples: Path) -> None:
    profiles = inkmod_home / "data" / "profiles"
    profiles.mkdir(parents=True)
    dead = [profiles / f".maya.inkprofile.{_dead_pid()}.x{n}k2.tmp" for n in range(3)]
    old_style = profiles / ".maya.inkprofile.a8f3k2.tmp"  # an older InkMod's name
    live = profiles / f".maya.inkprofile.{os.getpid()}.busy.tmp"  # a writer still at work
    for path in [*dead, old_style, live]:
        path.write_bytes(b"\0" * 4096)
    hour_ago = time.time() - 7200
    os.utime(old_style, (hour_ago, hour_ago))
    result = cli("train", "--samples", str(samples), "-p", "maya")
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in profiles.iterdir())
    assert left == sorted(["maya.inkprofile", live.name])
