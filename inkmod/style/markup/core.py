"""The shared core of the extractors: the result type, the block builder, line and offset helpers.

Every grammar module (:mod:`.markdown`, :mod:`.rst`, :mod:`.latex`, :mod:`.plain`,
:mod:`.gitcommit`, :mod:`.asciidoc`) builds :class:`ProseBlock` objects through :class:`_Builder`
(and, for inline markup, :class:`_Virtual`), so the offset rules of the package docstring are
implemented once. :class:`LineIndex` turns offsets into LSP positions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Format = Literal["markdown", "restructuredtext", "latex", "plaintext"]

# A [start, end) range of the source (for lines: the content without its line terminator).
_Seg: TypeAlias = tuple[int, int]
# A block before inline processing: its kind and groups of segments. Each group is inline-parsed
# on its own (so emphasis cannot run from one list item into the next); a space joins the groups.
_Raw: TypeAlias = tuple[str, list[list[_Seg]]]
# An inline output operation on a "virtual" text: copy v[a:b] (text None) or emit a synthesised
# string standing for v[a:b].
_Op: TypeAlias = tuple[int, int, str | None]

# Nesting deeper than this (quotes in lists in quotes ...) is flattened instead of recursed into, so
# a pathological document cannot exhaust the interpreter stack.
_MAX_DEPTH = 32
# How far down the stack of potential emphasis openers a closer looks (CommonMark bounds this
# search differently, with the same aim: no quadratic time on runs of delimiters).
_MAX_OPENER_SEARCH = 64

_NEWLINE = re.compile(r"\r\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Whitespace runs that need rewriting: two or more characters, or one that is not a plain space.
_WS_RUN = re.compile(r"\s(?:\s+|(?<! ))")
_HSPACE = re.compile(r"[ \t]*")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


# --------------------------------------------------------------------------------------------------
# Result type
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProseBlock:
    """One paragraph of prose with markup removed.

    ``text`` has inline markup removed and every internal run of whitespace (line breaks included)
    collapsed to one space, because the style engine measures words and sentences, not layout.
    ``char_map`` has ``len(text) + 1`` entries: ``char_map[i]`` is the source offset of ``text[i]``
    and the last entry is the source offset just after the block's last character, so any range of
    ``text`` can be mapped back to the document (see :meth:`source_span`).
    ``kind`` is ``"paragraph"``, ``"heading"``, ``"list"`` or ``"quote"``.
    """

    text: str
    kind: str
    char_map: tuple[int, ...]
    # Sorted (source offset, source end) pairs for synthesised characters that replace more than one
    # source character (``---`` -> ``—``, ``&amp;`` -> ``&``), so that a range ending on one of them
    # maps to the end of what it replaced. Private: not part of equality or the public API.
    _wide: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)

    @property
    def source_start(self) -> int:
        """Source offset of the first character of the block."""
        return self.char_map[0]

    @property
    def source_end(self) -> int:
        """Source offset just after the last character of the block."""
        return self.char_map[-1]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the ``[start, end)`` range of :attr:`text` to a ``[start, end)`` range of the source.

        The source range starts at the first character and ends just after the last character of the
        text range, so markup *around* the range (closing ``**``, a link URL) is not included but
        markup *inside* it is. Out-of-range arguments are clamped, because diagnostics computed on a
        stale text must still produce a valid range rather than an exception.
        """
        n = len(self.text)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        first = self.char_map[start]
        if end == start:
            return first, first
        if end == n:
            return first, self.char_map[n]
        last = self.char_map[end - 1]
        for offset, stop in self._wide:
            if offset == last:
                return first, stop
            if offset > last:
                break
        return first, last + 1


