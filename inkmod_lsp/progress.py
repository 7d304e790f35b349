"""Work-done progress (``$/progress``) that can cancel the work it reports on.

Why a wrapper: pygls hands out the raw begin/report/end notifications; every long operation
here (training, rewriting, starting the daemon) needs the same four things -- a token (the
client's, or one we create when the client supports ``window.workDoneProgress``), reports that
may come from any thread, throttling (a model streams tokens faster than an editor wants
redraws), and a "Cancel" button that cancels the asyncio task doing the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

REPORT_INTERVAL = 0.1
"""Seconds between two reports (the last one before ``end`` is always sent)."""


def client_supports_progress(server: LanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.work_done_progress)


class Progress:
    """One progress bar. Use :meth:`open`; all methods are safe to call from any thread."""

    def __init__(
        self,
        server: LanguageServer,
        token: lsp.ProgressToken | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.server = server
        self.token = token
        self.loop = loop
        self._last_report = 0.0
        self._ended = False
        self.cancelled = False

    @classmethod
    async def open(
        cls,
        server: LanguageServer,
        title: str,
        *,
        token: lsp.ProgressToken | None = None,
        cancellable: bool = True,
        message: str | None = None,
        task: asyncio.Task[object] | None = None,
    ) -> Progress:
        """Begin a progress bar; ``task`` (default: the current task) is cancelled when the
        user presses Cancel. Without a client token and without client support, a silent
        progress is returned so callers never branch."""
        loop = asyncio.get_running_loop()
        if token is None and client_supports_progress(server):
            token = f"inkmod-{uuid.uuid4().hex[:12]}"
            try:
                await server.work_done_progress.create_async(token)
            except Exception as exc:  # a client may refuse; the work goes on silently
                log.info("client refused a progress token: %s", exc)
                token = None
        progress = cls(server, token, loop)
        if token is None:
            return progress
        server.work_done_progress.begin(
            token,
            lsp.WorkDoneProgressBegin(
                title=title, cancellable=cancellable, message=message, percentage=0
            ),
        )
        target = task or asyncio.current_task()
        future = server.work_done_progress.tokens.get(token)
        if cancellable and future is not None and target is not None:

            def on_cancel(fut: object) -> None:
                if getattr(fut, "cancelled", lambda: False)():
                    progress.cancelled = True
                    loop.call_soon_threadsafe(target.cancel)

            future.add_done_callback(on_cancel)
        return progress

    def report(self, message: str, percentage: int | None = None, *, force: bool = False) -> None:
        """Report (throttled to one every :data:`REPORT_INTERVAL` unless ``force``)."""
        if self.token is None or self._ended:
            return
        now = time.monotonic()
        if not force and now - self._last_report < REPORT_INTERVAL:
            return
        self._last_report = now
        value = lsp.WorkDoneProgressReport(message=message, percentage=percentage)
        self._call(self.server.work_done_progress.report, self.token, value)

    def end(self, message: str | None = None) -> None:
        if self.token is None or self._ended:
            return
        self._ended = True
        self._call(
            self.server.work_done_progress.end, self.token, lsp.WorkDoneProgressEnd(message=message)
        )
        token = self.token
        self._call(self._forget, token)

    def _forget(self, token: lsp.ProgressToken) -> None:
        with contextlib.suppress(Exception):
            self.server.work_done_progress.tokens.pop(token, None)

    def _call(self, fn: object, *args: object) -> None:
        """Run on the event loop thread (pygls writes to the transport from there)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            fn(*args)  # type: ignore[operator]
        else:
            self.loop.call_soon_threadsafe(fn, *args)  # type: ignore[arg-type]
