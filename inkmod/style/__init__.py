"""The style engine: no model, no LSP (see docs/architecture.md for the import rules)."""
