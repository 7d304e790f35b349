"""The document model: a text in some markup, cut into the prose blocks InkMod scores.

One :class:`Block` type, one :func:`parse`, one set of scored block kinds (:data:`SCORED_KINDS`)
and one language mapping (:func:`format_for`), used by the CLI, the daemon, the rewrite engine and
the language server alike. Scoring a document lives in :mod:`inkmod.style.reports`.

Why this module is light: the language server parses every document on every keystroke but must
not load the drift engine (its word tables alone would push the server past its memory budget),
so this module imports only the pure-Python markup parsers. An import-linter contract in
``pyproject.toml`` keeps it so.

Why a cache keyed by content: in the editor every keystroke re-analyses the document, but only the
paragraph being typed has changed. Scores are cached by the paragraph's text hash (and, in the
engine, the profile's version), so an edit re-scores only the paragraphs it touched.
"""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from inkmod.style.markup import Format, canonical_language, extract_prose, format_for_language_id

__all__ = [
    "DEFAULT_THRESHOLD",
    "SCORED_KINDS",
    "Block",
    "DocumentFormat",
    "Format",
    "ScoreCache",
    "block_at",
    "canonical_language",
    "format_for",
    "markup_format",
    "parse",
    "text_hash",
]

DEFAULT_THRESHOLD = 0.95
"""A paragraph drifts when its score is above this: more unusual than 95 % of your own."""

SCORED_KINDS = frozenset({"paragraph", "quote", "list"})
"""The block kinds that are prose to score and rewrite (headings are not)."""

DocumentFormat = Literal[
    "markdown", "restructuredtext", "latex", "plaintext", "gitcommit", "asciidoc"
]
"""A markup :data:`~inkmod.style.markup.Format`, or one of the two plain-text dialects the
extractor understands through keywords."""

_DIALECTS = ("gitcommit", "asciidoc")


def format_for(language_id_or_format: str | None) -> DocumentFormat:
    """The document format for an LSP language id, an editor's alias of one (Neovim's ``rst``,
    ``tex``, ``text``) or a format name; anything unknown is plain text."""
    lid = canonical_language(language_id_or_format)
    if lid == "gitcommit":
        return "gitcommit"
    if lid == "asciidoc":
        return "asciidoc"
    return format_for_language_id(lid)


def markup_format(language_id_or_format: str | None) -> Format:
    """:func:`format_for` without the dialects (``gitcommit``, ``asciidoc`` -> ``plaintext``):
    what to send where only the four markup families are understood."""
    return format_for_language_id(canonical_language(language_id_or_format))


def text_hash(text: str) -> str:
    """Content hash of a block's text: the key of the score caches and of ignored paragraphs."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Block:
    """One prose block of a document: what is scored, and where it is in the source."""

    start: int
    """Offset (code points) of the block's first source character."""
    end: int
    """Offset just after its last source character."""
    kind: str
    """One of :data:`SCORED_KINDS`."""
    text: str
    """The prose with markup removed and whitespace collapsed: what the engine scores."""
    hash: str
    """:func:`text_hash` of :attr:`text`."""


def parse(text: str, language_id_or_format: str | None) -> list[Block]:
    """The scored prose blocks of ``text`` (paragraphs, quotes, lists), in document order.

    ``language_id_or_format`` goes through :func:`format_for`, so ``"rst"``, ``"gitcommit"`` and
    ``"restructuredtext"`` all work. Never raises (see :func:`~inkmod.style.markup.extract_prose`).
    """
    fmt = format_for(language_id_or_format)
    blocks = extract_prose(
        text,
        "plaintext" if fmt in _DIALECTS else fmt,  # type: ignore[arg-type]
        gitcommit=fmt == "gitcommit",
        asciidoc=fmt == "asciidoc",
    )
    return [
        Block(b.source_start, b.source_end, b.kind, b.text, text_hash(b.text))
        for b in blocks
        if b.kind in SCORED_KINDS and b.text.strip()
    ]


def block_at(blocks: Sequence[Block], offset: int) -> Block | None:
    """The block containing ``offset`` (its end counts as inside: a cursor after the last
    character of a paragraph is still "in" it)."""
    starts = [b.start for b in blocks]
    index = bisect_right(starts, offset) - 1
    if index >= 0 and blocks[index].start <= offset <= blocks[index].end:
        return blocks[index]
    return None


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ScoreCache(Generic[K, V]):
    """Bounded LRU cache of scores by key. Thread-safe.

    The engine keys drift results by ``(paragraph hash, profile version)``; the language server
    keys its scores by paragraph hash and calls :meth:`clear` whenever the profile changes, so
    that results computed for an older profile (:attr:`generation`) are never stored.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.generation = 0
        """Incremented by :meth:`clear`; work started under an older generation is discarded."""

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, key: K, value: V) -> None:
        self.put_many({key: value})

    def get_many(self, keys: Sequence[K]) -> dict[K, V]:
        """The cached values among ``keys`` (missing keys are left out)."""
        with self._lock:
            found: dict[K, V] = {}
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                    found[key] = value
            self.hits += len(found)
            self.misses += len(keys) - len(found)
            return found

    def put_many(self, items: Mapping[K, V], generation: int | None = None) -> None:
        """Store ``items``, unless ``generation`` is given and the cache was cleared since."""
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            for key, value in items.items():
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.generation += 1

    def __len__(self) -> int:
        return len(self._items)
