"""A document as the server sees it: prose paragraphs with their source offsets and hashes.

Why the server extracts paragraphs itself instead of sending whole documents to be analysed:
extraction is the cheap part (a markup parser, no word-frequency tables), and knowing each
paragraph's content hash *before* scoring means an edit sends only the paragraphs whose text
changed -- typing in a 10,000-word chapter re-scores one paragraph, and the daemon receives a few
hundred bytes instead of the chapter. It also lets the server honour ``gitcommit`` and
``asciidoc``, which :func:`extract_prose` understands through keywords.

Nothing here imports pygls or lsprotocol: :mod:`inkmod_lsp.convert` turns these into LSP types.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inkmod.style.document import SCORED_KINDS, text_hash
from inkmod.style.markup import Format, extract_prose, format_for_language_id


@dataclass(frozen=True)
class Block:
    """One prose paragraph of a document: what is scored, and where it is in the source."""

    start: int
    """Offset (code points) of the paragraph's first source character."""
    end: int
    """Offset just after its last source character."""
    kind: str
    text: str
    """The prose with markup removed and whitespace collapsed: what the engine scores."""
    hash: str
    """Content hash of :attr:`text` -- the key of the score caches and of ignored paragraphs."""


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
        from inkmod.style.drift import COMPONENT_WEIGHTS

        total = sum(COMPONENT_WEIGHTS.values())
        return sum(COMPONENT_WEIGHTS.get(k, 0.0) * v for k, v in self.components.items()) / total

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


LANGUAGE_ALIASES: dict[str, str] = {
    "text": "plaintext",
    "txt": "plaintext",
    "rst": "restructuredtext",
    "tex": "latex",
    "plaintex": "latex",
    "mdx": "markdown",
    "asciidoctor": "asciidoc",
}
"""Editors' names for the same languages: Neovim sends its filetype (``text``, ``rst``,
``tex``) where VS Code sends the LSP language id (``plaintext``, ``restructuredtext``,
``latex``)."""


def canonical_language(language_id: str | None) -> str:
    lid = (language_id or "plaintext").strip().lower()
    return LANGUAGE_ALIASES.get(lid, lid)


def document_format(language_id: str | None) -> Format:
    return format_for_language_id(canonical_language(language_id))


def extract_blocks(text: str, language_id: str | None) -> list[Block]:
    """The scored prose blocks of ``text`` (paragraphs, quotes, list items), in order."""
    lid = canonical_language(language_id)
    blocks = extract_prose(
        text,
        document_format(lid),
        gitcommit=lid == "gitcommit",
        asciidoc=lid == "asciidoc",
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
