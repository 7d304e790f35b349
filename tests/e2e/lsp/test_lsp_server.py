"""End to end: the real server (``python -m inkmod_lsp``) and the real daemon it starts, driven
by pytest-lsp with the VS Code 1.65 and Neovim 0.7 capability snapshots.

The model is the deterministic ``lspfake`` plugin (see ``tests/support/fake_backend.py``) so these
tests are about the protocol; ``test_lsp_rewrite_real.py`` rewrites with the real model.
One server per client snapshot serves the whole module; each test opens its own document.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fake_backend import in_the_voice
from inkmod_lsp_testlib import (
    FOREIGN,
    MIXED,
    SERVER_CAPABILITIES,
    apply_edits,
    change_line,
    cleanup,
    command,
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

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SETTINGS = {"profile": "maya", "samplesFolder": "samples", "backend": "lspfake", "candidates": 2}
TEXT = MIXED.read_text(encoding="utf-8")
PARAGRAPHS = paragraphs(TEXT)
FOREIGN_LINES = [PARAGRAPHS[n - 1][0] for n in FOREIGN]


class Env:
    """One server session shared by the module, with the paths a test needs."""

    def __init__(self, client: LanguageClient, root: Path, name: str) -> None:
        self.client = client
        self.root = root
        self.name = name
        self._count = 0

    def new_document(self, text: str = TEXT, language: str = "markdown") -> str:
        """Open a fresh copy of ``text`` under a new name; returns its URI."""
        self._count += 1
        path = self.root / f"doc{self._count}.md"
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        open_document(self.client, uri, text, language)
        return uri

    async def diagnostics(self, uri: str, timeout: float = 60) -> list[lsp.Diagnostic]:
        await wait_until(lambda: uri in self.client.diagnostics, timeout, f"diagnostics of {uri}")
        return list(self.client.diagnostics[uri])


@pytest_asyncio.fixture(
    scope="module", loop_scope="module", params=["visual-studio-code", "neovim"]
)
async def env(request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    home = short_home()
    root = workspace(home)
    try:
        env = {"INKMOD_FAKE_TOKEN_DELAY": "0.03"}
        async with session(request.param, home, root, SETTINGS, env=env) as client:
            await wait_until(lambda: startup_finished(client), 120, "the server's start-up")
            yield Env(client, root, request.param)
    finally:
        cleanup(home)


def _cursor(line: int, character: int = 5) -> lsp.Range:
    return lsp.Range(lsp.Position(line, character), lsp.Position(line, character))


async def _actions(
    env: Env, uri: str, rng: lsp.Range, diagnostics: list[lsp.Diagnostic] | None = None
) -> list[Any]:
    result = await env.client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=lsp.CodeActionContext(diagnostics=diagnostics or []),
        )
    )
    return list(result or [])


def _paragraph_action(actions: list[Any]) -> lsp.CodeAction:
    found = [a for a in actions if a.title == "Rewrite paragraph in my style"]
    assert len(found) == 1, [a.title for a in actions]
    assert isinstance(found[0], lsp.CodeAction)
    return found[0]


def _titles(env: Env) -> list[str]:
    return [
        getattr(value, "title", None) or getattr(value, "message", None) or ""
        for reports in env.client.progress_reports.values()
        for value in reports
    ]


async def test_capabilities_and_startup_training(env: Env) -> None:
    """The server advertises what it serves, and trains the missing profile at start-up
    (samplesFolder set, no profile yet) with work-done progress."""
    caps = SERVER_CAPABILITIES[id(env.client)]
    provider = caps.code_action_provider
    assert isinstance(provider, lsp.CodeActionOptions) and provider.resolve_provider
    assert lsp.CodeActionKind.RefactorRewrite in (provider.code_action_kinds or [])
    assert caps.hover_provider
    assert caps.diagnostic_provider is not None
    commands = set(caps.execute_command_provider.commands)  # type: ignore[union-attr]
    assert {
        "inkmod.train",
        "inkmod.rewrite",
        "inkmod.status",
        "inkmod.selectBackend",
        "inkmod.restartDaemon",
        "inkmod.ignoreParagraph",
    } <= commands
    status = await command(env.client, "inkmod.status")
    assert status["profileLoaded"] and status["scorer"] == "daemon", status
    assert status["daemon"]["state"] == "ready"
    messages = _titles(env)
    assert any("training profile 'maya'" in m for m in messages), messages
    assert any(m.startswith("6/6 ") for m in messages), messages  # per-file progress


async def test_diagnostics_on_open(env: Env) -> None:
    uri = env.new_document()
    diagnostics = await env.diagnostics(uri)
    lines = sorted(d.range.start.line for d in diagnostics)
    assert lines == FOREIGN_LINES
    for diag in diagnostics:
        line = TEXT.splitlines()[diag.range.start.line]
        assert diag.range == lsp.Range(
            lsp.Position(diag.range.start.line, 0), lsp.Position(diag.range.start.line, len(line))
        )
        assert diag.severity == lsp.DiagnosticSeverity.Information
        assert diag.source == "inkmod" and diag.code == "drift"
        assert diag.message.startswith("Drifts from your style (")
        assert isinstance(diag.data, dict) and diag.data["score"] > diag.data["threshold"]
        assert diag.data["reasons"] and diag.data["components"]


async def test_diagnostics_update_on_change(env: Env) -> None:
    """Replacing the Tess paragraph with one in Maya's voice republishes without it, and only
    the edited paragraph is re-scored."""
    uri = env.new_document()
    await env.diagnostics(uri)
    line = FOREIGN_LINES[1]
    own = PARAGRAPHS[1][1]  # paragraph 2 is Maya's
    env.client.diagnostics.pop(uri)
    change_line(env.client, uri, 2, line, TEXT.splitlines()[line], own + " Same garden, new day.")
    diagnostics = await env.diagnostics(uri, timeout=30)
    assert sorted(d.range.start.line for d in diagnostics) == [FOREIGN_LINES[0], FOREIGN_LINES[2]]
    status = await command(env.client, "inkmod.status")
    state = next(d for d in status["documents"] if d["uri"] == uri)
    assert state["version"] == 2 and state["rescored"] == 1, state


async def test_code_actions_are_listed_instantly(env: Env) -> None:
    uri = env.new_document()
    diagnostics = await env.diagnostics(uri)
    line = FOREIGN_LINES[0]
    client_times = []
    actions: list[Any] = []
    for _ in range(15):
        started = time.perf_counter()
        actions = await _actions(env, uri, _cursor(line), diagnostics)
        client_times.append(time.perf_counter() - started)
    titles = [a.title for a in actions]
    # one action per intent, in a stable order: the paragraph's quick fix replaces the
    # refactoring, and only the diagnostic under the cursor counts
    assert titles == ["Rewrite paragraph in my style", "Ignore this paragraph"], titles
    rewrite = _paragraph_action(actions)
    assert rewrite.kind == lsp.CodeActionKind.QuickFix and rewrite.edit is None
    plain = await _actions(env, uri, _cursor(line))
    assert [(a.title, a.kind) for a in plain] == [
        ("Rewrite paragraph in my style", lsp.CodeActionKind.RefactorRewrite)
    ]
    # a selection adds the selection action; a cursor in a heading offers no paragraph action
    selection = lsp.Range(lsp.Position(line, 0), lsp.Position(line, 40))
    assert "Rewrite selection in my style" in [a.title for a in await _actions(env, uri, selection)]
    assert await _actions(env, uri, _cursor(0, 2)) == []
    status = await command(env.client, "inkmod.status")
    server_ms = status["timings"]["codeAction"]["medianMs"]
    client_ms = statistics.median(client_times) * 1000
    print(f"\ncode actions ({env.name}): server median {server_ms:.2f} ms, ", end="")
    print(f"round trip {client_ms:.2f} ms")
    assert server_ms < 10.0
    assert client_ms < 100.0  # generous: a loaded two-core CI machine


async def test_resolve_returns_a_versioned_edit_with_lower_drift(env: Env) -> None:
    """Empty range = the paragraph at the cursor; the edit is pinned to version 1 and turns the
    foreign paragraph into one closer to the writer (scores computed by the server)."""
    uri = env.new_document()
    await env.diagnostics(uri)
    line = FOREIGN_LINES[0]
    action = _paragraph_action(await _actions(env, uri, _cursor(line)))
    resolved = await env.client.code_action_resolve_async(action)
    assert resolved.edit is not None
    edits, version = edits_of(resolved.edit, uri)
    assert version == 1
    assert all(e.range.start.line == line and e.range.end.line == line for e in edits)
    result = resolved.data["result"]
    assert result["rewrite"]["surprise"] < result["original"]["surprise"]
    # the 0-1 score saturates at 1.00 for text this far from the writer; the surprise orders it
    assert result["rewrite"]["score"] <= result["original"]["score"]
    # What editors show is the daemon's wording of that change, with the figures decided on.
    before, after = result["original"]["score"], result["rewrite"]["score"]
    assert result["drift_change"].startswith(f"{before:.2f} → {after:.2f}")
    if f"{before:.2f}" == f"{after:.2f}":
        assert "surprise" in result["drift_change"]
    new_text = apply_edits(TEXT, edits)
    assert new_text.splitlines()[line] in {in_the_voice(TEXT.splitlines()[line], s) for s in (0, 1)}
    assert new_text.splitlines()[:line] == TEXT.splitlines()[:line]


async def test_stale_version_is_refused(env: Env) -> None:
    uri = env.new_document()
    await env.diagnostics(uri)
    line = FOREIGN_LINES[2]
    action = _paragraph_action(await _actions(env, uri, _cursor(line)))
    before = len(env.client.messages)
    resolving = asyncio.ensure_future(env.client.code_action_resolve_async(action))
    await asyncio.sleep(0.3)  # the model is generating (a token every 30 ms)
    first = TEXT.splitlines()[1]
    change_line(env.client, uri, 2, 1, first, first + " ")
    started = time.monotonic()
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(resolving, 60)
    assert caught.value.code == -32801  # ContentModified
    assert time.monotonic() - started < 1.5  # stopped at the edit, not when the model finished
    await _assert_daemon_stops_rewriting(env)
    await wait_until(lambda: len(env.client.messages) > before, 5, "a message to the user")
    assert "changed while InkMod was rewriting" in env.client.messages[-1].message


async def test_cancel_request_stops_the_rewrite_in_the_daemon(env: Env) -> None:
    uri = env.new_document()
    await env.diagnostics(uri)
    action = _paragraph_action(await _actions(env, uri, _cursor(FOREIGN_LINES[1])))
    msg_id = f"cancel-me-{env.name}"
    future = env.client.protocol.send_request(lsp.CODE_ACTION_RESOLVE, action, msg_id=msg_id)
    await asyncio.sleep(0.4)
    env.client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(asyncio.wrap_future(future), 30)
    assert caught.value.code == -32800  # RequestCancelled

    await _assert_daemon_stops_rewriting(env)


async def test_progress_cancel_button_stops_the_rewrite(env: Env) -> None:
    uri = env.new_document()
    await env.diagnostics(uri)
    action = _paragraph_action(await _actions(env, uri, _cursor(FOREIGN_LINES[2])))
    known = set(env.client.progress_reports)
    resolving = asyncio.ensure_future(env.client.code_action_resolve_async(action))

    def rewrite_token() -> Any:
        for token, reports in env.client.progress_reports.items():
            if token not in known and any(
                getattr(r, "title", "") == "InkMod: rewriting in your style" for r in reports
            ):
                return token
        return None

    token = await wait_until(rewrite_token, 20, "the rewrite's progress")
    begin = env.client.progress_reports[token][0]
    assert isinstance(begin, lsp.WorkDoneProgressBegin) and begin.cancellable
    await asyncio.sleep(0.2)
    env.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(resolving, 30)
    assert caught.value.code == -32800
    await wait_until(
        lambda: isinstance(env.client.progress_reports[token][-1], lsp.WorkDoneProgressEnd),
        5,
        "the end of the progress",
    )
    await _assert_daemon_stops_rewriting(env)


async def _assert_daemon_stops_rewriting(env: Env) -> None:
    """The daemon's rewrite ends well before it would have finished (the fake model takes
    ~1.8 s per candidate), i.e. it was cancelled there too, not only abandoned here."""
    deadline = time.monotonic() + 1.0
    while True:
        status = await command(env.client, "inkmod.status", {"quiet": True})
        if status["daemon"]["requests"] == 0:
            return
        assert time.monotonic() < deadline, "the daemon is still rewriting"
        await asyncio.sleep(0.05)


async def test_hover_shows_figures_beside_the_writers(env: Env) -> None:
    uri = env.new_document()
    await env.diagnostics(uri)
    line = FOREIGN_LINES[0]
    hover = await env.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line, 10)
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    text = hover.contents.value
    assert "drift **1.00**" in text and "your samples" in text and "sentence length" in text
    assert hover.range is not None and hover.range.start.line == line


async def test_ignore_paragraph_is_persisted(env: Env) -> None:
    uri = env.new_document()
    diagnostics = await env.diagnostics(uri)
    target = next(d for d in diagnostics if d.range.start.line == FOREIGN_LINES[1])
    actions = await _actions(env, uri, target.range, [target])
    assert "Ignore this paragraph" in [a.title for a in actions]
    env.client.diagnostics.pop(uri)
    result = await command(
        env.client, "inkmod.ignoreParagraph", {"uri": uri, "hash": target.data["hash"]}
    )
    assert result["added"]
    ignored = env.root / ".inkmod" / "ignored.json"
    assert target.data["hash"] in ignored.read_text(encoding="utf-8")
    remaining = await env.diagnostics(uri)
    assert FOREIGN_LINES[1] not in [d.range.start.line for d in remaining]
    assert len(remaining) == 2


async def test_pull_diagnostics(env: Env) -> None:
    uri = env.new_document()
    report = await env.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    lines = {d.range.start.line for d in report.items}
    assert len(lines) >= 2 and lines <= set(FOREIGN_LINES)  # minus any paragraph ignored above
    again = await env.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert isinstance(again, lsp.RelatedUnchangedDocumentDiagnosticReport)


async def test_train_command_reports_progress(env: Env) -> None:
    known = set(env.client.progress_reports)
    result = await command(env.client, "inkmod.train")
    assert result["summary"]["documents"] == 6
    new = [t for t in env.client.progress_reports if t not in known]
    reports = [r for t in new for r in env.client.progress_reports[t]]
    percentages = [r.percentage for r in reports if isinstance(r, lsp.WorkDoneProgressReport)]
    assert any(p == 100 for p in percentages if p is not None), reports
    assert isinstance(reports[-1], lsp.WorkDoneProgressEnd)


async def test_server_never_loads_a_model_library(env: Env) -> None:
    status = await command(env.client, "inkmod.status")
    assert status["loadedModules"] == []
    pid = status["server"]["pid"]
    maps = Path(f"/proc/{pid}/maps")
    if maps.exists():
        text = maps.read_text()
        assert "libllama" not in text and "libtorch" not in text


# The tests below replace the daemon; they run last in the module.


async def _assert_scored(env: Env) -> None:
    """A new document is scored again (the foreign paragraphs, minus any ignored above)."""
    uri = env.new_document()
    lines = {d.range.start.line for d in await env.diagnostics(uri)}
    assert len(lines) >= 2 and lines <= set(FOREIGN_LINES)


async def test_select_backend_restarts_the_daemon_with_it(env: Env) -> None:
    before = await command(env.client, "inkmod.status", {"quiet": True})
    result = await command(env.client, "inkmod.selectBackend", {"backend": "lspfake-b"})
    assert result["changed"] and result["daemon"] == "ready"
    after = await command(env.client, "inkmod.status", {"quiet": True})
    assert after["daemon"]["backend"]["name"] == "lspfake-b"
    assert after["daemon"]["pid"] != before["daemon"]["pid"]
    assert after["settingsFrom"]["backend"] == "inkmod.selectBackend"


async def test_restart_daemon_command(env: Env) -> None:
    before = await command(env.client, "inkmod.status", {"quiet": True})
    result = await command(env.client, "inkmod.restartDaemon")
    assert result["state"] == "ready" and result["pid"] != before["daemon"]["pid"]
    await _assert_scored(env)


async def test_a_killed_daemon_is_replaced_and_the_user_told(env: Env) -> None:
    import os
    import signal

    before = await command(env.client, "inkmod.status", {"quiet": True})
    told = len(env.client.messages)
    os.kill(before["daemon"]["pid"], signal.SIGKILL)
    await wait_until(
        lambda: any("a new one is running" in m.message for m in env.client.messages[told:]),
        30,
        "the server to say it replaced the daemon",
    )
    after = await command(env.client, "inkmod.status", {"quiet": True})
    assert after["daemon"]["state"] == "ready" and after["scorer"] == "daemon"
    assert after["daemon"]["pid"] != before["daemon"]["pid"]
    await _assert_scored(env)
