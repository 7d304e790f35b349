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
from typing import Any

from inkmod.style.document import Block
from inkmod.style.weights import combined_surprise


@dataclass(frozen=True)
class Score:
    """A paragraph's drift as the engine reported it (independent of threshold and ignores)."""

    score: float | None
    """0-1, or None when the paragraph is too short to judge."""
    words: int
    reasons: tuple[str, ...]
    components: Mapping[str, float] = field(default_factory=dict)

    @property
    def surprise(self) -> float | None:
        """The combined surprise behind :attr:`score` (weighted mean of the components).

        Why the server needs it: the 0-1 score is a normal CDF and saturates at 1.0 for text
        far from the writer, so "is this rewrite closer to my style than the original?" cannot
        be answered from scores alone when both are 1.0. The combined surprise is the same
        quantity before the CDF, so it orders paragraphs exactly as the score does where the
        score still can, and keeps ordering them where it cannot.
        """
        if self.score is None or not self.components:
            return None
        return combined_surprise(self.components)

    def to_json(self) -> dict[str, Any]:
        surprise = self.surprise
        return {
            "score": self.score,
            "surprise": round(surprise, 3) if surprise is not None else None,
        }

    @classmethod
    def from_report(cls, report: Mapping[str, Any]) -> Score:
        """From a ``ParagraphReport.to_dict()`` as the daemon's ``analyze`` returns it."""
        raw = report.get("score")
        return cls(
            score=float(raw) if isinstance(raw, (int, float)) else None,
            words=int(report.get("words") or 0),
            reasons=tuple(str(r) for r in report.get("reasons") or ()),
            components={str(k): float(v) for k, v in (report.get("components") or {}).items()},
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
