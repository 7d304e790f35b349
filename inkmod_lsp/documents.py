"""Per-document analysis state, the one function that brings it up to date, and what a
``document_changed`` event carries.

Why state per document: diagnostics, code actions and hover all need "the paragraphs of this
document and their scores"; computing it once per (version, runtime stamp) and sharing it keeps
code-action listing and hover at lookup cost, and is what makes re-scoring incremental -- the
content-hash cache (:class:`~inkmod.style.document.ScoreCache`) answers for every paragraph the
edit did not touch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from inkmod.style.document import Block, parse

from .paragraphs import Score, Scored, judge

if TYPE_CHECKING:
    from pygls.workspace import Workspace

    from .convert import Positions
    from .runtime import Runtime
    from .scoring import Scorer

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class DocumentChange:
    """What the server's ``document_changed`` event says: ``uri`` was opened (``opened``) or
    edited, and is now at ``version``."""

    uri: str
    version: int | None
    opened: bool = False


class Host(Protocol):
    """What :func:`analyze` needs of the server (the server class is not imported here: this
    module sits below it)."""

    documents: Documents
    runtime: Runtime

    @property
    def workspace(self) -> Workspace: ...

    def checks(self, language_id: str | None) -> bool: ...

    def in_worker(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]: ...

    def record(self, name: str, seconds: float) -> None: ...

    def positions(self, text: str) -> Positions: ...


@dataclass
class DocState:
    """What the server knows about one open document."""

    uri: str
    language_id: str
    text: str | None = None
    """The text :attr:`blocks` were extracted from."""
    version: int | None = None
    """The document version :attr:`scored` belongs to."""
    stamp: int = -1
    """The runtime stamp :attr:`scored` was judged under."""
    blocks: list[Block] = field(default_factory=list)
    scored: list[Scored] = field(default_factory=list)
    debounce: asyncio.Task[None] | None = None
    result_id: int = 0
    """Increments whenever the diagnostics change (pull diagnostics' ``resultId``)."""
    published: tuple[tuple[int, int, int, int, str, int], ...] | None = None
    """Fingerprint of the last published diagnostics, to skip identical republishes."""
    positions: Positions | None = None
    """Position index of :attr:`text` (see :func:`state_positions`)."""
    analysis_seconds: float = 0.0
    rescored: int = 0
    """How many paragraphs the last analysis had to score (the rest came from the cache)."""


class Documents:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._docs: dict[str, DocState] = {}

    def open(self, uri: str, language_id: str) -> DocState:
        state = self._docs.get(uri)
        if state is None or state.language_id != language_id:
            state = DocState(uri, language_id)
            self._docs[uri] = state
        return state

    def get(self, uri: str) -> DocState | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> DocState | None:
        state = self._docs.pop(uri, None)
        if state is not None and state.debounce is not None:
            state.debounce.cancel()
        return state

    def all(self) -> list[DocState]:
        return list(self._docs.values())


def _compute(
    text: str,
    language_id: str,
    previous: DocState,
    runtime: Runtime,
    scorer: Scorer,
) -> tuple[list[Block], dict[str, Score], int]:
    """Worker-thread part of an analysis: extract (unless the text is unchanged), then score
    only the paragraphs the cache does not know."""
    blocks = previous.blocks if previous.text == text else parse(text, language_id)
    generation = runtime.cache.generation
    found = runtime.cache.get_many([b.hash for b in blocks])
    missing: dict[str, Block] = {}
    for block in blocks:
        if block.hash not in found and block.hash not in missing:
            missing[block.hash] = block
    if missing:
        scores = scorer.score(list(missing.values()))
        new = dict(zip(missing, scores, strict=True))
        runtime.cache.put_many(new, generation)
        found.update(new)
    return blocks, found, len(missing)


async def analyze(server: Host, uri: str) -> DocState | None:
    """Bring ``uri``'s state up to date with its current text and the runtime; None when the
    document is not open or not a language InkMod checks."""
    state = server.documents.get(uri)
    if state is None or not server.checks(state.language_id):
        return None
    runtime = server.runtime
    await runtime.ready.wait()
    document = server.workspace.get_text_document(uri)
    version = document.version
    if state.version == version and state.stamp == runtime.stamp and state.text is not None:
        return state
    text = document.source
    stamp = runtime.stamp
    loop = asyncio.get_running_loop()
    started = loop.time()
    blocks: list[Block] | None = None
    scores: dict[str, Score] = {}
    rescored = 0
    for _attempt in range(3):
        await runtime.ready.wait()  # again: the runtime may be rebuilding after a failure
        scorer = runtime.scorer
        if scorer is None:
            break
        try:
            blocks, scores, rescored = await server.in_worker(
                _compute, text, state.language_id, state, runtime, scorer
            )
            break
        except Exception as exc:  # the daemon went away, a profile vanished ...
            replaced = scorer is not runtime.scorer or not runtime.ready.is_set()
            log.log(
                logging.INFO if replaced else logging.WARNING,
                "scoring %s with the %s scorer failed%s: %s",
                uri,
                scorer.name,
                " (it was being replaced; retrying)" if replaced else "",
                exc,
            )
            if not runtime.scorer_failed(exc, scorer):
                break
    if blocks is None:  # nothing to score with: keep the paragraphs for code actions
        blocks = await server.in_worker(parse, text, state.language_id)
    scored = judge(blocks, scores, runtime.threshold(), runtime.ignored.hashes())
    if server.documents.get(uri) is not state:
        return None  # closed (or reopened) meanwhile
    state.text, state.blocks, state.scored = text, blocks, scored
    state.version, state.stamp = version, stamp
    state.analysis_seconds = loop.time() - started
    server.record("analysis", state.analysis_seconds)
    state.rescored = rescored
    return state


def state_positions(server: Host, state: DocState) -> Positions:
    """The position index of the analysed text (built once per text)."""
    positions = state.positions
    if positions is None or positions.text is not state.text:
        positions = server.positions(state.text or "")
        state.positions = positions
    return positions
