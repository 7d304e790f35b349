"""Paths the tests share (importable because pytest puts tests/ on sys.path)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CORPORA = REPO.parent / "shared" / "corpora"
