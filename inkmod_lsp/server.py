"""The InkMod language server: protocol in, engine and daemon out.

Layout (the esbonio habit: one module per LSP feature, each with its own ``register``):

* :mod:`.lifecycle` -- ``initialize``, ``initialized``, ``shutdown``,
  ``workspace/didChangeConfiguration``;
* :mod:`.diagnostics` -- document sync, debounced ``publishDiagnostics``, pull diagnostics;
* :mod:`.code_actions` -- ``textDocument/codeAction`` and ``codeAction/resolve``;
* :mod:`.commands` -- ``workspace/executeCommand`` (``inkmod.*``);
* :mod:`.hover` -- ``textDocument/hover``.

This module holds only what they share: the server object with its documents, its
:class:`~inkmod_lsp.runtime.Runtime`, two thread pools and the client-capability questions.

Threads: pygls runs handlers on one asyncio loop. Anything that may take more than a few
milliseconds runs elsewhere -- paragraph extraction and scoring on a single *worker* thread
(one at a time, in order), blocking daemon calls on the *io* pool -- so listing code actions
stays instant while a chapter is being scored or a model is generating.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

import inkmod

from .config import LoadedSettings, Settings
from .convert import Positions, message
from .documents import Documents
from .runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVER_NAME = "inkmod-lsp"


class InkmodLanguageServer(LanguageServer):
    """pygls server plus InkMod's shared state (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            SERVER_NAME,
            inkmod.__version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        )
        self.documents = Documents()
        self.runtime = Runtime(self)
        self.loaded = LoadedSettings(Settings())
        self.initialization_options: Any = None
        self.pushed_settings: Any = None
        """Settings a client pushed with ``didChangeConfiguration`` (clients that do not serve
        ``workspace/configuration``)."""
        self.workspace_root: Path | None = None
        self.backend_choice: str | None = None
        """A backend picked with ``inkmod.selectBackend``: overrides the settings until the
        server restarts."""
        self.client_name = ""
        """``clientInfo.name`` from ``initialize`` (e.g. ``Neovim``, ``Visual Studio Code``)."""
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="inkmod-score")
        self._io = ThreadPoolExecutor(4, thread_name_prefix="inkmod-io")
        self._told: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.shutting_down = False
        self.rewrites: dict[str, set[Any]] = {}
        """Rewrites in flight by URI (``rewriting.InFlight``), stopped when the text changes."""
        self.timings: dict[str, deque[float]] = {}
        """Recent handler durations in seconds, by name (reported by ``inkmod.status``)."""

    def record(self, name: str, seconds: float) -> None:
        self.timings.setdefault(name, deque(maxlen=200)).append(seconds)

    def timing_summary(self) -> dict[str, dict[str, float]]:
        """Median and max of the recent durations, in milliseconds."""
        out = {}
        for name, values in self.timings.items():
            ordered = sorted(values)
            out[name] = {
                "count": len(ordered),
                "medianMs": round(ordered[len(ordered) // 2] * 1000, 3),
                "maxMs": round(ordered[-1] * 1000, 3),
            }
        return out

    # -- settings -------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def checks(self, language_id: str | None) -> bool:
        """Whether documents of this language get diagnostics and code actions (editors'
        aliases such as Neovim's ``text`` for ``plaintext`` count as the same language)."""
        from inkmod.style.document import canonical_language

        wanted = {canonical_language(lid) for lid in self.settings.languages}
        return canonical_language(language_id) in wanted

    # -- threads and tasks ----------------------------------------------------------------------

    def in_worker(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn`` on the single scoring thread."""
        return asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    def in_io(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run a blocking call (daemon, files) on the io pool."""
        return asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a background task whose failure is logged, not lost."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def close(self) -> None:
        """Stop background work and disconnect from the daemon (which keeps running)."""
        self.shutting_down = True
        for task in list(self._tasks):
            task.cancel()
        for state in self.documents.all():
            if state.debounce is not None:
                state.debounce.cancel()
        self.runtime.close()
        self._worker.shutdown(wait=False, cancel_futures=True)
        self._io.shutdown(wait=False, cancel_futures=True)

    # -- talking to the user --------------------------------------------------------------------

    def show(self, text: str, kind: str = "info") -> None:
        log.info("message to the user: %s", text)
        self.window_show_message(message(text, kind))

    def notify_once(self, key: str, text: str, kind: str = "info") -> None:
        """Show a message once per server lifetime (per ``key``): a writer should hear that the
        daemon cannot start, not hear it on every keystroke."""
        if key in self._told:
            return
        self._told.add(key)
        self.show(text, kind)

    # -- client capabilities --------------------------------------------------------------------

    @property
    def pulls_diagnostics(self) -> bool:
        """The client asks for diagnostics (``textDocument/diagnostic``): then pushing them too
        would show every drift twice (the ruff server makes the same choice)."""
        text_document = self.client_capabilities.text_document
        return bool(text_document and text_document.diagnostic)

    @property
    def serves_configuration(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.configuration)

    @property
    def document_changes(self) -> bool:
        """Whether edits can be pinned to a document version (``documentChanges``).

        Neovim applies ``documentChanges`` -- and refuses them for a newer buffer version --
        since 0.5, although 0.7 does not advertise it; every other client is taken at its word.
        """
        workspace = self.client_capabilities.workspace
        edit = workspace.workspace_edit if workspace else None
        if edit is not None and edit.document_changes:
            return True
        return self.client_name.lower() == "neovim"

    @property
    def resolves_edits(self) -> bool:
        """The client resolves a code action's ``edit`` lazily (``codeAction/resolve``)."""
        text_document = self.client_capabilities.text_document
        action = text_document.code_action if text_document else None
        support = action.resolve_support if action else None
        return bool(support and "edit" in support.properties)

    @property
    def shows_disabled_actions(self) -> bool:
        text_document = self.client_capabilities.text_document
        action = text_document.code_action if text_document else None
        return bool(action and action.disabled_support)

    @property
    def markdown_hover(self) -> bool:
        text_document = self.client_capabilities.text_document
        hover = text_document.hover if text_document else None
        formats = hover.content_format if hover else None
        return not formats or lsp.MarkupKind.Markdown in formats

    def positions(self, text: str) -> Positions:
        encoding = self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16
        return Positions(text, str(getattr(encoding, "value", encoding)))

    # -- refreshing -----------------------------------------------------------------------------

    def refresh_all(self) -> None:
        """Scores or their judgement changed: bring every open document's diagnostics up to
        date (pushed, or a refresh request for pulling clients)."""
        from .diagnostics import refresh_all

        refresh_all(self)


def create_server() -> InkmodLanguageServer:
    """A server with every feature registered."""
    from . import code_actions, commands, diagnostics, hover, lifecycle

    server = InkmodLanguageServer()
    for feature in (lifecycle, diagnostics, code_actions, commands, hover):
        feature.register(server)
    return server
