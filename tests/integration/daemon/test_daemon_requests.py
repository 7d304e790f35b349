"""Requests against a real daemon: analysis, rewrites, cancellation, failures, bad frames."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
from inkmod_daemon_testlib import FORMAL, PARAGRAPH, Recorder, wait_for

from inkmod.rpc import protocol as P
from inkmod.rpc.client import DaemonClient, DaemonInterrupted, ensure_daemon
from inkmod.rpc.instance import DaemonPaths
from inkmod.rpc.session import RPCError, encode
from inkmod.style.storage import load_profile

pytestmark = pytest.mark.slow

LONG = " ".join([PARAGRAPH] * 8)


def test_analyze_text(client: DaemonClient) -> None:
    text = f"# Notes\n\n{PARAGRAPH}\n\n{FORMAL}\n"
    result = client.analyze(text, fmt="markdown")
    assert result["profile"] == "maya" and result["revision"] >= 1
    reports = result["reports"]
    assert [r["start"]["line"] for r in reports] == [2, 4]
    own, formal = reports
    assert own["score"] < formal["score"]
    assert formal["drifting"] and formal["reasons"]


def test_analyze_blocks(client: DaemonClient) -> None:
    blocks = [P.Block("h-own", PARAGRAPH), P.Block("h-formal", FORMAL, "quote")]
    result = P.AnalyzeResult.from_wire(client.analyze(blocks=blocks))
    assert [(r.index, r.hash, r.kind) for r in result.reports] == [
        (0, "h-own", "paragraph"),
        (1, "h-formal", "quote"),
    ]
    own, formal = result.reports
    assert own.surprise is not None and formal.surprise is not None
    assert own.surprise < formal.surprise and formal.drifting


def test_rewrite_of_a_block_returns_the_daemons_verdict(client: DaemonClient) -> None:
    """With a kind the text is one block: a list is rewritten item by item, markers kept."""
    items = f"{FORMAL}\n- {FORMAL.replace('quarterly', 'annual')}"
    result = P.RewriteResult.from_wire(client.rewrite(items, kind="list", k=2))
    assert len(result.blocks) == 2
    _, second = result.blocks
    assert items[second.source_start - 2 : second.source_start] == "- "
    for verdict in result.blocks:
        assert verdict.changed and verdict.text != verdict.original
        assert verdict.surprise is not None and verdict.original_surprise is not None
        assert verdict.surprise < verdict.original_surprise and verdict.reason is None
    assert result.text.count("\n- ") == 1


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("analyze", {}, P.INVALID_PARAMS),
        ("analyze", {"text": 3}, P.INVALID_PARAMS),
        ("analyze", {"text": "x", "blocks": [{"hash": "h", "text": "y"}]}, P.INVALID_PARAMS),
        ("analyze", {"blocks": [{"hash": 1, "text": "y"}]}, P.INVALID_PARAMS),
        ("analyze", {"blocks": [{"hash": "h", "text": "y", "kind": "code"}]}, P.INVALID_PARAMS),
        ("rewrite", {"text": "x", "kind": "heading"}, P.INVALID_PARAMS),
        ("profile.get", {"figures": "yes"}, P.INVALID_PARAMS),
        ("rewrite", {"text": "x", "k": 0}, P.INVALID_PARAMS),
        ("cancel", {"id": "x"}, P.INVALID_PARAMS),
        ("subscribe", {"topics": ["nope"]}, P.INVALID_PARAMS),
        ("no.such.method", {}, P.METHOD_NOT_FOUND),
    ],
)
def test_bad_requests_get_errors(
    client: DaemonClient, method: str, params: dict[str, Any], code: int
) -> None:
    with pytest.raises(RPCError) as info:
        client.call(method, params)
    assert info.value.code == code
    assert client.status()["pid"] == client.pid


def test_rewrite_streams_tokens_and_candidates_before_the_result(client: DaemonClient) -> None:
    events: list[tuple[str, Any]] = []
    result = client.rewrite(
        PARAGRAPH,
        k=2,
        on_token=lambda para, cand, piece: events.append(("token", (para, cand))),
        on_candidate=lambda c: events.append(("candidate", c)),
    )
    kinds = [kind for kind, _ in events]
    assert kinds.count("candidate") == 2
    assert kinds.index("candidate") > kinds.index("token")
    assert {value for kind, value in events if kind == "token"} == {(0, 0), (0, 1)}
    candidates = [value for kind, value in events if kind == "candidate"]
    assert [c["index"] for c in candidates] == [0, 1]
    assert all("drift" in c and "preservation" in c for c in candidates)
    assert result["text"] and len(result["blocks"]) == 1
    assert len(result["blocks"][0]["candidates"]) == 2
    assert client.status()["backend"]["loaded"] is True


def test_cancel_a_rewrite(client: DaemonClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INKMOD_FAKE_TOKEN_DELAY", "0.05")  # read by the daemon at backend load
    client.shutdown()
    slow = ensure_daemon("maya", backend="fake", request_timeout=30)
    try:
        first_token = threading.Event()
        pending = slow.start_rewrite(LONG, on_token=lambda *a: first_token.set())
        assert first_token.wait(10)
        started = time.monotonic()
        assert pending.cancel() is True
        with pytest.raises(RPCError) as info:
            pending.result(5)
        assert info.value.code == P.REQUEST_CANCELLED
        assert time.monotonic() - started < 1.0
        wait_for(lambda: slow.status()["requests"] == 0, timeout=3)
        assert slow.analyze(PARAGRAPH)["reports"]  # still serving
    finally:
        slow.close()


def test_disconnect_cancels_the_clients_work(
    connect: Callable[..., DaemonClient], paths: DaemonPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INKMOD_FAKE_TOKEN_DELAY", "0.05")
    observer = connect()
    leaver = connect()
    first_token = threading.Event()
    leaver.start_rewrite(LONG, on_token=lambda *a: first_token.set())
    assert first_token.wait(10)
    assert observer.status()["requests"] == 1
    leaver.close()
    wait_for(lambda: observer.status()["requests"] == 0, timeout=3)
    assert "cancelled 1 running request" in paths.log.read_text()


def test_backend_error_and_handler_bug_are_rpc_errors(client: DaemonClient) -> None:
    with pytest.raises(RPCError) as info:
        client.rewrite(PARAGRAPH + " FAKE_BACKEND_ERROR")
    assert info.value.code == P.BACKEND_ERROR
    assert "failed on purpose" in info.value.message
    with pytest.raises(RPCError) as info:
        client.rewrite(PARAGRAPH + " FAKE_BUG")
    assert info.value.code == P.INTERNAL_ERROR
    assert "ZeroDivisionError" in info.value.message
    assert client.rewrite(PARAGRAPH)["text"]  # the daemon is fine


def test_backend_that_cannot_load(client: DaemonClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INKMOD_FAKE_LOAD_ERROR", "1")
    client.shutdown()
    broken = ensure_daemon("maya", backend="fake")
    try:
        with pytest.raises(RPCError) as info:
            broken.rewrite(PARAGRAPH)
        assert info.value.code == P.BACKEND_ERROR
        status = broken.status()
        assert status["backend"]["loaded"] is False
        assert "refuses to load" in status["backend"]["error"]
    finally:
        broken.close()


def test_analyze_stays_fast_while_the_model_generates(
    client: DaemonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.analyze(PARAGRAPH)  # profile ready, caches warm
    idle = [_timed(lambda i=i: client.analyze(PARAGRAPH + str(i))) for i in range(10)]
    busy_token = threading.Event()
    pending = client.start_rewrite(LONG * 3, k=3, on_token=lambda *a: busy_token.set())
    assert busy_token.wait(10)
    busy = [_timed(lambda i=i: client.analyze(FORMAL + str(i))) for i in range(10)]
    assert not pending.done(), "the rewrite should still be running"
    pending.cancel()
    assert statistics.median(busy) < 0.25, (idle, busy)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def test_twenty_concurrent_clients(connect: Callable[..., DaemonClient]) -> None:
    connect().analyze(PARAGRAPH)  # start the daemon once
    errors: list[BaseException] = []
    results: dict[int, list[Any]] = {}

    def work(n: int) -> None:
        try:
            with ensure_daemon("maya", backend="fake", request_timeout=60) as mine:
                out: list[Any] = []
                for i in range(3):
                    if n % 2 == 0 or i > 0:
                        out.append(mine.analyze(f"{PARAGRAPH} {n} {i}")["reports"][0]["score"])
                    else:
                        tokens: list[str] = []
                        done = mine.rewrite(
                            f"{PARAGRAPH} {n}",
                            on_token=lambda p, c, t, tokens=tokens: tokens.append(t),
                        )
                        out.append((bool(done["text"]), len(tokens) > 0))
                results[n] = out
        except BaseException as exc:  # reported below with the others
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not errors, errors
    assert len(results) == 20
    for n, out in results.items():
        if n % 2:
            assert out[0] == (True, True)
        assert all(isinstance(score, float) for score in out[n % 2 :])


def test_kill_9_mid_rewrite_then_recovery(
    client: DaemonClient, monkeypatch: pytest.MonkeyPatch, paths: DaemonPaths
) -> None:
    monkeypatch.setenv("INKMOD_FAKE_TOKEN_DELAY", "0.05")
    client.shutdown()
    interrupted: list[str] = []
    victim = ensure_daemon("maya", backend="fake", on_interrupted=interrupted.append)
    try:
        old_pid = victim.pid
        first_token = threading.Event()
        pending = victim.start_rewrite(LONG, on_token=lambda *a: first_token.set())
        assert first_token.wait(10)
        os.kill(old_pid, signal.SIGKILL)  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(DaemonInterrupted) as info:
            pending.result(30)
        assert info.value.restarted, str(info.value)
        assert time.monotonic() - started < 15, str(info.value)
        assert "stopped while handling rewrite" in str(info.value)
        assert victim.pid != old_pid
        assert victim.analyze(PARAGRAPH)["reports"]
        wait_for(lambda: bool(interrupted), timeout=3)
    finally:
        victim.close()


def _raw(paths: DaemonPaths) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(str(paths.socket))
    return sock


def _read_all(sock: socket.socket) -> list[Any]:
    """Every message until the daemon closes the connection."""
    unpacker = msgpack.Unpacker(raw=False)
    out: list[Any] = []
    while True:
        data = sock.recv(65536)
        if not data:
            return out
        unpacker.feed(data)
        out.extend(unpacker)


def _read_one(sock: socket.socket) -> Any:
    unpacker = msgpack.Unpacker(raw=False)
    while True:
        data = sock.recv(65536)
        assert data, "connection closed"
        unpacker.feed(data)
        for message in unpacker:
            return message


def test_malformed_frames(client: DaemonClient, paths: DaemonPaths) -> None:
    # Well-formed msgpack, wrong shape: an error reply and the connection stays usable.
    sock = _raw(paths)
    sock.sendall(encode([0, 11, "analyze", "not a map"]))
    reply = _read_one(sock)
    assert reply[:2] == [1, 11] and reply[2][0] == P.INVALID_REQUEST
    sock.sendall(encode(["what"]))
    note = _read_one(sock)
    assert note[0] == P.NOTIFICATION and note[1] == P.LOG
    sock.sendall(encode([0, 12, "hello", {}]))
    assert _read_one(sock)[:3] == [1, 12, None]
    # Not msgpack at all: the request is answered by msgid, then the connection closes.
    sock.sendall(b"\x94\x00\x0d\xa6status\xc1")
    messages = _read_all(sock)
    assert messages[0][:2] == [1, 13] and messages[0][2][0] == P.PARSE_ERROR
    sock.close()
    # Garbage without a msgid: a log notification, then closed.
    sock = _raw(paths)
    sock.sendall(b"\xc1\xc1\xc1")
    messages = _read_all(sock)
    assert messages and messages[0][1] == P.LOG
    sock.close()
    assert client.status()["pid"] == client.pid


def test_oversized_frame(client: DaemonClient, paths: DaemonPaths) -> None:
    sock = _raw(paths)
    frame = encode([0, 21, "analyze", {"text": "x" * (P.MAX_MESSAGE_BYTES + 10)}])
    with pytest.raises(OSError):  # the daemon closes while we are still sending
        sock.sendall(frame)
        sock.sendall(frame)
    sock.close()
    sock = _raw(paths)
    sock.sendall(frame[: P.MAX_MESSAGE_BYTES + 1])
    messages = _read_all(sock)
    assert messages[0][:2] == [1, 21] and messages[0][2][0] == P.MESSAGE_TOO_LARGE
    sock.close()
    assert client.analyze(PARAGRAPH)["reports"]


def test_train_profile_get_and_reload(
    client: DaemonClient, samples: Path, recorder: Recorder
) -> None:
    client.subscribe([P.TOPIC_PROFILE])
    client.on(P.PROFILE_CHANGED, recorder)
    progress: list[tuple[int, int, str]] = []
    result = client.train(samples, on_progress=lambda d, t, f: progress.append((d, t, f)))
    assert [d for d, _, _ in progress] == list(range(1, 7))
    assert result["summary"]["documents"] == 6
    recorder.wait_for(lambda p: p.get("event") == "trained")
    info = client.profile_get()
    assert len(info["documents"]) == 6 and info["samples_dir"] == str(samples.resolve())
    reloaded = client.profile_reload()
    assert reloaded["revision"] > info["revision"]
    recorder.wait_for(lambda p: p.get("event") == "reloaded")


def test_profile_missing_without_samples(inkmod_home: Path) -> None:
    with ensure_daemon("nobody", backend="fake") as lonely:
        with pytest.raises(RPCError) as info:
            lonely.analyze(PARAGRAPH)
        assert info.value.code == P.PROFILE_NOT_FOUND
        assert lonely.status()["profile_state"] == "error"
        lonely.shutdown()


@pytest.mark.slow
def test_train_with_teacher_loop_iterations(client: DaemonClient, samples: Path) -> None:
    """The editor's train command can run train-enhanced iterations on the daemon's model
    (no teacher configured: the drift score is the critic); learned settings reach the profile."""
    events: list[dict[str, Any]] = []
    result = client.train(
        samples,
        iterations=1,
        prompts=["Write about the first frost.", "Write about bread."],
        on_loop_progress=events.append,
        timeout=600,
    )
    assert result["training"]["status"] == "completed"
    phases = {e.get("phase") for e in events}
    assert {"generate", "update"} <= phases
    profile = load_profile(client.profile_get()["profile"])
    assert profile.learned.get("generation"), profile.learned
