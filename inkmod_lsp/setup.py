"""Build the server: each LSP method registered once, fanning out to the features (the esbonio
pattern).

The only module that knows every feature. Document sync is where several features listen:
``didOpen``/``didChange`` update the documents and emit the server's ``document_changed`` event
(the rewrite stops work for an older version, then the diagnostics re-arm their debounce), and
whatever changes scores calls :meth:`~inkmod_lsp.server.InkmodLanguageServer.refresh_all`, which
emits ``scores_changed`` (the diagnostics re-analyse the open documents).
"""

from __future__ import annotations

from lsprotocol import types as lsp

from . import constants
from .documents import DocumentChange
from .features import code_actions, commands, diagnostics, hover, lifecycle, rewrite
from .server import InkmodLanguageServer


def did_open(ls: InkmodLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.documents.open(item.uri, item.language_id)
    ls.document_changed.emit(ls, DocumentChange(item.uri, item.version, opened=True))


def did_change(ls: InkmodLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    document = params.text_document
    ls.document_changed.emit(ls, DocumentChange(document.uri, document.version))


COMMANDS = {
    constants.TRAIN: commands.train,
    constants.TUNE: commands.tune,
    constants.REWRITE: rewrite.rewrite_command,
    constants.STATUS: commands.status,
    constants.SELECT_BACKEND: commands.select_backend,
    constants.RESTART_DAEMON: commands.restart_daemon,
    constants.IGNORE_PARAGRAPH: commands.ignore_paragraph,
}


def create_server() -> InkmodLanguageServer:
    """A server with every feature registered."""
    server = InkmodLanguageServer()

    server.document_changed.subscribe(rewrite.document_changed)  # first: free the model
    server.document_changed.subscribe(diagnostics.document_changed)
    server.scores_changed.subscribe(diagnostics.refresh_all)

    server.feature(lsp.INITIALIZE)(lifecycle.initialize)
    server.feature(lsp.INITIALIZED)(lifecycle.initialized)
    server.feature(lsp.SHUTDOWN)(lifecycle.shutdown)
    server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)(lifecycle.did_change_configuration)

    server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)(diagnostics.did_close)
    server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC, diagnostics.OPTIONS)(
        diagnostics.document_diagnostic
    )

    server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, code_actions.OPTIONS)(code_actions.code_action)
    server.feature(lsp.CODE_ACTION_RESOLVE)(rewrite.resolve_code_action)
    server.feature(lsp.TEXT_DOCUMENT_HOVER)(hover.hover)

    for name, handler in COMMANDS.items():
        server.command(name)(handler)
    return server
