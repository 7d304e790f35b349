"""Paths the tests share (importable because pytest puts tests/ on sys.path)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
# CI lays shared/ beside the checkout; INKMOD_CORPORA points elsewhere (as for the benchmarks).
CORPORA = Path(os.environ.get("INKMOD_CORPORA") or REPO.parent / "shared" / "corpora")
