"""The wire layers without a daemon: protocol module, frame decoder, session."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.rpc import protocol as P
from inkmod.rpc.session import (
    ConnectionLost,
    FrameDecoder,
    FrameError,
    InvalidMessage,
    Notification,
    Request,
    Response,
    RPCError,
    Session,
    classify,
    encode,
)


def test_protocol_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, inkmod.rpc.protocol as p; "
        "heavy = [m for m in ('msgpack', 'asyncio', 'watchdog', 'inkmod.style', 'llama_cpp', "
        "'inkmod.rpc.client', 'inkmod.backends') if m in sys.modules]; "
        "print(heavy, p.PROTOCOL_VERSION)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"[] {P.PROTOCOL_VERSION}"


def test_method_and_notification_names() -> None:
    assert set(P.METHODS) >= {
        "hello",
        "status",
        "analyze",
        "rewrite",
        "train",
        "profile.get",
        "profile.reload",
        "cancel",
        "shutdown",
        "subscribe",
        "tune",
    }
    assert set(P.NOTIFICATIONS) == {
        "rewrite.token",
        "rewrite.candidate",
        "train.progress",
        "tune.progress",
        "profile.changed",
        "log",
    }
    assert (P.REQUEST, P.RESPONSE, P.NOTIFICATION) == (0, 1, 2)
    assert len(set(P.ERROR_NAMES)) == len(P.ERROR_NAMES)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
messages = st.one_of(
    st.builds(
        lambda i, m, t: [0, i, m, {"text": t}],
        st.integers(1, 2**32 - 1),
        st.sampled_from(P.METHODS),
        texts,
    ),
    st.builds(
        lambda i, r: [1, i, None, r], st.integers(1, 2**32 - 1), st.integers(-(2**63), 2**64 - 1)
    ),
    st.builds(lambda t: [2, "log", {"message": t}], texts),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(messages, min_size=1, max_size=8), st.data())
def test_decoder_is_independent_of_read_boundaries(batch: list[list[Any]], data: Any) -> None:
    stream = b"".join(encode(m) for m in batch)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = FrameDecoder(max_message_bytes=4096)
    out: list[Any] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        out.extend(decoder.feed(stream[start:cut]))
        start = cut
    assert out == [classify(m) for m in batch]


def test_classify_shapes() -> None:
    assert classify([0, 5, "analyze", {"text": "x"}]) == Request(5, "analyze", {"text": "x"})
    assert classify([0, 5, "status", []]) == Request(5, "status", {})
    assert classify([0, 5, "status", [{"a": 1}]]) == Request(5, "status", {"a": 1})
    assert classify([1, 5, None, 3]) == Response(5, None, 3)
    assert classify([2, "log", {}]) == Notification("log", {})
    assert classify({"a": 1}) == InvalidMessage(None, "a message must be a non-empty array")
    bad_params = classify([0, 9, "analyze", "text"])
    assert isinstance(bad_params, InvalidMessage) and bad_params.msgid == 9
    bad_method = classify([0, 9, 42, {}])
    assert isinstance(bad_method, InvalidMessage) and bad_method.msgid == 9
    assert isinstance(classify([0, "nine", "x", {}]), InvalidMessage)
    assert isinstance(classify([0, True, "x", {}]), InvalidMessage)
    assert isinstance(classify([7, 1, 2]), InvalidMessage)


def test_oversized_string_fails_with_the_msgid() -> None:
    decoder = FrameDecoder(max_message_bytes=1024)
    frame = encode([0, 7, "analyze", {"text": "x" * 5000}])
    assert list(decoder.feed(frame[:40])) == []  # incomplete, still under the bound
    with pytest.raises(FrameError) as info:
        list(decoder.feed(frame[40:]))
    assert info.value.code == P.MESSAGE_TOO_LARGE
    assert info.value.msgid == 7


def test_oversized_message_of_many_small_items_is_caught() -> None:
    """msgpack's own buffer bound misses this shape; our per-message count does not."""
    decoder = FrameDecoder(max_message_bytes=1024)
    frame = encode([0, 8, "analyze", {"paragraphs": ["ab"] * 2000}])
    with pytest.raises(FrameError) as info:
        for start in range(0, len(frame), 100):
            list(decoder.feed(frame[start : start + 100]))
    assert info.value.code == P.MESSAGE_TOO_LARGE
    assert info.value.msgid == 8


