"""The InkMod daemon: one long-running process per style profile.

It keeps the model loaded and the profile in step with the samples folder, and serves every
editor window and the CLI over msgpack-RPC on a private unix socket. See ``docs/daemon.md``.

The design card names a top-level ``daemon/`` package; it lives here, at ``inkmod/daemon/``,
because a top-level import package called ``daemon`` would collide with the ``python-daemon``
distribution.

Importing this package is cheap: :mod:`.protocol` is plain constants, and the client is
imported on first use of the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inkmod.rpc.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    from inkmod.rpc.client import (
        DaemonClient,
        DaemonError,
        DaemonInterrupted,
        DaemonNotRunning,
        DaemonRPCError,
        DaemonStartError,
        DaemonTimeout,
        ensure_daemon,
        stop_daemon,
    )

__all__ = [
    "PROTOCOL_VERSION",
    "DaemonClient",
    "DaemonError",
    "DaemonInterrupted",
    "DaemonNotRunning",
    "DaemonRPCError",
    "DaemonStartError",
    "DaemonTimeout",
    "ensure_daemon",
    "stop_daemon",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from inkmod.rpc import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