class _Builder:
    """Accumulates the text of one block and the source offset of every character.

    Whole runs are appended at once (``list.extend`` of a ``range`` or a slice runs in C), which is
    what keeps extraction of a large document in the low milliseconds.
    """

    __slots__ = ("offsets", "parts", "wide")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offsets: list[int] = []
        self.wide: dict[int, int] = {}

    def add(self, text: str, offsets: Iterable[int]) -> None:
        self.parts.append(text)
        self.offsets.extend(offsets)

    def synth(self, text: str, start: int, end: int) -> None:
        """Append characters that stand for source ``[start, end)`` (all mapped to ``start``)."""
        if not text:
            return
        self.parts.append(text)
        self.offsets.extend([start] * len(text))
        if end > start + 1:
            self.wide[start] = end

    def finish(self, kind: str) -> ProseBlock | None:
        raw = "".join(self.parts)
        hi = len(raw.rstrip())
        if hi == 0:
            return None
        lo = len(raw) - len(raw.lstrip())
        offs = self.offsets
        runs = [m.span() for m in _WS_RUN.finditer(raw, lo, hi)]
        if not runs:  # common for a single line: no copying beyond the final slice
            text = raw[lo:hi]
            out_map = offs[lo:hi]
        else:
            text_parts: list[str] = []
            out_map = []
            pos = lo
            for s, e in runs:
                text_parts.append(raw[pos:s])
                out_map.extend(offs[pos:s])
                text_parts.append(" ")
                out_map.append(offs[s])
                pos = e
            text_parts.append(raw[pos:hi])
            out_map.extend(offs[pos:hi])
            text = "".join(text_parts)
        last = out_map[-1]
        out_map.append(self.wide.get(last, last + 1))
        wide = tuple(sorted(self.wide.items())) if self.wide else ()
        return ProseBlock(text, kind, tuple(out_map), wide)


# --------------------------------------------------------------------------------------------------
# Line helpers shared by the line-based formats
# --------------------------------------------------------------------------------------------------


def _content_start(source: str) -> int:
    """Skip a byte-order mark: it is not text, and editors count it as no column."""
    return 1 if source.startswith("\ufeff") else 0


def _split_lines(src: str, start: int) -> list[_Seg]:
    """Content ranges of the lines of ``src``; line breaks are CRLF, CR and LF, as in LSP."""
    lines: list[_Seg] = []
    pos = start
    for m in _NEWLINE.finditer(src, start):
        lines.append((pos, m.start()))
        pos = m.end()
    if pos < len(src):
        lines.append((pos, len(src)))
    return lines


def _indent(src: str, s: int, e: int) -> tuple[int, int]:
    """Indentation width in columns (tab stops of 4) and the offset of the first non-blank char."""
    m = _HSPACE.match(src, s, e)
    p = m.end() if m is not None else s
    if src.find("\t", s, p) < 0:
        return p - s, p
    col = 0
    for k in range(s, p):
        col = col + 4 - col % 4 if src[k] == "\t" else col + 1
    return col, p


def _strip_cols(src: str, s: int, e: int, n: int) -> int:
    """Offset after removing up to ``n`` columns of indentation from the line ``[s, e)``."""
    m = _HSPACE.match(src, s, e)
    p = m.end() if m is not None else s
    if src.find("\t", s, p) < 0:
        return min(p, s + max(n, 0))
    col = 0
    k = s
    while k < p and col < n:
        col = col + 4 - col % 4 if src[k] == "\t" else col + 1
        k += 1
    return k


def _blank(src: str, p: int, e: int) -> bool:
    """Is ``[p, e)`` (a line after its indentation) empty or whitespace only?"""
    return p >= e or (src[p].isspace() and src[p:e].isspace())


def _flatten(src: str, lines: list[_Seg]) -> list[_Seg]:
    """Non-blank lines without their indentation: the fallback for nesting beyond _MAX_DEPTH."""
    segs: list[_Seg] = []
    for s, e in lines:
        p = _indent(src, s, e)[1]
        if not _blank(src, p, e):
            segs.append((p, e))
    return segs


def _rstrip_end(src: str, s: int, e: int) -> int:
    while e > s and src[e - 1].isspace():
        e -= 1
    return e


