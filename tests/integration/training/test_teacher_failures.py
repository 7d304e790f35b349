"""The loop against a real HTTP teacher that misbehaves: invalid JSON, timeouts, refusals,
going away mid-run (then --resume), the budget, cancellation, and the key never leaking.

The teacher is :class:`FakeServer` (http.server in a thread) spoken to by the real ``openai``
client; the student is the deterministic :class:`FakeStudent`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from inkmod_training_testlib import (
    MAYA,
    SECRET,
    FakeStudent,
    all_text_under,
    fake_server,
    make_config,
)

from inkmod.style.storage import load_profile
from inkmod.training import ProgressEvent, TrainingError, parse_price, run_training
from inkmod.training.checkpoint import Checkpoint, checkpoint_path


def test_a_healthy_teacher_run_persists_rules_and_reports(
    tmp_path: Path, student: FakeStudent
) -> None:
    events: list[ProgressEvent] = []
    with fake_server() as server:
        result = run_training(
            make_config(tmp_path, server, teacher_price=parse_price("1,2")),
            on_progress=events.append,
            backend=student,
        )
    assert result.status == "completed", result.message
    # 2 prompts, batches of 1, 2 iterations: 4 calls, each billed 1000 + 200 tokens at $1/$2 per M.
    assert server.teacher_calls == 4
    totals = result.report["totals"]
    assert totals["teacher_usage"] == {"prompt_tokens": 4000, "completion_tokens": 800, "calls": 4}
    assert totals["teacher_usd"] == pytest.approx(4 * (1000 * 1 + 200 * 2) / 1e6)
    assert not totals["usage_estimated"]
    assert totals["teacher_only_usd"] > 0
    learned = load_profile("maya").learned
    assert learned["rules"]["prefer"] == ["a little bit"]
    assert learned["rules"]["never_say"] == ["utilize"]  # flagged in both iterations
    assert learned["exemplars"][0]["source"] == "teacher"
    assert learned["training"]["iterations"] == 2
    for kind in ("json", "markdown", "plot", "log"):
        assert Path(result.files[kind]).is_file()
    report = json.loads(Path(result.files["json"]).read_text())
    assert [it["teacher"]["style_similarity"] for it in report["iterations"]] == [0.3, 0.3]
    # The privacy notice came before the first call.
    kinds = [e.kind for e in events]
    assert kinds.index("notice") < kinds.index("phase", kinds.index("notice"))
    notice = next(e.message for e in events if e.kind == "notice")
    assert server.url in notice and "excerpt" in notice
    # The key went in the Authorization header, and nowhere else.
    assert all(h["authorization"] == f"Bearer {SECRET}" for h in server.headers)
    sent = json.dumps(server.requests)
    assert SECRET not in sent
    # What the notice promises: excerpts and drafts, but no file names or paths.
    assert "first-tomato" not in sent and str(MAYA) not in sent


def test_invalid_json_is_retried_then_the_batch_skipped(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server(mode="invalid") as server:
        result = run_training(make_config(tmp_path, server, iterations=1), backend=student)
    assert result.status == "completed"
    feedback = result.report["iterations"][0]["feedback"]
    assert feedback["skipped"] == 2 and feedback["batches"] == 2
    assert "not JSON" in feedback["errors"][0]
    assert server.teacher_calls == 4  # one retry per batch
    assert result.report["totals"]["teacher_usage"]["calls"] == 4  # failed answers are billed
    # The loop carried on with its own scores only: no rules from a teacher that said nothing.
    assert "rules" not in load_profile("maya").learned


def test_an_out_of_range_answer_is_retried_and_the_retry_used(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server(script=["out_of_range"]) as server:
        result = run_training(make_config(tmp_path, server, iterations=1), backend=student)
    feedback = result.report["iterations"][0]["feedback"]
    assert feedback["skipped"] == 0
    assert server.teacher_calls == 3
    retry = server.requests[1]["messages"]
    assert "outside [0, 1]" in retry[-1]["content"]


def test_a_server_without_json_schema_support_gets_the_next_format(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server(mode="reject_json_schema") as server:
        result = run_training(make_config(tmp_path, server, iterations=1), backend=student)
    assert result.status == "completed"
    formats = [r.get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert "schema" in server.requests[1]["response_format"]


def test_a_slow_teacher_times_out_and_the_run_stops_resumably(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server(mode="slow", slow_seconds=3) as server:
        result = run_training(
            make_config(tmp_path, server, teacher_timeout=0.3, iterations=1), backend=student
        )
    assert result.status == "stopped" and result.resumable
    assert "did not answer within 0.3s" in result.message and "--resume" in result.message
    saved = Checkpoint.load(checkpoint_path("maya"))
    assert saved.status == "stopped"
    assert len(saved.current["outputs"]) == 2  # the drafts are kept for the resumed run


@pytest.mark.parametrize(
    ("mode", "retries", "calls", "words"),
    [
        ("401", 2, 1, "rejected the API key (401)"),  # never retried
        ("429", 1, 2, "rate limiting (429)"),  # retried once (Retry-After: 0)
        ("500", 1, 2, "failed (500)"),
    ],
)
def test_refusals_stop_the_run_with_a_clear_message(
    tmp_path: Path, student: FakeStudent, mode: str, retries: int, calls: int, words: str
) -> None:
    with fake_server(mode=mode) as server:
        result = run_training(
            make_config(tmp_path, server, teacher_max_retries=retries), backend=student
        )
    assert result.status == "stopped"
    assert words in result.message
    assert server.teacher_calls == calls
    # The 401 body quoted the key back; it must not survive anywhere.
    assert SECRET not in result.message
    assert SECRET not in json.dumps(result.to_dict())
    assert SECRET not in all_text_under(tmp_path)
    assert SECRET not in all_text_under(checkpoint_path("maya").parent.parent.parent)


def test_a_teacher_that_goes_away_mid_run_is_resumed_without_paying_twice(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server(go_away_after=3) as first:
        stopped = run_training(make_config(tmp_path, first), backend=student)
    assert stopped.status == "stopped"
    assert "cannot reach the teacher" in stopped.message
    assert first.teacher_calls == 3  # iteration 1 (2 batches) + iteration 2's first batch
    generated = student.calls
    saved = Checkpoint.load(checkpoint_path("maya"))
    assert saved.done == 1 and list(saved.current["batches"]) == ["0"]
    rules_before = load_profile("maya").learned["rules"]

    with fake_server() as second:
        with pytest.raises(TrainingError, match="--resume"):
            run_training(make_config(tmp_path, second), backend=student)
        resumed = run_training(make_config(tmp_path, second, resume=True), backend=student)
    assert resumed.status == "completed", resumed.message
    assert second.teacher_calls == 1  # only the batch that was never answered
    assert student.calls == generated  # no draft regenerated
    assert [it["iteration"] for it in resumed.report["iterations"]] == [1, 2]
    assert resumed.report["totals"]["teacher_usage"]["calls"] == 4
    learned = load_profile("maya").learned
    assert learned["training"]["iterations"] == 2
    assert set(rules_before["prefer"]) <= set(learned["rules"]["prefer"])


def test_the_budget_stops_the_loop_before_it_is_exceeded(
    tmp_path: Path, student: FakeStudent
) -> None:
    # $1 per thousand tokens. Each call bills 1,200 tokens ($1.20); before a call the loop
    # assumes the worst (about 1,000 prompt tokens estimated + 300 answer tokens = ~$1.30).
    # With $3.50, two calls are made ($2.40); a third would bill $3.60: it is not made.
    with fake_server() as server:
        result = run_training(
            make_config(tmp_path, server, budget_usd=3.5, teacher_price=parse_price("1000,1000")),
            backend=student,
        )
    assert result.status == "budget" and result.resumable
    assert "stopped before" in result.message
    spent = result.report["totals"]["teacher_usd"]
    assert server.teacher_calls == 2
    assert spent == pytest.approx(2 * 1.2)
    assert spent <= 3.5 < spent + 1.2
    # A budget needs a price: a remote model missing from the price table is refused up front
    # (naming the model makes connecting a no-op, so nothing is sent to the TEST-NET address).
    cfg = make_config(tmp_path, budget_usd=1.0, fresh=True, teacher_model="some-remote-model")
    cfg.teacher.base_url = "http://203.0.113.1:9/v1"
    with pytest.raises(TrainingError, match="--budget needs the price"):
        run_training(cfg, backend=student)


def test_cancel_stops_at_a_safe_point_and_resume_finishes(
    tmp_path: Path, student: FakeStudent
) -> None:
    cancel = threading.Event()

    def on_progress(event: ProgressEvent) -> None:
        if event.kind == "step" and event.phase == "generate" and event.iteration == 1:
            cancel.set()

    with fake_server() as server:
        result = run_training(
            make_config(tmp_path, server), on_progress=on_progress, cancel=cancel, backend=student
        )
        assert result.status == "cancelled"
        assert server.teacher_calls == 0
        done = run_training(make_config(tmp_path, server, resume=True), backend=student)
    assert done.status == "completed"
    assert server.teacher_calls == 4


def test_without_a_teacher_the_drift_score_is_the_critic(
    tmp_path: Path, student: FakeStudent
) -> None:
    result = run_training(make_config(tmp_path, teacher=False), backend=student)
    assert result.status == "completed"
    assert result.report["critic"].startswith("drift")
    assert result.report["totals"]["teacher_usage"]["calls"] == 0
    it = result.report["iterations"][0]
    assert it["teacher"]["style_similarity"] is None
    assert it["ours"]["style_similarity"] is not None
    assert it["fidelity"]["joint"] is not None
    learned = load_profile("maya").learned
    assert learned["rules"]["avoid"] or learned["rules"]["never_say"]
    assert Path(result.files["plot"]).stat().st_size > 1000


def test_an_unreachable_teacher_at_the_start_leaves_nothing_to_resume(
    tmp_path: Path, student: FakeStudent
) -> None:
    with fake_server() as server:
        url = server.url
    cfg = make_config(tmp_path, teacher_max_retries=0)
    cfg.teacher.base_url = url  # nothing listens there any more
    result = run_training(cfg, backend=student)
    assert result.status == "stopped"
    assert "cannot reach the teacher" in result.message and "--resume" not in result.message
    assert not checkpoint_path("maya").exists()
    assert student.calls == 0
    assert (
        run_training(make_config(tmp_path, teacher=False, iterations=1), backend=student).status
        == "completed"
    )
