"""`inkmod train-enhanced` end to end through the CLI, against the fake HTTP server as both the
student (``openai:fake-student``, streamed) and the teacher: progress and table, --dry-run,
the --resume/--fresh decision, and the API key absent from every output and file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import typer
from inkmod_training_testlib import MAYA, PROMPTS, SECRET, all_text_under, fake_server
from typer.testing import CliRunner

from inkmod.cli.train import register
from inkmod.training.checkpoint import checkpoint_path

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test harness: the command as `inkmod` registers it."""


register(app)
runner = CliRunner()


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def prompts_file(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.txt"
    path.write_text("# test prompts\n" + "\n".join(PROMPTS) + "\n\n")
    return path


def args(server_url: str, prompts: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "train-enhanced",
        "--style-folder", str(MAYA),
        "--test-prompts", str(prompts),
        "--backend", "openai:fake-student",
        "--iterations", "1",
        "--teacher-base-url", server_url,
        "--teacher-batch", "2",
        "--teacher-retries", "0",
        "--teacher-timeout", "5",
        "--teacher-max-tokens", "300",
        "--max-tokens", "40",
        "--max-k", "1",
        "--profile", "cli",
        "--report-dir", str(tmp_path / "report"),
        *extra,
    ]  # fmt: skip


def test_cli_run_prints_stats_table_and_costs_and_never_the_key(
    tmp_path: Path,
    prompts_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # whatever the HTTP stack logs, at any level
    with fake_server() as server:
        monkeypatch.setenv("INKMOD_OPENAI_BASE_URL", server.url)
        result = runner.invoke(
            app, args(server.url, prompts_file, tmp_path, "--teacher-price", "0.15,0.60")
        )
    assert result.exit_code == 0, result.output
    assert "Phase 1" in flat(result.output) and "vocabulary size" in flat(result.output)
    assert "note:" in flat(result.output) and server.url in flat(result.output)
    assert "Training 'cli': completed" in flat(result.output)
    assert "teacher: 1 calls, 1000 + 200 tokens = $0.0003" in flat(result.output)
    assert server.student_requests >= 4  # baseline + drafts were really streamed over HTTP
    assert server.teacher_calls == 1
    for text in (result.output, caplog.text, all_text_under(tmp_path)):
        assert SECRET not in text
    assert SECRET not in all_text_under(checkpoint_path("cli").parents[2])
    assert (tmp_path / "report" / "training.log").read_text().count("teacher") > 0


def test_dry_run_shows_the_requests_and_sends_nothing(
    tmp_path: Path, prompts_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_server() as server:
        monkeypatch.setenv("INKMOD_OPENAI_BASE_URL", server.url)
        result = runner.invoke(app, args(server.url, prompts_file, tmp_path, "--dry-run"))
        assert server.teacher_calls == 0 and server.student_requests == 0
    assert result.exit_code == 0, result.output
    assert "request 1 of 1" in flat(result.output)
    assert f"{server.url}/chat/completions" in flat(result.output)
    assert "Bearer ***" in flat(result.output) and SECRET not in flat(result.output)
    assert "the local model's draft for prompt 2" in flat(result.output)
    assert "nothing was sent" in flat(result.output)
    assert not checkpoint_path("cli").exists()
    assert not (tmp_path / "report").exists()


def test_dry_run_needs_no_key_for_openai(
    tmp_path: Path, prompts_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    argv = args("x", prompts_file, tmp_path, "--dry-run")
    argv.remove("--teacher-base-url")
    argv.remove("x")
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "https://api.openai.com/v1/chat/completions" in flat(result.output)
    assert "gpt-4o-mini" in flat(result.output)
    assert "ANOTHER MACHINE" in flat(result.output)


def test_an_existing_checkpoint_needs_resume_or_fresh(
    tmp_path: Path, prompts_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_server(mode="500") as server:
        monkeypatch.setenv("INKMOD_OPENAI_BASE_URL", server.url)
        failed = runner.invoke(app, args(server.url, prompts_file, tmp_path))
        assert failed.exit_code == 2
        assert "failed (500)" in flat(failed.output) and "--resume" in flat(failed.output)
        again = runner.invoke(app, args(server.url, prompts_file, tmp_path))
        assert again.exit_code == 2
        assert "use --resume to continue it or --fresh" in flat(again.output)
        server.mode = "ok"
        resumed = runner.invoke(app, args(server.url, prompts_file, tmp_path, "--resume"))
        assert resumed.exit_code == 0, resumed.output
        fresh = runner.invoke(app, args(server.url, prompts_file, tmp_path, "--fresh"))
        assert fresh.exit_code == 0, fresh.output
        both = runner.invoke(app, args(server.url, prompts_file, tmp_path, "--fresh", "--resume"))
        assert both.exit_code == 2 and "contradict" in flat(both.output)


def test_bad_options_are_one_red_line(tmp_path: Path, prompts_file: Path) -> None:
    for extra, words in (
        (["--teacher", "claude"], "--teacher must be"),
        (["--teacher-price", "cheap"], "invalid price"),
    ):
        result = runner.invoke(app, args("http://127.0.0.1:9/v1", prompts_file, tmp_path, *extra))
        assert result.exit_code == 2
        assert words in flat(result.output)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    result = runner.invoke(app, args("http://127.0.0.1:9/v1", empty, tmp_path))
    assert result.exit_code == 2 and "no test prompts" in flat(result.output)
