"""End to end: two iterations with SmolLM2 as the student and a real llama-cpp-python
OpenAI-compatible server (also serving SmolLM2, JSON-schema constrained) as the teacher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from inkmod_training_testlib import MAYA, PROMPTS, SECRET, all_text_under
from typer.testing import CliRunner

from inkmod.cli.train import register
from inkmod.style.storage import load_profile
from inkmod.training.checkpoint import Checkpoint, checkpoint_path

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test harness."""


register(app)


@pytest.mark.slow
def test_two_iterations_against_a_real_local_teacher(llama_teacher: str, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    report_dir = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "train-enhanced",
            "--style-folder", str(MAYA),
            "--test-prompts", str(prompts),
            "--backend", "smollm2",
            "--iterations", "2",
            "--teacher-base-url", llama_teacher,
            "--teacher-batch", "2",
            "--teacher-max-tokens", "512",
            "--teacher-timeout", "300",
            "--teacher-price", "1,2",
            "--max-tokens", "48",
            "--max-k", "1",
            "--profile", "e2e",
            "--report-dir", str(report_dir),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((report_dir / "report.json").read_text())
    assert report["status"] == "completed"
    iterations = report["iterations"]
    assert [it["iteration"] for it in iterations] == [1, 2]

    # Feedback was parsed: llama-cpp-python refuses OpenAI's json_schema format, so the teacher
    # stepped down to its grammar-constrained json_object + schema, which a 135M model can obey.
    for it in iterations:
        assert it["feedback"]["critic"] == "teacher"
        assert it["feedback"]["skipped"] == 0, it["feedback"]["errors"]
        assert it["feedback"]["json_mode"] == "json_object_schema"
        assert it["teacher"]["scored"] == 2
        assert 0.0 <= it["teacher"]["style_similarity"] <= 1.0
        assert it["fidelity"]["joint"] is not None

    # What was learned is in the saved profile, identical to the checkpoint's snapshot.
    learned = load_profile("e2e").learned
    assert learned == Checkpoint.load(checkpoint_path("e2e")).learned
    assert isinstance(learned["rules"], dict)
    assert set(learned["generation"]) >= {"temperature", "k", "top_p", "top_k", "seed"}
    assert learned["training"]["iterations"] == 2
    assert [h["iteration"] for h in learned["training"]["history"]] == [1, 2]

    # Costs are the sums of the server's real usage fields at $1 / $2 per million tokens.
    totals = report["totals"]
    usage = totals["teacher_usage"]
    assert not totals["usage_estimated"]
    for key in ("calls", "prompt_tokens", "completion_tokens"):
        # Every billed answer counts, a retried one too (one call per iteration, plus retries).
        assert usage[key] == sum(it["cost"]["teacher_usage"][key] for it in iterations)
    assert usage["calls"] >= 2
    assert usage["prompt_tokens"] > 300 and usage["completion_tokens"] > 10
    expected = (usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 2) / 1e6
    assert totals["teacher_usd"] == pytest.approx(expected, abs=1e-6)
    assert totals["teacher_only_usd"] > 0 and totals["local_usd"] == 0

    assert (report_dir / "scores.png").stat().st_size > 1000
    assert "scores by iteration" in (report_dir / "report.md").read_text()
    assert SECRET not in result.output and SECRET not in all_text_under(tmp_path)
