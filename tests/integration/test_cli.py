"""The `inkmod` CLI as a user runs it: a real subprocess, real files, exit codes and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from testpaths import EXAMPLES


def inkmod(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inkmod.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def test_train_analyze_json_and_fail_on_drift(tmp_path: Path) -> None:
    trained = inkmod("train", "--samples", str(EXAMPLES / "samples" / "maya"), "--profile", "maya")
    assert trained.returncode == 0, trained.stderr
    assert "vocabulary size" in trained.stdout and "stored in" in trained.stdout

    result = inkmod("analyze", str(EXAMPLES / "mixed.md"), "--profile", "maya", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"] == "maya"
    paragraph = data["files"][0]["paragraphs"][0]
    assert set(paragraph) >= {"start", "end", "words", "score", "drifting", "reasons"}
    assert set(paragraph["start"]) == {"line", "character"}
    assert any(p["drifting"] for p in data["files"][0]["paragraphs"])

    failing = inkmod("analyze", str(EXAMPLES / "mixed.md"), "-p", "maya", "--fail-on-drift")
    assert failing.returncode == 1
    lenient = inkmod(
        "analyze", str(EXAMPLES / "mixed.md"), "-p", "maya", "--fail-on-drift", "-t", "1"
    )
    assert lenient.returncode == 0

    shown = inkmod("profile", "show", "maya")
    assert "sentence length" in shown.stdout
    listed = inkmod("profile", "list")
    assert "maya" in listed.stdout
    deleted = inkmod("profile", "delete", "maya", "--yes")
    assert deleted.returncode == 0 and "maya" not in inkmod("profile", "list").stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    for args in (
        ("train", "--samples", str(tmp_path / "missing")),
        ("train", "--samples", str(tmp_path)),
        ("analyze", str(EXAMPLES / "mixed.md"), "--profile", "nobody"),
        ("train", "--samples", str(tmp_path), "--profile", "../evil"),
    ):
        result = inkmod(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().startswith("error:"), result.stderr


def test_analyze_reports_unreadable_input_and_reads_stdin(tmp_path: Path) -> None:
    assert inkmod("train", "--samples", str(EXAMPLES / "samples" / "tess")).returncode == 0
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01" * 50)
    result = inkmod("analyze", str(binary), "--json")
    assert result.returncode == 2  # an unusable file is an error (issue 12, case 10)
    assert "binary" in json.loads(result.stdout)["files"][0]["error"]
    piped = inkmod("analyze", "-", "--json", stdin="Ship it. Write the test first. " * 10)
    assert json.loads(piped.stdout)["files"][0]["paragraphs"][0]["words"] == 60
