"""The server object: InkMod's shared state, and the two events its features talk through.

It imports no feature. :mod:`inkmod_lsp.setup` builds it and registers each LSP method once,
fanning out to the feature modules in :mod:`inkmod_lsp.features` (the esbonio pattern):

* :mod:`~inkmod_lsp.features.lifecycle` -- ``initialize``, ``initialized``, ``shutdown``,
  ``workspace/didChangeConfiguration``;
* :mod:`~inkmod_lsp.features.diagnostics` -- debounced ``publishDiagnostics``, pull diagnostics;
* :mod:`~inkmod_lsp.features.code_actions` -- ``textDocument/codeAction`` (listing);
* :mod:`~inkmod_lsp.features.rewrite` -- ``codeAction/resolve`` and ``inkmod.rewrite``;
* :mod:`~inkmod_lsp.features.commands` -- the other ``inkmod.*`` commands;
* :mod:`~inkmod_lsp.features.hover` -- ``textDocument/hover``.

Features never import each other. What one must tell the others goes through an event of this
object: :attr:`~InkmodLanguageServer.document_changed` (a document was opened or edited) and
:attr:`~InkmodLanguageServer.scores_changed` (scores or their judgement may differ: profile,
settings, ignore list). This module holds the rest of what they share: the documents, the
:class:`~inkmod_lsp.runtime.Runtime`, the settings as read, two thread pools and the
client-capability questions.

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
from typing import Any, Generic, ParamSpec, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

import inkmod

from .config import SECTION, LoadedSettings, Settings, SettingsSource, client_source, load_settings
from .constants import SERVER_NAME
from .convert import Positions, message
from .documents import DocumentChange, Documents
from .runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


class Event(Generic[P]):
    """A tiny observer list: ``emit`` calls every observer in the order they subscribed.

    An observer that fails is logged and the others still run: one feature's bug must not
    silence another feature."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._observers: list[Callable[P, None]] = []

    def subscribe(self, observer: Callable[P, None]) -> None:
        self._observers.append(observer)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for observer in list(self._observers):
            try:
                observer(*args, **kwargs)
            except Exception:
                log.exception("%s: observer %r failed", self.name, observer)


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
        self.document_changed: Event[[InkmodLanguageServer, DocumentChange]] = Event(
            "document_changed"
        )
        """A document was opened or edited (emitted by :mod:`inkmod_lsp.setup`)."""
        self.scores_changed: Event[[InkmodLanguageServer]] = Event("scores_changed")
        """Scores or their judgement may have changed (see :meth:`refresh_all`)."""

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

    # -- settings and refreshing ------------------------------------------------------------------

    async def read_settings(self) -> LoadedSettings:
        """Merge files and client settings (see :mod:`inkmod_lsp.config` for the order)."""
        root = self.workspace_root
        layers: list[SettingsSource] = []
        init = client_source("initializationOptions", self.initialization_options, root)
        if init is not None:
            layers.append(init)
        if self.serves_configuration:
            try:
                scope = root.as_uri() if root is not None else None
                result = await self.workspace_configuration_async(
                    lsp.ConfigurationParams(
                        items=[lsp.ConfigurationItem(scope_uri=scope, section=SECTION)]
                    )
                )
                value: Any = result[0] if result else None
            except Exception as exc:  # a client that cannot answer still has its init options
                log.info("workspace/configuration failed: %s", exc)
                value = None
            served = client_source("workspace/configuration", value, root)
            if served is not None:
                layers.append(served)
        elif self.pushed_settings is not None:
            pushed = client_source("didChangeConfiguration", self.pushed_settings, root)
            if pushed is not None:
                layers.append(pushed)
        if self.backend_choice is not None:
            layers.append(SettingsSource("inkmod.selectBackend", {"backend": self.backend_choice}))
        loaded = await self.in_io(load_settings, root, layers)
        for problem in loaded.problems:
            self.notify_once(f"settings:{problem}", f"InkMod: {problem}", "warning")
        return loaded

    def apply_settings(self, loaded: LoadedSettings, first: bool = False) -> None:
        """Restart the runtime when a setting it depends on changed; otherwise re-judge."""
        new = loaded.settings
        self.loaded = loaded
        if first or self.runtime.needs_restart(new):
            log.info("settings: %s", new.to_json())
            self.runtime.start(new, self.workspace_root)
        elif new != self.runtime.settings:
            log.info("settings changed: %s", new.to_json())
            self.runtime.settings = new
            self.runtime.bump()
            self.refresh_all()

    def refresh_all(self) -> None:
        """Scores or their judgement changed: tell the features (:attr:`scores_changed`; the
        diagnostics bring every open document up to date, pushed or by a refresh request)."""
        self.scores_changed.emit(self)
