"""The CLI as a new user meets it (issue 13): `backends --info` for any model, one-line errors
at 80 columns, `profile list` whole in a pipe. Real subprocesses, an isolated INKMOD_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INKMOD = str(Path(sys.executable).with_name("inkmod"))


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INKMOD_HOME": str(home), "COLUMNS": "80", "INKMOD_MODELS_DIR": ""}
    env.pop("XDG_RUNTIME_DIR", None)
    return subprocess.run(
        [INKMOD, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_info_describes_a_model_whose_weights_are_absent(tmp_path: Path) -> None:
    result = run(tmp_path, "backends", "--info", "llama-7b")
    assert result.returncode == 0, result.stderr
    rows: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("  ")
        rows[key.strip()] = value.strip()
    assert rows["family"] == "llama_cpp"
    assert rows["description"].startswith("Llama 2 7B")
    assert rows["expected files"] == "llama-2-7b.Q4_K_M.gguf"
    assert rows["present"] == "no"
    assert rows["looks in"] == str(tmp_path / "data" / "models")
    assert "inkmod models pull llama-7b" in rows["how to get"]
    assert "-o model_path=FILE" in rows["how to get"]
    # one line per row even at 80 columns: the path is copyable
    assert all(len(line) > 80 for line in result.stdout.splitlines() if "how to get" in line)


def test_info_json_and_cli_syntax_for_downloads(tmp_path: Path) -> None:
    result = run(tmp_path, "backends", "--info", "hf-distilgpt2", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["present"] is False and info["hub"] == "distilgpt2"
    assert "-o allow_download=true" in info["how_to_get"]
    assert "allow_download=True" not in result.stdout


@pytest.mark.slow
def test_info_of_a_present_model_separates_options_from_file_metadata(tmp_path: Path) -> None:
    result = run(tmp_path, "backends", "--info", "smollm2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not any(line.startswith("option ") for line in lines), result.stdout
    assert any(line.startswith("-o context_length ") for line in lines)
    assert any(line.startswith("gguf architecture ") for line in lines)
    (path_line,) = [line for line in lines if line.startswith("path ")]
    assert path_line.rstrip().endswith(".gguf")


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "backends", "--bogus")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: No such option: --bogus (see `inkmod backends --help`)"
    ]
    result = run(tmp_path, "analyze", str(tmp_path / "draft.md"), "--profile", "nobody")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: no profile 'nobody'")


def test_profile_list_is_not_cut_in_a_pipe(tmp_path: Path) -> None:
    samples = REPO / "examples" / "samples" / "maya"
    assert run(tmp_path, "train", "--samples", str(samples), "--profile", "maya").returncode == 0
    result = run(tmp_path, "profile", "list")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split("\t") == ["name", "documents", "words", "samples folder", "file"]
    cells = row.split("\t")
    assert cells[0] == "maya" and cells[3] == str(samples)
    assert cells[4] == str(tmp_path / "data" / "profiles" / "maya.inkprofile")


def test_openai_teacher_without_a_key_fails_first_in_one_line(tmp_path: Path) -> None:
    env_free = {"OPENAI_API_KEY": "", "INKMOD_TEACHER_BASE_URL": ""}
    result = subprocess.run(
        [
            INKMOD,
            "train-enhanced",
            "--style-folder",
            str(REPO / "examples" / "samples" / "maya"),
            "--test-prompts",
            str(REPO / "examples" / "prompts.txt"),
            "--teacher",
            "openai",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        env={
            **{k: v for k, v in os.environ.items() if k not in env_free},
            "INKMOD_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --teacher openai needs an API key: export OPENAI_API_KEY=")
    assert "--teacher none" in line
    assert not (tmp_path / "report").exists()
