"""The diagnostics debounce on its own (as jedi-language-server tests it): a burst of changes to
one document gives one analysis, after the delay; other documents keep their own timers; opening
is not delayed. No server process: a stand-in server and a recording ``analyze``."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from inkmod_lsp.documents import DocState
from inkmod_lsp.features import diagnostics

pytestmark = pytest.mark.asyncio


class StandInServer:
    """What :func:`diagnostics.schedule` uses of the server: ``spawn`` and the pull flag."""

    pulls_diagnostics = True  # so nothing is published: only the analyses are counted

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return asyncio.ensure_future(coro)


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    calls: list[tuple[str, float]] = []

    async def analyze(ls: Any, uri: str) -> None:
        calls.append((uri, asyncio.get_running_loop().time()))

    monkeypatch.setattr(diagnostics, "analyze", analyze)
    return calls


async def test_a_burst_of_changes_gives_one_analysis_after_the_delay(
    analysed: list[tuple[str, float]],
) -> None:
    ls: Any = StandInServer()
    state = DocState("file:///a.md", "markdown")
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(5):
        diagnostics.schedule(ls, state, 0.05)
        await asyncio.sleep(0.01)
    last_change = loop.time()
    assert state.debounce is not None
    await state.debounce
    assert [uri for uri, _ in analysed] == ["file:///a.md"]
    assert analysed[0][1] - last_change >= 0.035  # counted from the last change, not the first
    assert analysed[0][1] - started >= 0.05


async def test_documents_keep_their_own_timers(analysed: list[tuple[str, float]]) -> None:
    ls: Any = StandInServer()
    a, b = DocState("file:///a.md", "markdown"), DocState("file:///b.md", "markdown")
    diagnostics.schedule(ls, a, 0.03)
    diagnostics.schedule(ls, b, 0.03)
    diagnostics.schedule(ls, a, 0.03)  # re-arms a only
    assert a.debounce is not None and b.debounce is not None
    await asyncio.gather(a.debounce, b.debounce)
    assert sorted(uri for uri, _ in analysed) == ["file:///a.md", "file:///b.md"]


async def test_opening_is_not_delayed(analysed: list[tuple[str, float]]) -> None:
    ls: Any = StandInServer()
    state = DocState("file:///a.md", "markdown")
    diagnostics.schedule(ls, state, 0.0)
    assert state.debounce is not None
    await asyncio.wait_for(state.debounce, 0.02)
    assert len(analysed) == 1
