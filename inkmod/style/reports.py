"""Scoring a whole document block by block, with exact source ranges (the engine side).

:mod:`inkmod.style.document` cuts the text into blocks; this module scores each against a
profile (through a :class:`~inkmod.style.document.ScoreCache` keyed by content and profile
version) and reports LSP positions. Used by ``inkmod analyze``, the demo and the daemon's
``analyze`` method; the language server never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inkmod.style.document import DEFAULT_THRESHOLD, Block, ScoreCache, parse
from inkmod.style.drift import DriftResult
from inkmod.style.markup import LineIndex
from inkmod.style.profile import StyleProfile

DriftCache = ScoreCache[tuple[str, float], DriftResult]
"""Drift results by (block hash, profile version)."""


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


def score_block(
    block: Block, profile: StyleProfile, cache: DriftCache | None = None
) -> DriftResult:
    """Drift of one prose block (cached by content and profile version)."""
    key = (block.hash, profile.updated_at)
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = profile.score_text(block.text)
    if cache is not None:
        cache.put(key, result)
    return result


def analyze_text(
    text: str,
    fmt: str,
    profile: StyleProfile,
    *,
    threshold: float | None = None,
    cache: DriftCache | None = None,
    ignored: frozenset[str] = frozenset(),
    check: Callable[[], None] | None = None,
) -> list[ParagraphReport]:
    """Score every prose block of ``text`` (``fmt``: anything :func:`~inkmod.style.document.
    format_for` accepts) against ``profile``.

    ``ignored`` holds paragraph hashes the writer asked to ignore: they are reported with no
    score and are never drifting. ``check`` is called before each paragraph and may raise to
    stop (the daemon cancels the analysis of a client that went away).
    """
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    index = LineIndex(text)
    reports: list[ParagraphReport] = []
    for block in parse(text, fmt):
        if check is not None:
            check()
        result = score_block(block, profile, cache)
        score = result.score
        reasons = result.reasons
        if block.hash in ignored:
            score, reasons = None, ("ignored at your request",)
        reports.append(
            ParagraphReport(
                start=Position(*index.position(block.start)),
                end=Position(*index.position(block.end)),
                start_offset=block.start,
                end_offset=block.end,
                kind=block.kind,
                words=result.words,
                score=score,
                drifting=score is not None and score > limit,
                reasons=reasons,
                components=dict(result.components),
                text_hash=block.hash,
            )
        )
    return reports
