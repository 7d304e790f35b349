"""Cases 15 and 16 of issue 12: one client's abuse costs that client, never the others."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import msgpack
import psutil
import pytest

from inkmod.rpc.client import DaemonClient, ensure_daemon

PARAGRAPH = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday."
)
_WORD_LIST = (
    "the garden morning coffee tomatoes split rain honestly picked yesterday porch watched "
    "knew something probably market saturday soup snow garlic planting goodbye"
)
WORDS = _WORD_LIST.split()


@pytest.fixture
def client(samples: Path) -> Iterator[DaemonClient]:
    client = ensure_daemon("maya", samples=samples, backend="fake", request_timeout=60)
    client.analyze(PARAGRAPH, timeout=60)  # the profile is trained and loaded
    try:
        yield client
    finally:
        client.close()


def _raw(client: DaemonClient) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(client.paths.socket))
    return sock


def _long_document(megabytes: float) -> str:
    rng = random.Random(12)
    paragraphs = []
    size = 0
    while size < megabytes * 1_000_000:
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        paragraphs.append(words.capitalize() + ".")
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)


# -- 16: work whose requester went away is cancelled ---------------------------------------------


def test_analyze_of_a_disconnected_client_is_cancelled(client: DaemonClient) -> None:
    document = _long_document(3.5)  # several seconds of analysis on this machine
    sock = _raw(client)
    sock.sendall(msgpack.packb([0, 1, "analyze", {"text": document}], use_bin_type=True))
    time.sleep(0.5)  # the daemon has read it and started
    sock.close()
    time.sleep(0.2)
    started = time.monotonic()
    client.analyze(PARAGRAPH + " A new sentence to score.", timeout=60)
    waited = time.monotonic() - started
    assert waited < 2.0, f"the next client waited {waited:.1f}s behind abandoned work"


# -- 15: total buffered bytes are bounded --------------------------------------------------------


def test_total_buffered_input_is_bounded(client: DaemonClient) -> None:
    from inkmod.daemon.server import MAX_BUFFERED_TOTAL

    daemon = psutil.Process(client.pid)
    before = daemon.memory_info().rss
    partial = msgpack.packb([0, 1, "analyze", {"text": "x" * (4 << 20)}], use_bin_type=True)
    partial = partial[: 4 << 20]  # 4 MiB of a frame that never completes
    count = MAX_BUFFERED_TOTAL // len(partial) + 8
    socks = []
    try:
        for _ in range(count):
            sock = _raw(client)
            sock.setblocking(False)
            socks.append(sock)
        for sock in socks:
            view = memoryview(partial)
            deadline = time.monotonic() + 10
            while view and time.monotonic() < deadline:
                try:
                    view = view[sock.send(view) :]
                except BlockingIOError:
                    time.sleep(0.005)
                except OSError:  # dropped by the daemon: what we want
                    break
        time.sleep(0.5)
        grown = daemon.memory_info().rss - before
        assert grown < MAX_BUFFERED_TOTAL + (64 << 20), f"daemon grew by {grown >> 20} MiB"
        dropped = 0
        for sock in socks:
            try:
                sock.setblocking(True)
                sock.settimeout(0.05)
                if sock.recv(1) == b"":
                    dropped += 1
            except TimeoutError:  # still open
                pass
            except OSError:  # reset
                dropped += 1
        assert dropped >= 8, f"only {dropped} of {count} offenders were dropped"
        # and everyone else is still served
        assert client.analyze(PARAGRAPH, timeout=30)["reports"]
    finally:
        for sock in socks:
            sock.close()
