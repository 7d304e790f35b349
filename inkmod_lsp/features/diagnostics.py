"""Drift diagnostics: the server's ``document_changed`` and ``scores_changed`` events in,
``publishDiagnostics`` out (or pulled).

Why debounce per document (the jedi-language-server habit): a writer types several characters a
second; re-scoring after every one would queue work the next keystroke makes useless. Each
document has at most one pending analysis -- a change cancels and re-arms it -- while other
documents keep their own timers. Opening a document is not debounced: the writer is waiting.

Diagnostics are pushed unless the client pulls them (``textDocument/diagnostic``), never both.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types as lsp

from .. import convert
from ..documents import DocState, DocumentChange, analyze, state_positions
from ..server import InkmodLanguageServer

log = logging.getLogger(__name__)

IDENTIFIER = "inkmod"

OPTIONS = lsp.DiagnosticOptions(
    identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=False
)
"""What the server advertises for ``textDocument/diagnostic``."""


def document_changed(ls: InkmodLanguageServer, change: DocumentChange) -> None:
    """Analyse an opened document at once, an edited one after the debounce."""
    state = ls.documents.get(change.uri)
    if state is not None and ls.checks(state.language_id):
        schedule(ls, state, 0.0 if change.opened else ls.settings.debounceMs / 1000.0)


def did_close(ls: InkmodLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    state = ls.documents.close(params.text_document.uri)
    if state is not None and state.published and not ls.pulls_diagnostics:
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=state.uri, diagnostics=[])
        )


def schedule(ls: InkmodLanguageServer, state: DocState, delay: float) -> None:
    """(Re)arm the document's analysis ``delay`` seconds from now."""
    if state.debounce is not None and not state.debounce.done():
        state.debounce.cancel()
    state.debounce = ls.spawn(_analyze_and_publish(ls, state, delay))


async def _analyze_and_publish(ls: InkmodLanguageServer, state: DocState, delay: float) -> None:
    if delay > 0:
        await asyncio.sleep(delay)
    fresh = await analyze(ls, state.uri)
    if fresh is None or ls.pulls_diagnostics:
        return  # analysed ahead of the pull, so the pull answers at once
    publish(ls, fresh)


def diagnostics_of(ls: InkmodLanguageServer, state: DocState) -> list[lsp.Diagnostic]:
    if state.text is None:
        return []
    return convert.diagnostics(
        state.scored, state_positions(ls, state), ls.settings, ls.runtime.threshold()
    )


def publish(ls: InkmodLanguageServer, state: DocState) -> None:
    """Push the document's diagnostics, unless a newer version is on its way or nothing
    changed since the last push."""
    try:
        current = ls.workspace.get_text_document(state.uri).version
    except Exception:
        return
    if current is not None and state.version != current:
        return  # the change that made it newer has its own analysis scheduled
    items = diagnostics_of(ls, state)
    fingerprint = tuple(
        (
            r.start.line,
            r.start.character,
            r.end.line,
            r.end.character,
            d.message,
            int(d.severity or 0),
        )
        for d in items
        for r in (d.range,)
    )
    if fingerprint == state.published:
        return
    state.published = fingerprint
    state.result_id += 1
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=state.uri, diagnostics=items, version=state.version)
    )


async def document_diagnostic(
    ls: InkmodLanguageServer, params: lsp.DocumentDiagnosticParams
) -> lsp.DocumentDiagnosticReport:
    """Pull diagnostics: the same analysis, answered instead of pushed."""
    state = await analyze(ls, params.text_document.uri)
    if state is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    result_id = f"{state.version}:{state.stamp}"
    if params.previous_result_id == result_id:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return lsp.RelatedFullDocumentDiagnosticReport(
        items=diagnostics_of(ls, state), result_id=result_id
    )


def refresh_all(ls: InkmodLanguageServer) -> None:
    """Re-analyse every open document now (the server's ``scores_changed`` event: scores or
    settings changed)."""
    if ls.shutting_down:
        return
    for state in ls.documents.all():
        if ls.checks(state.language_id):
            schedule(ls, state, 0.0)
        elif state.published and not ls.pulls_diagnostics:
            state.published = None
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=state.uri, diagnostics=[])
            )
    if ls.pulls_diagnostics and _refresh_supported(ls):
        ls.workspace_diagnostic_refresh(None)


def _refresh_supported(ls: InkmodLanguageServer) -> bool:
    workspace = ls.client_capabilities.workspace
    diagnostics = workspace.diagnostics if workspace else None
    return bool(diagnostics and diagnostics.refresh_support)
