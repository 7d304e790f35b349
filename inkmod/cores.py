"""How many CPU cores InkMod may use: one answer for the backends, the daemon and tuning.

Why one function: llama.cpp, torch and the daemon each size their thread pools from it, and on a
two-core machine an off-by-one in any of them makes the others stall (see
:func:`inkmod.backends.llama_cpp.default_threads`).
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
