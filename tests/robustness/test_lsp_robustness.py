"""Cases 12 and 17 of issue 12: the language server degrades one thing, never everything."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from inkmod.rpc import protocol as P
from inkmod.rpc.session import RPCError, encode
from inkmod.style.document import Block, text_hash
from inkmod_lsp.scoring import DaemonScorer

PARAGRAPH = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday."
)


class _FramedClient:
    """Stands in for DaemonClient: refuses requests over the frame limit as a Session does."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def analyze(self, *, blocks: Sequence[Any], **_kw: Any) -> dict[str, Any]:
        params = P.AnalyzeParams(blocks=list(blocks)).to_wire()
        size = len(encode([0, 1, "analyze", params]))
        if size > P.MAX_MESSAGE_BYTES:
            raise RPCError(P.MESSAGE_TOO_LARGE, f"message of {size} bytes is over the limit")
        self.sizes.append(size)
        reports = [
            P.BlockReport(
                hash=b.hash,
                kind=b.kind,
                words=len(b.text.split()),
                score=0.5,
                drifting=False,
                reasons=[],
                index=i,
            ).to_wire()
            for i, b in enumerate(blocks)
        ]
        return P.AnalyzeResult(profile="p", revision=1, reports=reports, seconds=0.0).to_wire()


def _block(text: str) -> Block:
    return Block(start=0, end=len(text), kind="paragraph", text=text, hash=text_hash(text))


# -- 12: requests are batched under the frame limit; one too-large paragraph is its own problem --


def test_daemon_scorer_batches_under_the_frame_limit() -> None:
    client = _FramedClient()
    scorer = DaemonScorer(client)  # type: ignore[arg-type]
    texts = [_block(f"{n} {PARAGRAPH} " * 40) for n in range(3000)]  # ~21 MB in all
    huge = _block("word " * (2 * P.MAX_MESSAGE_BYTES // 5))  # over the limit on its own
    scores = scorer.score([*texts[:10], huge, *texts[10:]])
    assert len(scores) == len(texts) + 1
    assert len(client.sizes) >= 3 and max(client.sizes) <= P.MAX_MESSAGE_BYTES
    assert scores[10].score is None and "too long" in scores[10].reasons[0]
    assert all(s.score == 0.5 for i, s in enumerate(scores) if i != 10)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_huge_document_does_not_turn_the_daemon_off(inkmod_home: Path) -> None:
    from inkmod_lsp_testlib import command, open_document, session, wait_until, workspace

    root = workspace(inkmod_home)
    settings = {"profile": "maya", "samplesFolder": "samples", "backend": "lspfake"}
    async with session("neovim", inkmod_home, root, settings) as client:
        huge_uri = (root / "huge.md").as_uri()
        small_uri = (root / "small.md").as_uri()
        huge = PARAGRAPH + " " + "and then the rain came back " * (9_000_000 // 28)
        open_document(client, huge_uri, huge)
        await wait_until(lambda: huge_uri in client.diagnostics, 120, "diagnostics of huge.md")
        open_document(client, small_uri, PARAGRAPH + "\n")
        await wait_until(lambda: small_uri in client.diagnostics, 60, "diagnostics of small.md")
        status = await command(client, "inkmod.status")
        assert status["daemon"]["state"] == "ready", status["daemon"]
        assert status["scorer"] == "daemon" and status["rewrite"] == "available", status


# -- 17: a bounded stdio reader ------------------------------------------------------------------


def _frame(body: bytes, length: bytes | None = None) -> bytes:
    return b"Content-Length: " + (length or str(len(body)).encode()) + b"\r\n\r\n" + body


def _request(msgid: int) -> bytes:
    message = {"jsonrpc": "2.0", "id": msgid, "method": "inkmod/noSuchMethod", "params": {}}
    return json.dumps(message).encode()


class _Reader:
    """Reads the server's framed output with a deadline (a desynchronised server never
    answers; the test must fail, not hang)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buffer = b""

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise AssertionError("no response in time (the stream is desynchronised)")
        chunk = os.read(self.fd, 65536)
        if not chunk:
            raise AssertionError("the server exited")
        self.buffer += chunk

    def response(self, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\r\n\r\n" not in self.buffer:
                self._fill(deadline)
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            fields = dict(line.split(b":", 1) for line in head.split(b"\r\n") if b":" in line)
            length = int({k.lower(): v for k, v in fields.items()}[b"content-length"])
            while len(rest) < length:
                self._fill(deadline)
                head, _, rest = self.buffer.partition(b"\r\n\r\n")
            message: dict[str, Any] = json.loads(rest[:length])
            self.buffer = rest[length:]
            if "id" in message:
                return message


@pytest.mark.slow
def test_stdio_survives_bad_content_length(inkmod_home: Path) -> None:
    """Shorter than the body, not a number, absurdly large: each costs that one message."""
    env = dict(os.environ, INKMOD_HOME=str(inkmod_home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "inkmod_lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None
    reader = _Reader(proc)
    try:
        bad_bodies = [
            _frame(_request(100), b"10"),  # shorter than the body
            _frame(_request(101), b"ten"),  # not a number
            _frame(_request(102), b"1099511627776"),  # 1 TiB: MemoryError before
        ]
        for number, bad in enumerate(bad_bodies, start=1):
            proc.stdin.write(bad + _frame(_request(number)))
            proc.stdin.flush()
            response = reader.response()
            assert response["id"] == number, response
            assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
