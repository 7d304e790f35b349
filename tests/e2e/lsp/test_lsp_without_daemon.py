"""When the daemon cannot start, the server still scores (in its own process), trains a missing
profile itself with progress, and says -- once, and in every rewrite action -- why rewriting is
unavailable.

The daemon is made impossible for real: ``INKMOD_HOME`` is so long that the daemon's unix socket
path would not fit in ``sun_path``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from inkmod_lsp_testlib import (
    FOREIGN,
    MIXED,
    cleanup,
    command,
    open_document,
    paragraphs,
    session,
    short_home,
    startup_finished,
    wait_until,
    workspace,
)
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

TEXT = MIXED.read_text(encoding="utf-8")
FOREIGN_LINES = [paragraphs(TEXT)[n - 1][0] for n in FOREIGN]


@pytest_asyncio.fixture(
    scope="module", loop_scope="module", params=["visual-studio-code", "neovim"]
)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LanguageClient, str]]:
    base = short_home()
    home = base / ("h" * 110)
    home.mkdir()
    root = workspace(home)
    settings = {"profile": "maya", "samplesFolder": str(root / "samples")}
    try:
        async with session(request.param, home, root, settings) as lsp_client:
            await wait_until(lambda: startup_finished(lsp_client), 120, "start-up")
            yield lsp_client, request.param
    finally:
        cleanup(home)
        shutil.rmtree(base, ignore_errors=True)


async def test_diagnostics_work_in_process_and_the_user_is_told(
    client: tuple[LanguageClient, str],
) -> None:
    lsp_client, _ = client
    uri = "file:///tmp/inkmod-no-daemon/mixed.md"
    open_document(lsp_client, uri, TEXT)
    await wait_until(lambda: lsp_client.diagnostics.get(uri), 60, "diagnostics")
    assert sorted(d.range.start.line for d in lsp_client.diagnostics[uri]) == FOREIGN_LINES
    daemon_messages = [m for m in lsp_client.messages if "daemon could not start" in m.message]
    assert len(daemon_messages) == 1, [m.message for m in lsp_client.messages]
    assert "socket path" in daemon_messages[0].message
    assert daemon_messages[0].type == lsp.MessageType.Warning
    status = await command(lsp_client, "inkmod.status", {"quiet": True})
    assert status["scorer"] == "local" and status["daemon"]["state"] == "unavailable"
    assert status["loadedModules"] == []
    # the missing profile was trained here, with per-file progress
    messages = [
        getattr(r, "message", None) or ""
        for reports in lsp_client.progress_reports.values()
        for r in reports
    ]
    assert any(m.startswith("6/6 ") for m in messages), messages


async def test_rewrite_actions_say_why_they_are_unavailable(
    client: tuple[LanguageClient, str],
) -> None:
    lsp_client, name = client
    uri = "file:///tmp/inkmod-no-daemon/second.md"
    open_document(lsp_client, uri, TEXT)
    await wait_until(lambda: lsp_client.diagnostics.get(uri), 60, "diagnostics")
    line = FOREIGN_LINES[0]
    actions: list[Any] = list(
        await lsp_client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(lsp.Position(line, 3), lsp.Position(line, 3)),
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
        or []
    )
    (action,) = [a for a in actions if a.title.startswith("Rewrite paragraph in my style")]
    if name == "visual-studio-code":  # supports `disabled`
        assert action.disabled is not None and "unavailable" in action.disabled.reason
    else:  # Neovim 0.7 does not: the reason is in the title
        assert "(unavailable: the InkMod daemon is unavailable" in action.title
    with pytest.raises(JsonRpcException) as caught:
        await lsp_client.code_action_resolve_async(action)
    assert "cannot rewrite" in caught.value.message
