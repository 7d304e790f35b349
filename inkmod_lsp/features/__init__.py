"""One module per LSP feature. A feature imports the server and the layers below it, never
another feature: :mod:`inkmod_lsp.setup` wires the LSP methods to them, and what one feature
must tell another goes through the server's ``document_changed`` and ``scores_changed`` events.
"""