class _Virtual:
    """Segments joined with ``\\n`` into one string to inline-parse, and the way back to the source.

    Inline constructs (emphasis, links, code spans) may span line breaks, so they are parsed on the
    joined text; each joining ``\\n`` maps to the previous line's terminator. The mapping is kept
    per segment rather than per character, so emitting a run of text is one ``range`` extension.
    """

    __slots__ = ("ends", "lens", "sstarts", "v", "vstarts")

    def __init__(self, src: str, segs: list[_Seg]) -> None:
        self.vstarts: list[int] = []
        self.sstarts: list[int] = []
        self.lens: list[int] = []
        self.ends: list[int] = []
        pos = 0
        for s, e in segs:
            self.vstarts.append(pos)
            self.sstarts.append(s)
            self.lens.append(e - s)
            self.ends.append(e)
            pos += e - s + 1
        self.v = "\n".join([src[s:e] for s, e in segs])

    def source(self, x: int) -> int:
        """Source offset of ``v[x]``."""
        k = bisect_right(self.vstarts, x) - 1
        d = x - self.vstarts[k]
        return self.sstarts[k] + d if d < self.lens[k] else self.ends[k]

    def emit(self, builder: _Builder, ops: list[_Op]) -> None:
        """Append the output of ``ops`` to ``builder``.

        A joining ``\\n`` is copied as a space (mapped to the line terminator), which saves
        :meth:`_Builder.finish` from rewriting every line break of a wrapped paragraph.
        """
        v = self.v
        parts = builder.parts
        offsets = builder.offsets
        vstarts, sstarts, lens, ends = self.vstarts, self.sstarts, self.lens, self.ends
        if len(vstarts) == 1:
            base = sstarts[0]
            for a, b, t in ops:
                if b <= a:
                    continue
                if t is None:
                    parts.append(v[a:b])
                    offsets.extend(range(base + a, base + b))
                else:
                    builder.synth(t, base + a, base + b)
            return
        last = len(vstarts) - 1
        k = 0
        for a, b, t in ops:
            if b <= a:
                continue
            if t is not None:
                builder.synth(t, self.source(a), self.source(b - 1) + 1)
                continue
            parts.append(v[a:b].replace("\n", " "))
            if not vstarts[k] <= a or (k < last and a >= vstarts[k + 1]):
                k = bisect_right(vstarts, a) - 1
            while a < b:
                vs = vstarts[k]
                seg_end = vs + lens[k]
                if a < seg_end:
                    stop = b if b < seg_end else seg_end
                    base = sstarts[k] - vs
                    offsets.extend(range(base + a, base + stop))
                    a = stop
                else:  # the joining "\n"
                    offsets.append(ends[k])
                    a += 1
                    k += 1


def _plain_paragraphs(src: str, lines: list[_Seg]) -> list[list[_Seg]]:
    paragraphs: list[list[_Seg]] = []
    para: list[_Seg] = []
    for s, e in lines:
        _cols, p = _indent(src, s, e)
        if _blank(src, p, e):
            if para:
                paragraphs.append(para)
                para = []
        else:
            para.append((p, e))
    if para:
        paragraphs.append(para)
    return paragraphs


# --------------------------------------------------------------------------------------------------
# Offsets <-> LSP positions
# --------------------------------------------------------------------------------------------------


class LineIndex:
    """Offset <-> (line, character) for one source text, for LSP ranges.

    LSP positions count characters in UTF-16 code units by default, while Python strings index code
    points; the two differ only for astral characters (emoji, some CJK), so their offsets are kept
    in a sorted list and positions are corrected with two bisections. Line breaks are ``\\r\\n``,
    ``\\r`` and ``\\n``, exactly the ones LSP recognises.
    """

    __slots__ = ("_astral", "_ends", "_length", "_starts")

    def __init__(self, source: str) -> None:
        starts = [0]
        ends: list[int] = []
        for m in _NEWLINE.finditer(source):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(source))
        self._starts = starts
        self._ends = ends
        self._length = len(source)
        self._astral: list[int] = (
            [m.start() for m in _ASTRAL.finditer(source)]
            if source and max(source) > "\uffff"
            else []
        )

    def position(self, offset: int, *, utf16: bool = True) -> tuple[int, int]:
        """0-based ``(line, character)`` of a source offset.

        Offsets are clamped to the text; an offset inside a line terminator maps to the end of the
        line's content.
        """
        offset = min(max(offset, 0), self._length)
        line = bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        offset = min(offset, self._ends[line])
        character = offset - start
        if utf16 and self._astral:
            astral = self._astral
            character += bisect_left(astral, offset) - bisect_left(astral, start)
        return line, character

    def offset(self, line: int, character: int, *, utf16: bool = True) -> int:
        """Source offset of a 0-based ``(line, character)``; the inverse of :meth:`position`.

        Out-of-range values are clamped (a line past the end gives the end of the text, a character
        past the end of a line gives the end of that line's content), because clients do send
        positions for text that has just changed. A UTF-16 position inside a surrogate pair snaps
        to the start of that character.
        """
        if line < 0:
            return 0
        if line >= len(self._starts):
            return self._length
        start = self._starts[line]
        end = self._ends[line]
        if character <= 0:
            return start
        if not utf16 or not self._astral:
            return min(start + character, end)
        astral = self._astral
        pos = start
        units = 0
        for a in astral[bisect_left(astral, start) : bisect_left(astral, end)]:
            units_at_a = units + (a - pos)
            if character <= units_at_a:
                return pos + (character - units)
            if character == units_at_a + 1:
                return a
            units = units_at_a + 2
            pos = a + 1
        return min(pos + (character - units), end)
