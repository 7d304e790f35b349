"""The daemon decides, the server applies: regression tests for two bugs of protocol 1.

1. The server re-chose among the daemon's candidates without the faithfulness check, so a
   candidate that kept none of the paragraph's content (but sounded like the writer) was applied
   although the daemon had kept the original.
2. "Rewrite in my style" on a flagged Markdown list rewrote only its first item: the daemon
   re-parsed the list's source slice without its context (``['paragraph', 'list']``) and dropped
   the part that no longer looked like a paragraph.

Real server, real daemon, the one fake model (``tests/support/fake_backend.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fake_backend import UNRELATED
from inkmod_lsp_testlib import (
    FOREIGN,
    MIXED,
    apply_edits,
    cleanup,
    edits_of,
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

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]

SETTINGS = {"profile": "maya", "samplesFolder": "samples", "backend": "lspfake", "candidates": 2}
TEXT = MIXED.read_text(encoding="utf-8")
FOREIGN_LINE = paragraphs(TEXT)[FOREIGN[0] - 1][0]

ITEMS = (
    "The committee shall convene on a quarterly basis in order to evaluate the allocation of "
    "plots, the maintenance of communal equipment and the resolution of disputes among members.",
    "Members are expected to observe the published watering schedule; furthermore, any "
    "modification thereof shall require the prior written consent of the committee.",
)
LIST_DOC = f"# Rules\n\n- {ITEMS[0]}\n- {ITEMS[1]}\n\nThat's it, really.\n"


@pytest_asyncio.fixture(loop_scope="function")
async def server(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LanguageClient, Path]]:
    home = short_home()
    root = workspace(home)
    env = {"INKMOD_FAKE_TOKEN_DELAY": "0", **getattr(request, "param", {})}
    try:
        async with session("visual-studio-code", home, root, SETTINGS, env=env) as client:
            await wait_until(lambda: startup_finished(client), 120, "the server's start-up")
            yield client, root
    finally:
        cleanup(home)


async def _open(client: LanguageClient, root: Path, name: str, text: str) -> str:
    path = root / name
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    open_document(client, uri, text)
    await wait_until(lambda: uri in client.diagnostics, 60, f"diagnostics of {uri}")
    return uri


async def _resolve_at(client: LanguageClient, uri: str, line: int) -> Any:
    cursor = lsp.Range(lsp.Position(line, 4), lsp.Position(line, 4))
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=cursor,
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    (action,) = [a for a in actions or [] if a.title == "Rewrite paragraph in my style"]
    return await client.code_action_resolve_async(action)


@pytest.mark.parametrize("server", [{"INKMOD_FAKE_MODE": "unrelated"}], indirect=True)
async def test_an_unfaithful_candidate_the_daemon_rejected_is_not_applied(
    server: tuple[LanguageClient, Path],
) -> None:
    """Bug 1: the model answers with a writer-like passage about something else (closer to the
    writer, 0 % of the content kept). The daemon keeps the original; so must the editor."""
    client, root = server
    uri = await _open(client, root, "unrelated.md", TEXT)
    with pytest.raises(JsonRpcException) as caught:
        resolved = await _resolve_at(client, uri, FOREIGN_LINE)
        edits, _ = edits_of(resolved.edit, uri)  # reached only when the bug is back
        assert UNRELATED not in apply_edits(TEXT, edits)
    assert "nothing was changed" in caught.value.message
    assert "faithful" in caught.value.message  # the daemon's reason, not a generic one


async def test_rewriting_a_list_rewrites_every_item_and_keeps_it_a_list(
    server: tuple[LanguageClient, Path],
) -> None:
    """Bug 2: the flagged two-item list is rewritten item by item, both items, markers kept."""
    client, root = server
    uri = await _open(client, root, "list.md", LIST_DOC)
    flagged = [d for d in client.diagnostics[uri] if d.range.start.line == 2]
    assert flagged, "the formal list should drift"
    resolved = await _resolve_at(client, uri, 3)  # the cursor in the second item
    assert resolved.edit is not None
    edits, version = edits_of(resolved.edit, uri)
    assert version == 1
    lines = apply_edits(LIST_DOC, edits).splitlines()
    assert lines[0] == "# Rules" and lines[1] == ""
    assert lines[2].startswith("- ") and lines[3].startswith("- "), lines
    assert lines[2] != f"- {ITEMS[0]}" and lines[3] != f"- {ITEMS[1]}", "both items rewritten"
    assert "committee" in lines[2] and "watering schedule" in lines[3]
    assert lines[4:] == ["", "That's it, really."]
