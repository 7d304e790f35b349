"""What talking to a daemon raises (besides the protocol's own error responses, raised as
:class:`~inkmod.rpc.session.RPCError`). Importable from :mod:`inkmod.rpc.client` too."""

from __future__ import annotations

from inkmod.rpc.session import RPCError


class DaemonError(Exception):
    """Base class for everything this module raises besides :class:`RPCError`."""


class DaemonNotRunning(DaemonError):
    """No daemon answers and the caller asked us not to start one."""


class DaemonStartError(DaemonError):
    """A daemon could not be started or replaced; the message quotes its output."""


class DaemonInterrupted(DaemonError, ConnectionError):
    """The daemon went away while a request was running.

    ``restarted`` tells whether a fresh daemon is already answering (then retrying is fine).
    """

    def __init__(self, message: str, restarted: bool) -> None:
        super().__init__(message)
        self.restarted = restarted


class DaemonTimeout(DaemonError, TimeoutError):
    """A request took longer than its timeout; it was cancelled on the daemon."""


DaemonRPCError = RPCError
"""Error responses (``[code, message]``) are raised as :class:`~inkmod.rpc.session.RPCError`;
``code`` is one of the constants in :mod:`inkmod.rpc.protocol`."""
