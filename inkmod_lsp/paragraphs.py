"""Scores as the server sees them: a block's drift, and blocks judged against the threshold.

The document model itself -- :class:`~inkmod.style.document.Block`, :func:`~inkmod.style.
document.parse`, the language mapping -- is the engine's (:mod:`inkmod.style.document`), shared
with the CLI and the daemon. Why the server parses documents itself instead of sending whole
documents to be analysed: parsing is the cheap part (a markup parser, no word-frequency tables),
and knowing each paragraph's content hash *before* scoring means an edit sends only the
paragraphs whose text changed -- typing in a 10,000-word chapter re-scores one paragraph, and the
daemon receives a few hundred bytes instead of the chapter.

Nothing here imports pygls or lsprotocol: :mod:`inkmod_lsp.convert` turns these into LSP types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from inkmod.style.document import Block

if TYPE_CHECKING:
    from inkmod.rpc.protocol import BlockReport


@dataclass(frozen=True)
class Score:
    """A paragraph's drift as the engine reported it (independent of threshold and ignores)."""

    score: float | None
    """0-1, or None when the paragraph is too short to judge."""
    words: int
    reasons: tuple[str, ...]
    components: Mapping[str, float] = field(default_factory=dict)
    surprise: float | None = None
    """The standardised surprise behind :attr:`score` (it keeps ordering paragraphs after the
    0-1 score saturates at 1.0), as the engine computed it."""

    @classmethod
    def from_report(cls, report: BlockReport) -> Score:
        """From the daemon's report of one block (:class:`inkmod.rpc.protocol.BlockReport`)."""
        return cls(
            score=report.score,
            words=report.words,
            reasons=tuple(report.reasons),
            components=dict(report.components),
            surprise=report.surprise,
        )


@dataclass(frozen=True)
class Scored:
    """A block with its score, judged against the current threshold and ignore list."""

    block: Block
    score: Score
    drifting: bool
    ignored: bool


def judge(
    blocks: Sequence[Block],
    scores: Mapping[str, Score],
    threshold: float,
    ignored: frozenset[str],
) -> list[Scored]:
    """Combine blocks with their scores; ``drifting`` is ``score > threshold`` (as the engine
    defines it) and never true for an ignored paragraph."""
    out: list[Scored] = []
    for block in blocks:
        score = scores.get(block.hash)
        if score is None:
            continue
        is_ignored = block.hash in ignored
        drifting = not is_ignored and score.score is not None and score.score > threshold
        out.append(Scored(block, score, drifting, is_ignored))
    return out