def test_message_of_exactly_the_limit_passes() -> None:
    frame = encode([0, 1, "analyze", {"text": ""}])
    pad = 1000 - len(frame)
    frame = encode([0, 1, "analyze", {"text": "y" * (pad - 1)}])  # str8 header grows by 1
    decoder = FrameDecoder(max_message_bytes=len(frame))
    assert [m.msgid for m in decoder.feed(frame + frame) if isinstance(m, Request)] == [1, 1]


def test_corrupt_bytes() -> None:
    decoder = FrameDecoder()
    with pytest.raises(FrameError) as info:
        list(decoder.feed(b"\x94\x00\x05\xa7analyze\xc1"))  # 0xc1 is never valid msgpack
    assert info.value.code == P.PARSE_ERROR and info.value.msgid == 5
    with pytest.raises(FrameError):
        list(decoder.feed(b"more"))  # a failed stream stays failed
    with pytest.raises(FrameError) as info:
        list(FrameDecoder().feed(b"\xc1"))
    assert info.value.msgid is None


def test_rpc_error_from_wire() -> None:
    assert RPCError.from_wire([P.INVALID_PARAMS, "bad"]).code == P.INVALID_PARAMS
    assert RPCError.from_wire("boom").code == P.INTERNAL_ERROR
    assert RPCError.from_wire({"code": 3, "message": "m"}).message == "m"


async def _pair() -> tuple[Session, Session, list[asyncio.Task[None]]]:
    a, b = socket.socketpair()
    ra, wa = await asyncio.open_connection(sock=a)
    rb, wb = await asyncio.open_connection(sock=b)
    delays = {"slow": 0.2, "medium": 0.1, "fast": 0.0}

    def serve(session: Session, request: Request) -> None:
        async def answer() -> None:
            await asyncio.sleep(delays.get(request.method, 0))
            session.notify("log", {"message": f"done {request.method}"})
            session.respond(request.msgid, None, request.method)

        asyncio.get_running_loop().create_task(answer())

    server = Session(rb, wb, on_request=serve, name="server")
    notes: list[str] = []
    client = Session(
        ra, wa, on_notification=lambda s, n: notes.append(n.params["message"]), name="client"
    )
    client.notes = notes  # type: ignore[attr-defined]
    tasks = [asyncio.create_task(server.run()), asyncio.create_task(client.run())]
    return client, server, tasks


@pytest.mark.asyncio
async def test_session_pairs_out_of_order_responses() -> None:
    client, server, tasks = await _pair()
    order: list[str] = []

    async def ask(method: str) -> str:
        result = await client.request(method, {}, timeout=5)
        order.append(result)
        return str(result)

    results = await asyncio.gather(ask("slow"), ask("medium"), ask("fast"))
    assert results == ["slow", "medium", "fast"]
    assert order == ["fast", "medium", "slow"]
    assert client.notes == ["done fast", "done medium", "done slow"]  # type: ignore[attr-defined]
    server.close()
    await asyncio.gather(*tasks)


@pytest.mark.asyncio
async def test_pending_requests_fail_when_the_peer_goes_away() -> None:
    client, server, tasks = await _pair()
    _, future = client.start_request("slow", {})
    server.close("gone")
    with pytest.raises(ConnectionLost):
        await asyncio.wait_for(future, 5)
    await asyncio.gather(*tasks)


@pytest.mark.asyncio
async def test_invalid_message_gets_an_error_and_the_stream_survives() -> None:
    a, b = socket.socketpair()
    rb, wb = await asyncio.open_connection(sock=b)
    server = Session(rb, wb, on_request=lambda s, r: s.respond(r.msgid, None, "ok"))
    task = asyncio.create_task(server.run())
    ra, wa = await asyncio.open_connection(sock=a)
    wa.write(encode([0, 4, "x", "not a map"]) + encode([0, 5, "x", {}]))
    unpacker = msgpack.Unpacker(raw=False)
    replies: list[Any] = []
    while len(replies) < 2:
        unpacker.feed(await ra.read(4096))
        replies.extend(unpacker)
    assert replies[0][:2] == [1, 4] and replies[0][2][0] == P.INVALID_REQUEST
    assert replies[1] == [1, 5, None, "ok"]
    wa.close()
    await task


@pytest.mark.asyncio
async def test_oversized_request_fails_locally_with_the_daemons_error() -> None:
    client, server, tasks = await _pair()
    client.max_message_bytes = 1024
    with pytest.raises(RPCError) as info:
        await client.request("analyze", {"text": "x" * 2000}, timeout=5)
    assert info.value.code == P.MESSAGE_TOO_LARGE
    assert await client.request("fast", {}, timeout=5) == "fast"  # nothing was sent
    server.close()
    await asyncio.gather(*tasks)
