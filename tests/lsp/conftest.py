"""Fixtures for the language-server tests.

The end-to-end modules share one server per module and per client snapshot (starting a server,
its daemon and training the profile costs seconds on a shared two-core machine; the tests use
distinct documents so they do not disturb one another).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "support"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
