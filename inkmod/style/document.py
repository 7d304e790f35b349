"""Scoring a whole document paragraph by paragraph, with exact source ranges.

Why a cache keyed by content: in the editor every keystroke re-analyses the document, but only the
paragraph being typed has changed. Scores are cached by the paragraph's text hash and the profile's
version, so an edit re-scores only the paragraphs it touched.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inkmod.style.drift import DriftResult
from inkmod.style.features import paragraph_features
from inkmod.style.markup import LineIndex, ProseBlock, extract_prose
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import parse_paragraph

DEFAULT_THRESHOLD = 0.95
SCORED_KINDS = frozenset({"paragraph", "quote", "list"})


@dataclass(frozen=True)
class Position:
    line: int
    character: int

    def to_dict(self) -> dict[str, int]:
        return {"line": self.line, "character": self.character}


@dataclass(frozen=True)
class ParagraphReport:
    """One paragraph's drift with its range in the original text (LSP positions, UTF-16)."""

    start: Position
    end: Position
    start_offset: int
    end_offset: int
    kind: str
    words: int
    score: float | None
    drifting: bool
    reasons: tuple[str, ...]
    components: dict[str, float] = field(default_factory=dict)
    text_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.to_dict(),
            "end": self.end.to_dict(),
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
            "kind": self.kind,
            "words": self.words,
            "score": self.score,
            "drifting": self.drifting,
            "reasons": list(self.reasons),
            "components": {k: round(v, 3) for k, v in self.components.items()},
            "hash": self.text_hash,
        }


class ScoreCache:
    """LRU cache of drift results by (paragraph hash, profile version). Thread-safe."""

    def __init__(self, capacity: int = 4096) -> None:
        self._items: OrderedDict[tuple[str, float], DriftResult] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, float]) -> DriftResult | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, key: tuple[str, float], value: DriftResult) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def score_block(
    block: ProseBlock, profile: StyleProfile, cache: ScoreCache | None = None
) -> tuple[DriftResult, str]:
    """Drift of one prose block (cached by content)."""
    digest = text_hash(block.text)
    key = (digest, profile.updated_at)
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached, digest
    result = profile.score_features(paragraph_features(parse_paragraph(block.text)))
    if cache is not None:
        cache.put(key, result)
    return result, digest


def prose_blocks(text: str, fmt: str) -> list[ProseBlock]:
    """Prose blocks of ``text``; ``fmt`` is a markup format or the LSP ids gitcommit/asciidoc."""
    if fmt == "gitcommit":
        return extract_prose(text, "plaintext", gitcommit=True)
    if fmt == "asciidoc":
        return extract_prose(text, "plaintext", asciidoc=True)
    return extract_prose(text, fmt)  # type: ignore[arg-type]


def analyze_text(
    text: str,
    fmt: str,
    profile: StyleProfile,
    *,
    threshold: float | None = None,
    cache: ScoreCache | None = None,
    ignored: frozenset[str] = frozenset(),
    check: Callable[[], None] | None = None,
) -> list[ParagraphReport]:
    """Score every prose paragraph of ``text`` (in markup format ``fmt``) against ``profile``.

    ``ignored`` holds paragraph hashes the writer asked to ignore: they are reported with no
    score and are never drifting. ``check`` is called before each paragraph and may raise to
    stop (the daemon cancels the analysis of a client that went away).
    """
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    index = LineIndex(text)
    reports: list[ParagraphReport] = []
    for block in prose_blocks(text, fmt):
        if block.kind not in SCORED_KINDS:
            continue
        if check is not None:
            check()
        result, digest = score_block(block, profile, cache)
        score = result.score
        reasons = result.reasons
        if digest in ignored:
            score, reasons = None, ("ignored at your request",)
        start, end = block.source_start, block.source_end
        reports.append(
            ParagraphReport(
                start=Position(*index.position(start)),
                end=Position(*index.position(end)),
                start_offset=start,
                end_offset=end,
                kind=block.kind,
                words=result.words,
                score=score,
                drifting=score is not None and score > limit,
                reasons=reasons,
                components=dict(result.components),
                text_hash=digest,
            )
        )
    return reports
