"""Paths the tests share (importable: pyproject puts tests/support on sys.path)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# CI lays shared/ beside the checkout; INKMOD_CORPORA points elsewhere (as for the benchmarks).
CORPORA = Path(os.environ.get("INKMOD_CORPORA") or REPO.parent / "shared" / "corpora")
