"""The daemon with the real default model (SmolLM2 through llama.cpp): nothing faked."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from inkmod_daemon_testlib import FORMAL, PARAGRAPH, PROFILE

from inkmod.rpc import protocol as P
from inkmod.rpc.client import DaemonClient, ensure_daemon
from inkmod.rpc.session import RPCError

pytestmark = pytest.mark.slow

SHORT = "The committee has decided to postpone the meeting until further notice."


@pytest.fixture
def real(samples: Path) -> Iterator[DaemonClient]:
    from inkmod.backends.registry import DEFAULT_MODEL

    client = ensure_daemon(PROFILE, samples=samples, backend=DEFAULT_MODEL, request_timeout=600)
    try:
        yield client
    finally:
        client.close()


def test_real_model_rewrite_streams_and_stays_responsive(real: DaemonClient) -> None:
    assert real.server_info["backend"] == "smollm2"
    real.analyze(PARAGRAPH)  # profile ready
    tokens: list[str] = []
    first = threading.Event()
    pending = real.start_rewrite(
        SHORT, k=1, on_token=lambda p, c, piece: (tokens.append(piece), first.set())
    )
    assert first.wait(300), "no token streamed"
    latencies = []
    while not pending.done() and len(latencies) < 20:
        started = time.perf_counter()
        real.analyze(FORMAL + str(len(latencies)))
        latencies.append(time.perf_counter() - started)
    result = pending.result(600)
    (block,) = result["blocks"]
    assert result["text"].strip() and block["candidates"][0]["tokens"] > 0
    assert "".join(tokens).strip()
    assert latencies and statistics.median(latencies) < 1.0, latencies
    status = real.status()
    assert status["backend"]["loaded"] is True and status["backend"]["error"] is None
    assert status["memory_rss"] > 50_000_000


def test_real_model_generation_can_be_cancelled(real: DaemonClient) -> None:
    first = threading.Event()
    pending = real.start_rewrite(FORMAL, k=2, on_token=lambda *a: first.set())
    assert first.wait(300)
    started = time.monotonic()
    assert pending.cancel()
    with pytest.raises(RPCError) as info:
        pending.result(30)
    assert info.value.code == P.REQUEST_CANCELLED
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 30
    while real.status()["requests"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert real.status()["requests"] == 0, "llama.cpp should stop within a token or two"
