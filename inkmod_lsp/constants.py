"""Names and codes the language server shares with its clients, each defined once.

Standard library only, and no imports at all: ``__main__`` reads the error codes before anything
else is loaded, and the editor extensions' contract test reads the command names.
"""

from __future__ import annotations

SERVER_NAME = "inkmod-lsp"

# -- commands (``workspace/executeCommand``) ------------------------------------------------------

TRAIN = "inkmod.train"
TUNE = "inkmod.tune"
REWRITE = "inkmod.rewrite"
"""Also the ``kind`` in a rewrite code action's ``data`` (see ``convert.RewriteRequest``)."""
STATUS = "inkmod.status"
SELECT_BACKEND = "inkmod.selectBackend"
RESTART_DAEMON = "inkmod.restartDaemon"
IGNORE_PARAGRAPH = "inkmod.ignoreParagraph"

COMMANDS = (TRAIN, TUNE, REWRITE, STATUS, SELECT_BACKEND, RESTART_DAEMON, IGNORE_PARAGRAPH)

# -- LSP error codes (the JSON-RPC and LSP specifications) ---------------------------------------

INVALID_PARAMS = -32602
REQUEST_CANCELLED = -32800
CONTENT_MODIFIED = -32801
REQUEST_FAILED = -32803

EXPECTED_ERROR_CODES = frozenset({REQUEST_CANCELLED, CONTENT_MODIFIED, REQUEST_FAILED})
"""RequestCancelled, ContentModified, RequestFailed: answers we give on purpose."""
