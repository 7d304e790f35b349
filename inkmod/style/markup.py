"""Markup-aware prose extraction that keeps a map back to the original text.

Why this module exists: the style engine should measure only what the author wrote as prose -- not
code, URLs, front matter or LaTeX math -- but the language server must put its diagnostics on exact
ranges of the *original* document. So every extractor here returns :class:`ProseBlock` objects whose
``char_map`` ties each extracted character to its offset in the source, and :class:`LineIndex` turns
those offsets into LSP ``(line, character)`` positions.

Shared design rules (each one exists so that a diagnostic can always be mapped back):

* Characters copied from the source map to their own offset. A *synthesised* character (the one
  space a run of whitespace or a line break collapses to, ``~`` in LaTeX, ``---`` turned into ``—``,
  an HTML entity) maps to the source offset of the first character it replaces, so ``char_map`` is
  monotonically non-decreasing within a block.
* Markup that is not prose is dropped together with its content: code (fenced, indented, inline),
  math, tables, HTML blocks, directives, front matter, URLs, citations and cross-references.
* Footnote bodies are prose the author wrote but not part of the sentence that references them, so
  in every format a footnote becomes its *own* ``"paragraph"`` block (Markdown ``[^x]: text``, rST
  ``.. [1] text``, LaTeX ``\\footnote{text}``). The reference marker itself is removed. A LaTeX
  footnote's range lies inside the range of the block that contains the ``\\footnote``; blocks are
  always returned ordered by ``source_start``.
* The parsers are deliberately small approximations of CommonMark, docutils and TeX: an editor
  sends half-typed documents on every keystroke, so they are total (nothing raises; an unterminated
  fence is code until the end of the document, unterminated LaTeX math or arguments end at the next
  blank line) and linear-ish in time. As a last line of defence :func:`extract_prose` falls back to
  plain-text paragraphs if a parser ever fails, because a crashing language server is worse than a
  coarse diagnostic.

Per-format decisions:

* Markdown: link text is kept, URLs, autolinks, images (alt text included) and footnote references
  are dropped; ``<br>`` becomes a space; entities are decoded; a whole contiguous list is one
  ``"list"`` block (a new bullet character starts a new list, as in CommonMark); everything inside
  a block quote is ``"quote"``.
* reStructuredText: every explicit markup block (directives, admonitions included, comments,
  targets, substitution definitions) is skipped -- one simple rule -- except footnotes/citations.
  Roles keep their text (``:ref:`Title <x>``` -> ``Title``, ``:meth:`~a.b``` -> ``b``) except the
  code and math roles (``math code literal samp kbd raw eq``). Field lists are ``"list"`` blocks of
  their bodies (field names are metadata). A definition list gives its term and its definition as
  separate blocks.
* LaTeX: only the ``document`` body, if there is one. ``\\texttt`` and ``\\verb`` are code, so they
  are dropped like citations, references, labels, URLs and graphics; ``\\href`` keeps its text;
  ``\\emph``, ``\\textbf`` and unknown commands are dropped but the text of their ``{..}`` groups is
  kept. Math, floats (with their captions), tabulars and verbatim-like environments are dropped;
  ``quote``/``quotation``/``verse`` give ``"quote"`` blocks, ``itemize``/``enumerate``/
  ``description`` one ``"list"`` block (an ``\\item[label]`` keeps its label). Typography becomes
  the characters it prints (`` `` `` -> “, ``''`` -> ”, ``--`` -> –, ``---`` -> —, ``~`` -> space,
  accents composed); a lone ``'`` stays an apostrophe. Unlike TeX, a space after a control word is
  kept: ``\\LaTeX is`` means "LaTeX is" to its author.
* Plain text: paragraphs split at blank lines; the ``gitcommit`` and ``asciidoc`` keywords of
  :func:`extract_prose` add those dialects.

Only the standard library is used, so the engine runs without any markup dependency.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "Format",
    "LineIndex",
    "ProseBlock",
    "extract_prose",
    "format_for_language_id",
    "format_for_path",
]

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
# Format detection
# --------------------------------------------------------------------------------------------------

_SUFFIX_FORMATS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".rst": "restructuredtext",
    ".rest": "restructuredtext",
    ".tex": "latex",
    ".latex": "latex",
}

_LANGUAGE_FORMATS: dict[str, Format] = {
    "markdown": "markdown",
    "mdx": "markdown",
    "restructuredtext": "restructuredtext",
    "rst": "restructuredtext",
    "latex": "latex",
    "tex": "latex",
    "plaintext": "plaintext",
    "asciidoc": "plaintext",
    "gitcommit": "plaintext",
}


def format_for_path(path: str | os.PathLike[str]) -> Format:
    """Guess the markup of a file from its suffix.

    The CLI reads files from disk with no other hint; unknown suffixes are treated as plain text,
    which is always safe (nothing is dropped that could be prose).
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return _SUFFIX_FORMATS.get(suffix, "plaintext")


def format_for_language_id(language_id: str) -> Format:
    """Map an LSP ``languageId`` to a :data:`Format`.

    ``asciidoc`` and ``gitcommit`` map to ``"plaintext"``: their markup is light enough that the
    plain-text extractor handles them, given the matching keyword of :func:`extract_prose`, e.g.
    ``extract_prose(text, format_for_language_id(lid), gitcommit=lid == "gitcommit",
    asciidoc=lid == "asciidoc")``. Keeping :data:`Format` to four values means every consumer that
    switches on it stays exhaustive.
    """
    return _LANGUAGE_FORMATS.get(language_id.strip().lower(), "plaintext")


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


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------

_MD_ATX = re.compile(r"#{1,6}(?=[ \t]|$)")
_MD_FENCE = re.compile(r"`{3,}|~{3,}")
_MD_SETEXT = re.compile(r"(?:=+|-+)[ \t]*$")
_MD_HR = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_ITEM = re.compile(r"(?:[-+*]|(\d{1,9})[.)])(?=[ \t]|$)")
_MD_REFDEF = re.compile(r"\[((?:[^\\\[\]]|\\.){1,999})\]:")
_MD_TABLE_DELIM = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_MD_FRONT_MATTER_KEY = re.compile(r"[ \t]*(?:#|\[|[^\s:=][^:=]*[:=])")
_MD_TASK = re.compile(r"\[[ xX]\](?=[ \t]|$)")
_TAG_NAME = r"[A-Za-z][A-Za-z0-9-]*"
_ATTRIBUTE = r"(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)"
_OPEN_TAG = rf"<{_TAG_NAME}{_ATTRIBUTE}*\s*/?>"
_CLOSE_TAG = rf"</{_TAG_NAME}\s*>"
_MD_HTML_1 = re.compile(r"<(?:script|pre|style|textarea)(?=[ \t>]|$)", re.IGNORECASE)
_MD_HTML_4 = re.compile(r"<![A-Za-z]")
_MD_HTML_6 = re.compile(
    r"</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    r"details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    r"h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|"
    r"optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|"
    r"track|ul)(?=[ \t>]|/>|$)",
    re.IGNORECASE,
)
_MD_HTML_7 = re.compile(rf"(?:{_OPEN_TAG}|{_CLOSE_TAG})[ \t]*$")
_MD_HTML_END: dict[int, re.Pattern[str]] = {
    1: re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE),
    2: re.compile(r"-->"),
    3: re.compile(r"\?>"),
    4: re.compile(r">"),
    5: re.compile(r"\]\]>"),
}
_MD_SPECIAL = re.compile(r"[\\`*_~\[!<&]")
_MD_SIMPLE_EMPHASIS = re.compile(r"(\*{1,2})(?=[^\s*])([^\\`*_~\[!<&]*?[^\s\\`*_~\[!<&])\1(?!\*)")
_MD_INLINE_HTML = re.compile(
    r"<!--[\s\S]*?-->"
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*>"
    r"|(?P<br><[bB][rR]\s*/?>)"
    rf"|{_OPEN_TAG}|{_CLOSE_TAG}"
    r"|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<![A-Za-z][^>]*>"
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Single character classes: the regex engine scans for those far faster than for alternations.
_MD_TICK_TOKEN = re.compile(r"[\\`]")
_MD_TICKS = re.compile(r"`+")
_MD_BRACKET_TOKEN = re.compile(r"[\\`\[\]()]")


def _norm_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _is_punct(ch: str) -> bool:
    return ch in _ASCII_PUNCT or (ch > "\x7f" and unicodedata.category(ch)[0] in "PS")


class _Markdown:
    """Block structure of Markdown (CommonMark plus GFM tables, task lists and footnotes)."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.refs: set[str] = set()

    def extract(self) -> list[ProseBlock]:
        src = self.src
        lines = _split_lines(src, _content_start(src))
        raw = self.blocks(lines[self._front_matter(lines) :], 0)
        out: list[ProseBlock] = []
        for kind, groups in raw:
            builder = _Builder()
            prev_end = -1
            for segs in groups:
                if not segs:
                    continue
                if prev_end >= 0:
                    builder.synth(" ", prev_end, prev_end + 1)
                virtual = _Virtual(src, segs)
                virtual.emit(builder, _MdInline(virtual.v, self.refs).parse(0, len(virtual.v), 0))
                prev_end = segs[-1][1]
            block = builder.finish(kind)
            if block is not None:
                out.append(block)
        return out

    def _front_matter(self, lines: list[_Seg]) -> int:
        """Number of lines of YAML (``---``) or TOML (``+++``) front matter at the top.

        The line after the opener must look like a key (``title: x``, ``title = "x"``, ``[table]``
        or a ``#`` comment), so that a document that merely starts with a thematic break is not
        swallowed up to the next one.
        """
        src = self.src
        if len(lines) < 2:
            return 0
        s, e = lines[0]
        first = src[s:e].rstrip()
        if first not in ("---", "+++"):
            return 0
        if not _MD_FRONT_MATTER_KEY.match(src, *lines[1]):
            return 0
        closers = ("---", "...") if first == "---" else ("+++",)
        for k in range(1, len(lines)):
            s2, e2 = lines[k]
            if src[s2:e2].rstrip() in closers:
                return k + 1
        return 0

    # -- block helpers ---------------------------------------------------------------------------

    def _fence(self, p: int, e: int) -> tuple[str, int] | None:
        m = _MD_FENCE.match(self.src, p, e)
        if m is None:
            return None
        run = m.group()
        if run[0] == "`" and self.src.find("`", m.end(), e) >= 0:
            return None
        return run[0], len(run)

    def _html_start(self, p: int, e: int, in_paragraph: bool) -> int | None:
        src = self.src
        if _MD_HTML_1.match(src, p, e):
            return 1
        if src.startswith("<!--", p):
            return 2
        if src.startswith("<?", p):
            return 3
        if src.startswith("<![CDATA[", p):
            return 5
        if _MD_HTML_4.match(src, p, e):
            return 4
        if _MD_HTML_6.match(src, p, e):
            return 6
        if not in_paragraph and _MD_HTML_7.match(src, p, e):
            return 7
        return None

    def _interrupts(self, p: int, e: int, cols: int) -> bool:
        """Does this (non-blank) line start a block, so it cannot be a lazy continuation line?"""
        if cols >= 4:
            return False
        src = self.src
        c = src[p]
        if c == "#":
            return _MD_ATX.match(src, p, e) is not None
        if c in "`~":
            return self._fence(p, e) is not None
        if c == ">":
            return True
        if c in "-*_" and _MD_HR.match(src, p, e):
            return True
        if c in "-+*" or "0" <= c <= "9":
            return _MD_ITEM.match(src, p, e) is not None
        if c == "<":
            return self._html_start(p, e, True) is not None
        return False

    def _skip_fence(self, lines: list[_Seg], i: int, ch: str, length: int) -> int:
        src = self.src
        n = len(lines)
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            i += 1
            if cols < 4 and p < e and src[p] == ch:
                k = p
                while k < e and src[k] == ch:
                    k += 1
                if k - p >= length and _blank(src, k, e):
                    return i
        return i

    def _skip_html(self, lines: list[_Seg], i: int, kind: int) -> int:
        src = self.src
        n = len(lines)
        end_pattern = _MD_HTML_END.get(kind)
        if end_pattern is None:
            while i < n and not _blank(src, *lines[i]):
                i += 1
            return i
        while i < n:
            s, e = lines[i]
            i += 1
            if end_pattern.search(src, s, e):
                return i
        return i

    # -- block parser ----------------------------------------------------------------------------

    def blocks(self, lines: list[_Seg], depth: int) -> list[_Raw]:
        src = self.src
        out: list[_Raw] = []
        para: list[_Seg] = []

        def flush() -> None:
            if para:
                out.append(("paragraph", [para.copy()]))
                para.clear()

        if depth > _MAX_DEPTH:
            para.extend(_flatten(src, lines))
            flush()
            return out

        i = 0
        n = len(lines)
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            if _blank(src, p, e):
                flush()
                i += 1
                continue
            if cols >= 4:
                if para:  # an indented line cannot interrupt a paragraph: lazy continuation
                    para.append((p, e))
                    i += 1
                    continue
                i += 1  # indented code block
                while i < n:
                    c2, p2 = _indent(src, *lines[i])
                    if c2 < 4 and not _blank(src, p2, lines[i][1]):
                        break
                    i += 1
                continue
            c = src[p]
            if para and c in "=-" and _MD_SETEXT.match(src, p, e):
                out.append(("heading", [para.copy()]))
                para.clear()
                i += 1
                continue
            if c == "#":
                m = _MD_ATX.match(src, p, e)
                if m is not None:
                    flush()
                    out.append(("heading", [[self._atx_content(m.end(), e)]]))
                    i += 1
                    continue
            if c in "`~":
                fence = self._fence(p, e)
                if fence is not None:
                    flush()
                    i = self._skip_fence(lines, i + 1, fence[0], fence[1])
                    continue
            if c == ">":
                flush()
                i = max(i + 1, self._quote(lines, i, depth, out))  # always make progress
                continue
            if c in "-*_" and _MD_HR.match(src, p, e):
                flush()
                i += 1
                continue
            if c in "-+*" or "0" <= c <= "9":
                m = _MD_ITEM.match(src, p, e)
                if m is not None and (
                    not para
                    or (not _blank(src, m.end(), e) and m.group(1) in (None, "1", "01", "001"))
                ):
                    flush()
                    i = max(i + 1, self._list(lines, i, depth, out))  # always make progress
                    continue
            if c == "<":
                html_kind = self._html_start(p, e, bool(para))
                if html_kind is not None:
                    flush()
                    i = max(i + 1, self._skip_html(lines, i, html_kind))  # always make progress
                    continue
            if c == "[" and not para:
                m = _MD_REFDEF.match(src, p, e)
                if m is not None:
                    label = m.group(1)
                    if label.startswith("^"):  # footnote definition: its text is prose
                        para.append((m.end(), e))
                    else:
                        self.refs.add(_norm_label(label))
                    i += 1
                    continue
            if i + 1 < n and src.find("|", p, e) >= 0:
                s2, e2 = lines[i + 1]
                c2, p2 = _indent(src, s2, e2)
                if (
                    c2 < 4
                    and src.find("|", p2, e2) >= 0
                    and src.find("-", p2, e2) >= 0
                    and _MD_TABLE_DELIM.match(src, p2, e2)
                ):
                    flush()
                    i += 2
                    while i < n:
                        s3, e3 = lines[i]
                        c3, p3 = _indent(src, s3, e3)
                        if _blank(src, p3, e3) or self._interrupts(p3, e3, c3):
                            break
                        i += 1
                    continue
            para.append((p, e))
            i += 1
        flush()
        return out

    def _atx_content(self, start: int, e: int) -> _Seg:
        src = self.src
        p = start
        while p < e and src[p] in " \t":
            p += 1
        q = e
        while q > p and src[q - 1] in " \t":
            q -= 1
        k = q
        while k > p and src[k - 1] == "#":
            k -= 1
        if k < q and (k == p or src[k - 1] in " \t"):
            q = k
            while q > p and src[q - 1] in " \t":
                q -= 1
        return p, q

    def _quote(self, lines: list[_Seg], i: int, depth: int, out: list[_Raw]) -> int:
        src = self.src
        n = len(lines)
        inner: list[_Seg] = []
        prev_text = False
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            blank = _blank(src, p, e)
            if not blank and cols < 4 and src[p] == ">":
                q = p + 1
                if q < e and src[q] in " \t":
                    q += 1
                inner.append((q, e))
                prev_text = not _blank(src, _indent(src, q, e)[1], e)
                i += 1
            elif not blank and prev_text and not self._interrupts(p, e, cols):
                inner.append((p, e))  # lazy continuation of a quoted paragraph
                i += 1
            else:
                break
        for _kind, groups in self.blocks(inner, depth + 1):
            out.append(("quote", groups))
        return i

    def _list(self, lines: list[_Seg], i: int, depth: int, out: list[_Raw]) -> int:
        """One block for a whole contiguous list: items are parsed recursively and merged."""
        src = self.src
        n = len(lines)
        groups: list[list[_Seg]] = []
        groups_started = False
        list_marker = ""
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            m = _MD_ITEM.match(src, p, e) if cols < 4 else None
            if m is None or _MD_HR.match(src, p, e):
                break
            me = m.end()
            marker = src[me - 1]  # bullet character, or "." / ")" after a number
            if groups_started and marker != list_marker:
                break
            groups_started, list_marker = True, marker
            spaces, q = _indent(src, me, e)
            marker_col = cols + (me - p)
            item: list[_Seg] = []
            if _blank(src, q, e):
                width = marker_col + 1
            else:
                if spaces > 4:  # the content is an indented code block; keep it simple
                    width = marker_col + 1
                    q = me + 1
                else:
                    width = marker_col + spaces
                task = _MD_TASK.match(src, q, e)
                if task is not None:
                    q = task.end()
                item.append((q, e))
            i += 1
            prev_text = bool(item)
            while i < n:
                s, e = lines[i]
                cols, p = _indent(src, s, e)
                if _blank(src, p, e):
                    item.append((e, e))
                    prev_text = False
                elif cols >= width:
                    item.append((_strip_cols(src, s, e, width), e))
                    prev_text = True
                elif prev_text and not self._interrupts(p, e, cols):
                    item.append((p, e))
                else:
                    break
                i += 1
            for _kind, sub in self.blocks(item, depth + 1):
                groups.extend(sub)
        out.append(("list", groups))
        return i


class _Delim:
    """A run of ``*``, ``_`` or ``~`` that may open or close emphasis (CommonMark "delimiter")."""

    __slots__ = ("can_close", "can_open", "ch", "end", "index", "left", "right", "start")

    def __init__(
        self, index: int, ch: str, start: int, end: int, can_open: bool, can_close: bool
    ) -> None:
        self.index = index
        self.ch = ch
        self.start = start
        self.end = end
        self.can_open = can_open
        self.can_close = can_close
        self.left = 0  # characters consumed from the left (as a closer)
        self.right = 0  # characters consumed from the right (as an opener)


def _process_emphasis(ops: list[_Op], delims: list[_Delim]) -> None:
    """Match delimiter runs (simplified CommonMark algorithm) and drop the matched characters.

    Unmatched delimiters stay in the text, so ``2 * 3`` or a stray ``_`` survive as the author typed
    them. Potential openers wait on one stack per character; a match discards every opener between
    the pair, and the search for an opener looks at most ``_MAX_OPENER_SEARCH`` entries down, so a
    paragraph of thousands of delimiters stays linear.
    """
    stacks: dict[str, list[_Delim]] = {"*": [], "_": [], "~": []}
    for closer in delims:
        ch = closer.ch
        c_len = closer.end - closer.start
        c_rem = c_len
        stack = stacks[ch]
        while closer.can_close and c_rem > 0 and stack:
            found = -1
            o_rem = 0
            for k in range(len(stack) - 1, max(-1, len(stack) - 1 - _MAX_OPENER_SEARCH), -1):
                o = stack[k]
                o_len = o.end - o.start
                o_rem = o_len - o.left - o.right
                if ch == "~":
                    if o_rem != c_rem:
                        continue
                elif (
                    (o.can_close or closer.can_open)
                    and (o_len + c_len) % 3 == 0
                    and (o_len % 3 or c_len % 3)
                ):
                    continue
                found = k
                break
            if found < 0:
                break
            opener = stack[found]
            # Strikethrough consumes whole runs; emphasis takes two (strong) or one at a time.
            use = o_rem if ch == "~" else (2 if o_rem >= 2 and c_rem >= 2 else 1)
            opener.right += use
            closer.left += use
            c_rem -= use
            for other in stacks.values():  # delimiters inside the pair can no longer match
                while other and other[-1].start > opener.start:
                    other.pop()
            if o_rem == use:
                stack.pop()
        if c_rem > 0 and closer.can_open:
            stack.append(closer)
    for d in delims:
        ops[d.index] = (d.start + d.left, d.end - d.right, None)


class _MdInline:
    """Inline Markdown on one joined paragraph: code spans, links, HTML, entities, emphasis."""

    def __init__(self, v: str, refs: set[str]) -> None:
        self.v = v
        self.refs = refs
        self.code: dict[int, int] = {}
        self.brackets: dict[int, int] = {}
        self.parens: dict[int, int] = {}
        if "`" in v:
            self._pair_code()
        if "[" in v:
            self._pair_brackets()

    def _pair_code(self) -> None:
        """Pair backtick runs of equal length in one linear pass (code span start -> end)."""
        v = self.v
        runs: list[tuple[int, int]] = []
        skip_to = 0
        for m in _MD_TICK_TOKEN.finditer(v):
            s = m.start()
            if s < skip_to:
                continue
            if v[s] == "\\":
                skip_to = s + 2
            else:
                run = _MD_TICKS.match(v, s)
                end = run.end() if run is not None else s + 1
                runs.append((s, end))
                skip_to = end
        nxt: list[int] = [-1] * len(runs)
        last: dict[int, int] = {}
        for k in range(len(runs) - 1, -1, -1):
            length = runs[k][1] - runs[k][0]
            nxt[k] = last.get(length, -1)
            last[length] = k
        k = 0
        while k < len(runs):
            j = nxt[k]
            if j < 0:
                k += 1
                continue
            self.code[runs[k][0]] = runs[j][1]
            k = j + 1

    def _pair_brackets(self) -> None:
        """Match ``[ ]`` and ``( )`` with stacks, once per paragraph, so link parsing is linear."""
        v = self.v
        code = self.code
        brackets = self.brackets
        parens = self.parens
        bstack: list[int] = []
        pstack: list[int] = []
        skip_to = 0
        for m in _MD_BRACKET_TOKEN.finditer(v):
            s = m.start()
            if s < skip_to:
                continue
            t = v[s]
            if t == "[":
                bstack.append(s)
            elif t == "]":
                if bstack:
                    brackets[bstack.pop()] = s
            elif t == "(":
                pstack.append(s)
            elif t == ")":
                if pstack:
                    parens[pstack.pop()] = s
            elif t == "\\":
                skip_to = s + 2
            else:  # a backtick run: skip a whole code span, or the literal run
                end = code.get(s)
                if end is None:
                    run = _MD_TICKS.match(v, s)
                    end = run.end() if run is not None else s + 1
                skip_to = end

    def _link(self, j: int, b: int) -> tuple[int, int, int] | None:
        """For a ``[`` at ``j``: (end of the link, start and end of its text), or None."""
        v = self.v
        close = self.brackets.get(j)
        if close is None or close >= b:
            return None
        ta, tb = j + 1, close
        k = close + 1
        if tb > ta and v[ta] == "^" and not (k < b and v[k] in "(["):
            return k, ta, ta  # footnote reference: dropped
        if k < b:
            if v[k] == "(":
                pc = self.parens.get(k)
                if pc is not None and pc < b:
                    return pc + 1, ta, tb
            elif v[k] == "[":
                c2 = self.brackets.get(k)
                if c2 is not None and c2 < b:
                    return c2 + 1, ta, tb
        if _norm_label(v[ta:tb]) in self.refs:
            return k, ta, tb
        return None

    def parse(self, a: int, b: int, depth: int) -> list[_Op]:
        v = self.v
        ops: list[_Op] = []
        delims: list[_Delim] = []
        pos = a
        text_start = a
        search = _MD_SPECIAL.search
        while True:
            m = search(v, pos, b)
            if m is None:
                break
            j = m.start()
            c = v[j]
            if c == "\\":
                nxt = v[j + 1] if j + 1 < b else ""
                if nxt in _ASCII_PUNCT or nxt == "\n":
                    if j > text_start:
                        ops.append((text_start, j, None))
                    text_start = j + 1  # the escaped character is copied as plain text
                    pos = j + 2
                else:
                    pos = j + 1
                continue
            if c == "`":
                end = self.code.get(j)
                if end is not None and end <= b:
                    if j > text_start:
                        ops.append((text_start, j, None))
                    pos = text_start = end
                else:
                    k = j + 1
                    while k < b and v[k] == "`":
                        k += 1
                    pos = k
                continue
            if c == "*":
                # Fast path for the common "*word*" / "**some words**": no other markup inside,
                # and an opening run that cannot also close (so it cannot pair with an earlier
                # opener). The delimiter algorithm below would pair exactly these two runs.
                simple = _MD_SIMPLE_EMPHASIS.match(v, j, b)
                if simple is not None:
                    k = simple.end(1)
                    ce = simple.end(2)
                    prev = v[j - 1] if j > a else " "
                    after = v[simple.end()] if simple.end() < b else " "
                    first_p = _is_punct(v[k])
                    prev_p = _is_punct(prev)
                    if (prev.isspace() or (prev_p and not first_p)) and (
                        not _is_punct(v[ce - 1]) or after.isspace() or _is_punct(after)
                    ):
                        if j > text_start:
                            ops.append((text_start, j, None))
                        ops.append((k, ce, None))
                        pos = text_start = simple.end()
                        continue
            if c in "*_~":
                k = j + 1
                while k < b and v[k] == c:
                    k += 1
                if c == "~" and k - j > 2:
                    pos = k
                    continue
                prev = v[j - 1] if j > a else " "
                after = v[k] if k < b else " "
                prev_ws = prev.isspace()
                after_ws = after.isspace()
                prev_p = prev in _ASCII_PUNCT or (prev > "\x7f" and _is_punct(prev))
                after_p = after in _ASCII_PUNCT or (after > "\x7f" and _is_punct(after))
                left = not after_ws and (not after_p or prev_ws or prev_p)
                right = not prev_ws and (not prev_p or after_ws or after_p)
                if c == "_":
                    can_open = left and (not right or prev_p)
                    can_close = right and (not left or after_p)
                else:
                    can_open, can_close = left, right
                if can_open or can_close:
                    if j > text_start:
                        ops.append((text_start, j, None))
                    ops.append((j, k, None))
                    delims.append(_Delim(len(ops) - 1, c, j, k, can_open, can_close))
                    text_start = k
                pos = k
                continue
            if c == "!":
                if j + 1 < b and v[j + 1] == "[":
                    link = self._link(j + 1, b)
                    if link is not None:  # images are dropped with their alt text
                        if j > text_start:
                            ops.append((text_start, j, None))
                        pos = text_start = link[0]
                        continue
                pos = j + 1
                continue
            if c == "[":
                link = self._link(j, b)
                if link is not None:
                    if j > text_start:
                        ops.append((text_start, j, None))
                    end, ta, tb = link
                    if tb > ta:
                        if depth < _MAX_DEPTH and search(v, ta, tb) is not None:
                            ops.extend(self.parse(ta, tb, depth + 1))
                        else:
                            ops.append((ta, tb, None))
                    pos = text_start = end
                    continue
                pos = j + 1
                continue
            if c == "<":
                hm = _MD_INLINE_HTML.match(v, j, b)
                if hm is not None:
                    if j > text_start:
                        ops.append((text_start, j, None))
                    if hm.group("br"):
                        ops.append((j, hm.end(), " "))
                    pos = text_start = hm.end()
                    continue
                pos = j + 1
                continue
            em = _ENTITY.match(v, j, b)  # c == "&"
            if em is not None:
                value = html.unescape(em.group())
                if value != em.group():
                    if j > text_start:
                        ops.append((text_start, j, None))
                    ops.append((j, em.end(), value))
                    pos = text_start = em.end()
                    continue
            pos = j + 1
        if b > text_start:
            ops.append((text_start, b, None))
        if delims:
            _process_emphasis(ops, delims)
        return ops


# --------------------------------------------------------------------------------------------------
# reStructuredText
# --------------------------------------------------------------------------------------------------

_RST_ADORN = re.compile(r"([!-/:-@\[-`{-~])\1+[ \t]*$")
_RST_ENUM = r"(?:\d+|#|[A-Za-z]|[ivxlcdmIVXLCDM]+)"
_RST_ITEM = re.compile(
    rf"(?P<bullet>[-*+•‣⁃])(?: +|$)"
    rf"|(?P<enum>\(?{_RST_ENUM}\)|{_RST_ENUM}\.)(?: +|$)"
    r"|(?P<field>:(?![ :])(?:[^:\\`]|\\.)+?(?<![ \\]):)(?: +|$)"
)
_RST_FOOTNOTE = re.compile(r"\.\. +\[(?:\d+|#[\w.-]*|\*|[A-Za-z][\w.-]*)\](?: +|$)")
_RST_GRID = re.compile(r"\+(?:[-=]+\+)+[ \t]*$")
_RST_SIMPLE_TABLE = re.compile(r"=+(?: +=+)+[ \t]*$")
_RST_OPEN = r"(?<![^\s'\"(\[{<\-/:‘“’«‹‚„])"
_RST_CLOSE = r"(?=[\s'\")\]}>\-/:.,;!?\\’”»›]|\Z)"
_RST_INLINE = re.compile(
    r"(?P<esc>\\[\s\S])"
    rf"|(?P<interp>{_RST_OPEN}(?::(?P<r1>[A-Za-z0-9][\w.+:-]*):)?`(?=[^\s`])"
    r"(?P<it>(?:[^`\\]|\\[\s\S])*?)(?<=\S)`"
    rf"(?::(?P<r2>[A-Za-z0-9][\w.+:-]*):|__?)?{_RST_CLOSE})"
    rf"|(?P<fn>{_RST_OPEN}\[(?:\d+|#[\w.-]*|\*|[A-Za-z][\w.-]*)\]_{_RST_CLOSE})"
    rf"|(?P<sub>{_RST_OPEN}\|(?=\S)(?P<sb>[^|]*?)(?<=\S)\|(?:__?)?{_RST_CLOSE})"
    rf"|(?P<tgt>{_RST_OPEN}_`(?P<tg>[^`]+)`{_RST_CLOSE})"
    rf"|(?P<rn>(?<=[^\W_])__?{_RST_CLOSE})"
)
# Inline literals, strong and emphasis may contain anything, so a start-string without an end
# would make the regex scan to the end of the paragraph -- for every such start. Each has a quick
# "start" pattern; once the full pattern fails after its start matched, there is no end-string
# further on, and later starts of that kind are not tried again (keeps it linear).
_RST_UNBOUNDED: tuple[tuple[str, re.Pattern[str], re.Pattern[str], int], ...] = (
    (
        "lit",
        re.compile(rf"{_RST_OPEN}``(?=\S)"),
        re.compile(rf"``(?=\S)[\s\S]*?(?<=\S)``{_RST_CLOSE}"),
        0,
    ),
    (
        "strong",
        re.compile(rf"{_RST_OPEN}\*\*(?=\S)"),
        re.compile(rf"\*\*(?=\S)((?:[^\\]|\\[\s\S])*?)(?<=\S)\*\*{_RST_CLOSE}"),
        1,
    ),
    (
        "emph",
        re.compile(rf"{_RST_OPEN}\*(?=[^\s*])"),
        re.compile(rf"\*(?=[^\s*])((?:[^\\]|\\[\s\S])*?)(?<=\S)\*{_RST_CLOSE}"),
        1,
    ),
)
# Every construct above starts with one of these characters; searching for them first and then
# matching at that spot is several times faster than letting the alternation scan every position.
_RST_CANDIDATE = re.compile(r"[\\`*:\[|_]")
_RST_INNER = {"sub": "sb", "tgt": "tg"}
# Roles whose content is code or math rather than prose; every other role keeps its text.
_RST_DROP_ROLES = frozenset({"math", "code", "literal", "samp", "kbd", "raw", "eq"})


def _rst_escaped(v: str, a: int, b: int, ops: list[_Op]) -> None:
    """Copy ``v[a:b]`` resolving backslash escapes (backslash-whitespace disappears entirely)."""
    k = v.find("\\", a, b)
    while k >= 0:
        if k > a:
            ops.append((a, k, None))
        if k + 1 < b and not v[k + 1].isspace():
            ops.append((k + 1, k + 2, None))
        a = k + 2
        k = v.find("\\", a, b) if a < b else -1
    if a < b:
        ops.append((a, b, None))


def _rst_inline(v: str) -> list[_Op]:
    ops: list[_Op] = []
    text_start = 0
    pos = 0
    search = _RST_CANDIDATE.search
    match = _RST_INLINE.match
    dead: dict[str, int] = {}  # construct -> a start offset after which it cannot close
    while True:
        c = search(v, pos)
        if c is None:
            break
        s = c.start()
        if v[s] in "`*":
            unbounded = None
            for name, start_pattern, pattern, inner in _RST_UNBOUNDED:
                if s >= dead.get(name, len(v)) or not start_pattern.match(v, s):
                    continue
                unbounded = pattern.match(v, s)
                if unbounded is None:
                    dead[name] = s
                    continue
                if s > text_start:
                    ops.append((text_start, s, None))
                pos = text_start = unbounded.end()
                if inner:
                    _rst_escaped(v, *unbounded.span(1), ops)
                break
            if unbounded is not None:
                continue
        m = match(v, s)
        if m is None:
            pos = s + 1
            continue
        if s > text_start:
            ops.append((text_start, s, None))
        pos = text_start = m.end()
        group = m.lastgroup
        if group == "esc":
            if not v[s + 1].isspace():
                ops.append((s + 1, s + 2, None))
        elif group == "interp":
            role = m.group("r1") or m.group("r2") or ""
            if role.rsplit(":", 1)[-1].lower() in _RST_DROP_ROLES:
                continue
            a, b = m.span("it")
            if v[b - 1] == ">":  # `text <target>`: keep only the text
                lt = v.rfind("<", a, b)
                if lt == a:
                    continue
                if lt > a and v[lt - 1].isspace():
                    b = _rstrip_end(v, a, lt)
            if role and a < b and v[a] in "~!":
                if v[a] == "~":  # Sphinx shows only the last component of ~a.b.c
                    a = max(a + 1, v.rfind(".", a, b) + 1)
                else:
                    a += 1
            _rst_escaped(v, a, b, ops)
        elif group in _RST_INNER:
            a, b = m.span(_RST_INNER[group])
            _rst_escaped(v, a, b, ops)
        # "fn" (footnote references) and the trailing "_" of a "rn"
        # (simple reference name, whose word stays as plain text) are dropped.
    if text_start < len(v):
        ops.append((text_start, len(v), None))
    return ops


def _rst_item_type(m: re.Match[str]) -> str:
    """A new marker style starts a new list: ``-`` vs ``*``, ``1.`` vs ``(1)``, fields."""
    if m.group("bullet") is not None:
        return m.group("bullet")
    enum = m.group("enum")
    if enum is not None:
        return "(" if enum.startswith("(") else enum[-1]
    return ":"


class _Rst:
    """Block structure of reStructuredText, driven by indentation like docutils."""

    def __init__(self, src: str) -> None:
        self.src = src

    def extract(self) -> list[ProseBlock]:
        src = self.src
        out: list[ProseBlock] = []
        for kind, groups in self.blocks(_split_lines(src, _content_start(src)), 0):
            builder = _Builder()
            prev_end = -1
            for segs in groups:
                if not segs:
                    continue
                if prev_end >= 0:
                    builder.synth(" ", prev_end, prev_end + 1)
                virtual = _Virtual(src, segs)
                virtual.emit(builder, _rst_inline(virtual.v))
                prev_end = segs[-1][1]
            block = builder.finish(kind)
            if block is not None:
                out.append(block)
        return out

    def _indented(self, lines: list[_Seg], i: int) -> tuple[int, list[_Seg]]:
        """The indented block starting at line ``i``, dedented by its smallest indentation."""
        src = self.src
        n = len(lines)
        j = i
        last = i
        least = -1
        while j < n:
            s, e = lines[j]
            cols, p = _indent(src, s, e)
            if not _blank(src, p, e):
                if cols == 0:
                    break
                least = cols if least < 0 else min(least, cols)
                last = j + 1
            j += 1
        sub = [(_strip_cols(src, s, e, least), e) for s, e in lines[i:last]]
        return j, sub

    def _skip_indented(self, lines: list[_Seg], i: int) -> int:
        src = self.src
        n = len(lines)
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            if cols == 0 and not _blank(src, p, e):
                break
            i += 1
        return i

    def _skip_literal(self, lines: list[_Seg], i: int) -> int:
        """Skip the literal block that follows a ``::`` (indented, or "quoted" with punctuation)."""
        src = self.src
        n = len(lines)
        while i < n and _blank(src, _indent(src, *lines[i])[1], lines[i][1]):
            i += 1
        if i >= n:
            return i
        s, e = lines[i]
        cols, p = _indent(src, s, e)
        if cols > 0:
            return self._skip_indented(lines, i)
        ch = src[p]
        if ch in _ASCII_PUNCT:
            while i < n:
                s, e = lines[i]
                if _blank(src, s, e) or src[s] != ch:
                    break
                i += 1
        return i

    def _skip_until_blank(self, lines: list[_Seg], i: int) -> int:
        src = self.src
        while i < len(lines) and not _blank(src, *lines[i]):
            i += 1
        return i

    def _skip_simple_table(self, lines: list[_Seg], i: int) -> int:
        src = self.src
        n = len(lines)
        borders = 1
        i += 1
        while i < n:
            s, e = lines[i]
            i += 1
            if _RST_SIMPLE_TABLE.match(src, s, e):
                borders += 1
                if borders >= 2 and (i >= n or _blank(src, *lines[i])):
                    return i
        return i

    def _trim_literal_marker(self, para: list[_Seg]) -> bool:
        """Apply the rST ``::`` rule to a paragraph; True if a literal block follows.

        ``Example::`` keeps one colon, ``Example ::`` loses both, a lone ``::`` vanishes.
        """
        if not para:
            return False
        src = self.src
        s, e = para[-1]
        t = _rstrip_end(src, s, e)
        if t - s < 2 or src[t - 2 : t] != "::":
            return False
        if t - 2 == s:
            para.pop()
        elif src[t - 3].isspace():
            para[-1] = (s, _rstrip_end(src, s, t - 2))
        else:
            para[-1] = (s, t - 1)
        return True

    def blocks(self, lines: list[_Seg], depth: int) -> list[_Raw]:
        src = self.src
        out: list[_Raw] = []
        n = len(lines)
        if depth > _MAX_DEPTH:
            segs = _flatten(src, lines)
            return [("paragraph", [segs])] if segs else []
        i = 0
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            if _blank(src, p, e):
                i += 1
                continue
            if cols > 0:  # indented without a preceding "::": a block quote
                i, sub = self._indented(lines, i)
                out.extend(("quote", groups) for _kind, groups in self.blocks(sub, depth + 1))
                continue
            t_end = _rstrip_end(src, p, e)
            c = src[p]
            if c == "." and src.startswith("..", p) and (p + 2 == t_end or src[p + 2] in " \t"):
                fm = _RST_FOOTNOTE.match(src, p, e)
                if fm is not None:  # footnote/citation body: prose, kept as its own block
                    i, sub = self._indented(lines, i + 1)
                    out.extend(self.blocks([(fm.end(), e), *sub], depth + 1))
                    continue
                if p + 2 == t_end:  # an empty comment only comments itself
                    i += 1
                    continue
                i = self._skip_indented(lines, i + 1)  # directive, comment, target, substitution
                continue
            if c == ":" and t_end == p + 2 and src[p + 1] == ":":
                i = self._skip_literal(lines, i + 1)
                continue
            if c == ">" and src.startswith(">>>", p):  # doctest block
                i = max(i + 1, self._skip_until_blank(lines, i))  # always make progress
                continue
            if c == "+" and _RST_GRID.match(src, p, e):
                i = max(i + 1, self._skip_until_blank(lines, i))  # always make progress
                continue
            if c == "=" and _RST_SIMPLE_TABLE.match(src, p, e):
                i = max(i + 1, self._skip_simple_table(lines, i))  # always make progress
                continue
            adorn = _RST_ADORN.match(src, p, e)
            if adorn is not None:
                if i + 2 < n:
                    s1, e1 = lines[i + 1]
                    _c1, p1 = _indent(src, s1, e1)
                    s2, e2 = lines[i + 2]
                    under = _RST_ADORN.match(src, s2, e2)
                    if (
                        not _blank(src, p1, e1)
                        and under is not None
                        and under.group(1) == adorn.group(1)
                        and not _RST_ADORN.match(src, p1, e1)
                    ):
                        out.append(("heading", [[(p1, _rstrip_end(src, p1, e1))]]))
                        i += 3
                        continue
                if t_end - p >= 4:  # transition
                    i += 1
                    continue
            elif i + 1 < n:
                s1, e1 = lines[i + 1]
                under = _RST_ADORN.match(src, s1, e1)
                if under is not None:
                    underline = _rstrip_end(src, s1, e1) - s1
                    if underline >= t_end - p or underline >= 4:
                        out.append(("heading", [[(p, t_end)]]))
                        i += 2
                        continue
            item = _RST_ITEM.match(src, p, e)
            if item is not None and self._is_list(lines, i, item):
                i = max(i + 1, self._list(lines, i, depth, out))  # always make progress
                continue
            if c == "|" and (p + 1 == t_end or src[p + 1].isspace()):
                i = max(i + 1, self._line_block(lines, i, out))  # always make progress
                continue
            para: list[_Seg] = []
            while i < n:
                s, e = lines[i]
                cols, p = _indent(src, s, e)
                if cols > 0 or _blank(src, p, e):
                    break
                para.append((p, e))
                i += 1
            literal = self._trim_literal_marker(para)
            if para:
                out.append(("paragraph", [para]))
            if literal:
                i = self._skip_literal(lines, i)
            elif i < n and not _blank(src, _indent(src, *lines[i])[1], lines[i][1]):
                # A paragraph followed directly by an indented block: a definition list.
                i, sub = self._indented(lines, i)
                out.extend(self.blocks(sub, depth + 1))
        return out

    def _is_list(self, lines: list[_Seg], i: int, item: re.Match[str]) -> bool:
        """Enumerators are only a list if the next line is blank, indented or another item.

        Otherwise "A. Smith wrote ..." at the start of a paragraph would become a list, exactly
        the ambiguity docutils resolves the same way.
        """
        if item.group("enum") is None or i + 1 >= len(lines):
            return True
        src = self.src
        s, e = lines[i + 1]
        cols, p = _indent(src, s, e)
        return cols > 0 or _blank(src, p, e) or _RST_ITEM.match(src, p, e) is not None

    def _list(self, lines: list[_Seg], i: int, depth: int, out: list[_Raw]) -> int:
        """Bullet, enumerated and field lists; one block per contiguous list (field names go)."""
        src = self.src
        n = len(lines)
        groups: list[list[_Seg]] = []
        started = False
        list_type = ""
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            if cols > 0 or _blank(src, p, e):
                break
            m = _RST_ITEM.match(src, p, e)
            if m is None or (started and _rst_item_type(m) != list_type):
                break
            if not started:
                started, list_type = True, _rst_item_type(m)
            elif not self._is_list(lines, i, m):
                break
            q = m.end()
            width = q - p
            item: list[_Seg] = [(q, e)] if not _blank(src, q, e) else []
            i += 1
            while i < n:
                s, e = lines[i]
                cols, p = _indent(src, s, e)
                if _blank(src, p, e):
                    item.append((e, e))
                elif cols == 0:
                    break
                else:
                    item.append((_strip_cols(src, s, e, min(cols, width)), e))
                i += 1
            for _kind, sub in self.blocks(item, depth + 1):
                groups.extend(sub)
        out.append(("list", groups))
        return i

    def _line_block(self, lines: list[_Seg], i: int, out: list[_Raw]) -> int:
        src = self.src
        n = len(lines)
        para: list[_Seg] = []
        while i < n:
            s, e = lines[i]
            cols, p = _indent(src, s, e)
            if _blank(src, p, e):
                break
            if (
                cols == 0
                and src[p] == "|"
                and (p + 1 >= _rstrip_end(src, p, e) or src[p + 1].isspace())
            ):
                para.append((p + 1, e))
            elif cols > 0 and para:
                para.append((p, e))
            else:
                break
            i += 1
        out.append(("paragraph", [para]))
        return i


# --------------------------------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------------------------------

_TEX_BEGIN_DOC = re.compile(r"\\begin\s*\{document\}")
_TEX_END_DOC = re.compile(r"\\end\s*\{document\}")
_TEX_SPECIAL = re.compile(r"[\\%{}$~`'\-\r\n&]")
_TEX_CMD = re.compile(r"\\(?:([A-Za-z@]+)\*?|([\s\S]))")
# One line break; "\r(?!\n)" so that backtracking cannot split a CRLF into two line breaks.
_EOL = r"(?:\r\n|\r(?!\n)|\n)"
_TEX_PAR = re.compile(rf"{_EOL}(?:[ \t\f\v]*{_EOL})+")
_TEX_EOL = re.compile(_EOL)
_TEX_BLANK_LINE = re.compile(rf"[ \t\f\v]*{_EOL}")
_TEX_HSPACE = re.compile(r"[ \t]*")
_TEX_ARG_SPACE = re.compile(rf"[ \t]*(?:{_EOL}[ \t]*)?")
_TEX_ENV_NAME = re.compile(r"[ \t]*\{([^{}\r\n]*)\}")
_TEX_PAR_BREAK = rf"{_EOL}[ \t\f\v]*{_EOL}"
_TEX_GROUP_TOKEN = re.compile(rf"\\[\s\S]|%[^\r\n]*|[{{}}]|{_TEX_PAR_BREAK}")
_TEX_BRACKET_TOKEN = re.compile(rf"\\[\s\S]|%[^\r\n]*|[{{}}\]]|{_TEX_PAR_BREAK}")
_TEX_MAX_OPTION = 2000
_TEX_COMMENT_SCAN = re.compile(r"\\[\s\S]|%")
_TEX_MATH_END: dict[str, re.Pattern[str]] = {
    "$": re.compile(r"\\[\s\S]|\$"),
    "$$": re.compile(r"\\[\s\S]|\$\$"),
    "\\)": re.compile(r"\\\)|\\[\s\S]"),
    "\\]": re.compile(r"\\\]|\\[\s\S]"),
}


def _names(text: str) -> list[str]:
    """Split a space-separated list of names (keeps the long tables below readable)."""
    return text.split()


_TEX_SECTIONS = frozenset(
    {
        "part",
        "chapter",
        "section",
        "subsection",
        "subsubsection",
        "paragraph",
        "subparagraph",
        "title",
        "subtitle",
        "frametitle",
        "addchap",
        "addsec",
        "minisec",
    }
)
# Commands dropped together with this many mandatory arguments (optional [..] arguments too):
# citations, cross-references, code, URLs, file inclusion, layout and definitions are not prose.
_TEX_DROP: dict[str, int] = {
    **dict.fromkeys(
        _names(
            "cite citep citet citealt citealp citeauthor citeyear citeyearpar parencite textcite "
            "autocite footcite fullcite nocite supercite smartcite ref eqref autoref cref Cref "
            "pageref nameref vref labelcref label texttt url path nolinkurl includegraphics input "
            "include includeonly bibliography addbibresource bibliographystyle usepackage "
            "RequirePackage documentclass vspace hspace stepcounter refstepcounter caption index "
            "hypersetup pagestyle thispagestyle pagenumbering graphicspath author date thanks "
            "email affiliation address bibitem ensuremath color glossary markright lstinputlisting "
            "inputminted tag "
        ),
        1,
    ),
    **dict.fromkeys(
        _names(
            "setlength addtolength setcounter addtocounter newcommand renewcommand providecommand "
            "newtheorem DeclareMathOperator markboth mintinline newlength"
        ),
        2,
    ),
    **dict.fromkeys(_names("newenvironment renewenvironment definecolor addcontentsline"), 3),
}
# Commands whose first arguments are not prose but whose last argument is (``\href{url}{text}``).
_TEX_DROP_LEADING: dict[str, int] = {
    "href": 1,
    "textcolor": 1,
    "colorbox": 1,
    "fcolorbox": 2,
    "foreignlanguage": 1,
    "rotatebox": 1,
    "scalebox": 1,
    "resizebox": 2,
    "raisebox": 1,
    "parbox": 1,
    "hyperlink": 1,
    "hypertarget": 1,
    "selectlanguage": 1,
    "multicolumn": 2,
}
_TEX_WORDS = frozenset(
    _names("LaTeX TeX BibTeX XeTeX LuaTeX XeLaTeX LuaLaTeX pdfTeX pdfLaTeX ConTeXt AmS")
)
_TEX_SYMBOLS: dict[str, str] = {
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "dag": "†",
    "ddag": "‡",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textdegree": "°",
    "slash": "/",
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "LaTeXe": "LaTeX2e",
}
_TEX_SPACES = frozenset(
    _names(
        "quad qquad enspace enskip thinspace space nobreakspace newline linebreak break hfill hfil"
    )
)
_TEX_ACCENTS: dict[str, str] = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_TEX_VERBATIM_ENVS = frozenset(
    _names(
        "verbatim verbatim* Verbatim Verbatim* BVerbatim lstlisting minted comment filecontents "
        "filecontents*"
    )
)
_TEX_SKIP_ENVS = frozenset(
    _names(
        "equation equation* align align* alignat alignat* gather gather* multline multline* "
        "flalign flalign* eqnarray eqnarray* math displaymath dmath dmath* split figure figure* "
        "table table* tabular tabular* tabularx tabulary longtable array tikzpicture picture "
        "thebibliography algorithm algorithmic algorithm2e wrapfigure wraptable subfigure "
        "sidewaystable sidewaysfigure code pgfpicture forest"
    )
)
_TEX_LIST_ENVS = frozenset(
    _names(
        "itemize enumerate description compactitem compactenum compactdesc inparaenum asparaenum "
        "asparaitem list"
    )
)
_TEX_QUOTE_ENVS = frozenset({"quote", "quotation", "verse"})
# Arguments after \begin{env} that are layout, not text.
_TEX_ENV_ARGS: dict[str, int] = {
    "minipage": 1,
    "multicols": 1,
    "multicols*": 1,
    "list": 2,
    "otherlanguage": 1,
    "otherlanguage*": 1,
    "column": 1,
    "adjustbox": 1,
    "frame": 0,
}


def _tex_in_comment(src: str, pos: int) -> bool:
    """Is ``pos`` inside a ``%`` comment (an unescaped ``%`` earlier on the same line)?"""
    line_start = max(src.rfind("\n", 0, pos), src.rfind("\r", 0, pos)) + 1
    return any(m.group() == "%" for m in _TEX_COMMENT_SCAN.finditer(src, line_start, pos))


def _tex_find(pattern: re.Pattern[str], src: str, pos: int) -> re.Match[str] | None:
    for m in pattern.finditer(src, pos):
        if not _tex_in_comment(src, m.start()):
            return m
    return None


class _Latex:
    """A single left-to-right scan of the LaTeX body that opens and closes blocks as it goes.

    LaTeX blocks are not line-based (a ``\\section`` can sit mid-line), so instead of a line parser
    this keeps a current :class:`_Builder` and the list/quote/footnote nesting state.
    """

    def __init__(self, src: str) -> None:
        self.src = src
        self.blocks: list[ProseBlock] = []
        self.cur = _Builder()
        self.pending: list[_Builder] = []
        self.list_depth = 0
        self.quote_depth = 0
        self.footnote_depth = 0
        self.heading = False
        self.nesting = 0  # recursive run() calls (headings, footnotes, item labels)
        self.env_patterns: dict[str, re.Pattern[str]] = {}

    def extract(self) -> list[ProseBlock]:
        src = self.src
        start, end = _content_start(src), len(src)
        begin = _tex_find(_TEX_BEGIN_DOC, src, start)
        if begin is not None:
            start = begin.end()
            stop = _tex_find(_TEX_END_DOC, src, start)
            if stop is not None:
                end = stop.start()
        self.run(start, end)
        self.flush()
        return self.blocks

    # -- block state -----------------------------------------------------------------------------

    def kind(self) -> str:
        if self.heading:
            return "heading"
        if self.list_depth:
            return "list"
        if self.quote_depth:
            return "quote"
        return "paragraph"

    def flush(self) -> None:
        block = self.cur.finish(self.kind())
        self.cur = _Builder()
        if not self.pending or self.footnote_depth:
            if block is not None:
                self.blocks.append(block)
            return
        # The footnotes of this block follow it, all ordered by where they start (a footnote may
        # open the paragraph, or sit inside another footnote).
        done = [] if block is None else [block]
        for footnote in self.pending:
            fb = footnote.finish("paragraph")
            if fb is not None:
                done.append(fb)
        self.pending = []
        done.sort(key=lambda b: b.source_start)
        self.blocks.extend(done)

    def par(self, j: int) -> None:
        """A paragraph break at ``j``; inside a list, footnote or heading it is just a space."""
        if self.list_depth or self.footnote_depth or self.heading:
            self.cur.synth(" ", j, j + 1)
        else:
            self.flush()

    def add(self, a: int, b: int) -> None:
        if b > a:
            self.cur.add(self.src[a:b], range(a, b))

    # -- argument helpers ------------------------------------------------------------------------

    def group(self, pos: int, b: int) -> tuple[int, int]:
        """For a ``{`` at ``pos``: (end of its content, offset after the closing ``}``).

        An unbalanced group ends at the next blank line (TeX would complain there too), so a
        half-typed ``\\cite{`` does not swallow the rest of the document.
        """
        depth = 0
        for m in _TEX_GROUP_TOKEN.finditer(self.src, pos, b):
            t = m.group()
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return m.start(), m.end()
            elif t[0] in "\r\n":
                return m.start(), m.start()
        return b, b

    def bracket(self, pos: int, b: int) -> int | None:
        """For a ``[`` at ``pos``: the offset after its ``]``, or None if it is not an argument.

        Optional arguments are short, so the search gives up after ``_TEX_MAX_OPTION`` characters;
        otherwise every ``\\foo[`` without a ``]`` would rescan the rest of the document.
        """
        limit = min(b, pos + _TEX_MAX_OPTION)
        if self.src.find("]", pos + 1, limit) < 0:
            return None
        depth = 0
        for m in _TEX_BRACKET_TOKEN.finditer(self.src, pos + 1, limit):
            t = m.group()
            if t == "{":
                depth += 1
            elif t == "}":
                depth = max(0, depth - 1)
            elif t == "]":
                if depth == 0:
                    return m.end()
            elif t[0] in "\r\n":
                return None
        return None

    def skip_args(self, pos: int, b: int, mandatory: int) -> int:
        """Skip optional ``[..]`` arguments and ``mandatory`` ``{..}`` arguments."""
        src = self.src
        while True:
            q = _TEX_ARG_SPACE.match(src, pos, b)
            q_pos = q.end() if q is not None else pos
            if q_pos >= b:
                return pos
            c = src[q_pos]
            if c == "[":
                after = self.bracket(q_pos, b)
                if after is None:
                    return pos
                pos = after
            elif c == "{" and mandatory > 0:
                pos = self.group(q_pos, b)[1]
                mandatory -= 1
            else:
                return pos

    def skip_adjacent_options(self, pos: int, b: int) -> int:
        while pos < b and self.src[pos] == "[":
            after = self.bracket(pos, b)
            if after is None:
                break
            pos = after
        return pos

    # -- scanner ---------------------------------------------------------------------------------

    def nested(self, a: int, b: int) -> None:
        """Run over an argument (past ``_MAX_DEPTH`` levels callers let the text flow instead)."""
        self.nesting += 1
        try:
            self.run(a, b)
        finally:
            self.nesting -= 1

    def run(self, a: int, b: int) -> None:
        src = self.src
        pos = a
        search = _TEX_SPECIAL.search
        while pos < b:
            m = search(src, pos, b)
            if m is None:
                self.add(pos, b)
                return
            j = m.start()
            if j > pos:
                self.add(pos, j)
            c = src[j]
            if c == "\\":
                pos = self.command(j, b)
            elif c == "%":
                pos = self.comment(j, b)
            elif c in "{}&":
                pos = j + 1
            elif c == "$":
                if j + 1 < b and src[j + 1] == "$":
                    pos = self.skip_math(j + 2, b, "$$")
                else:
                    pos = self.skip_math(j + 1, b, "$")
            elif c == "~":
                self.cur.synth(" ", j, j + 1)
                pos = j + 1
            elif c == "-":
                k = j + 1
                while k < b and k - j < 3 and src[k] == "-":
                    k += 1
                if k - j == 1:
                    self.add(j, k)
                else:
                    self.cur.synth("–" if k - j == 2 else "—", j, k)
                pos = k
            elif c == "`":
                if j + 1 < b and src[j + 1] == "`":
                    self.cur.synth("“", j, j + 2)
                    pos = j + 2
                else:
                    self.cur.synth("‘", j, j + 1)
                    pos = j + 1
            elif c == "'":
                if j + 1 < b and src[j + 1] == "'":
                    self.cur.synth("”", j, j + 2)
                    pos = j + 2
                else:
                    self.add(j, j + 1)
                    pos = j + 1
            else:  # line break: a blank line ends the paragraph
                pm = _TEX_PAR.match(src, j, b)
                if pm is not None:
                    self.par(j)
                    pos = pm.end()
                else:
                    self.add(j, j + 1)
                    pos = j + 1

    def comment(self, j: int, b: int) -> int:
        """A comment eats its line break and the next line's indentation, like TeX does."""
        src = self.src
        eol = _TEX_EOL.search(src, j, b)
        if eol is None:
            return b
        pos = eol.end()
        blank = _TEX_BLANK_LINE.match(src, pos, b)
        if blank is not None:
            self.par(pos)
            return blank.end()
        hspace = _TEX_HSPACE.match(src, pos, b)
        return hspace.end() if hspace is not None else pos

    def skip_math(self, start: int, b: int, closer: str) -> int:
        """Skip math up to ``closer``; unterminated math ends at the next blank line."""
        src = self.src
        for m in _TEX_MATH_END[closer].finditer(src, start, b):
            if m.group() == closer:
                par = _TEX_PAR.search(src, start, m.start())
                return par.start() if par is not None else m.end()
        par = _TEX_PAR.search(src, start, b)
        return par.start() if par is not None else b

    def command(self, j: int, b: int) -> int:
        src = self.src
        m = _TEX_CMD.match(src, j, b)
        if m is None:
            return b
        end = m.end()
        name = m.group(1)
        if name is None:
            return self.symbol(j, m.group(2), end, b)
        if name in _TEX_SECTIONS:
            return self.section(end, b)
        if name == "begin":
            return self.begin(j, end, b)
        if name == "end":
            return self.end_env(j, end, b)
        if name == "item":
            return self.item(j, end, b)
        if name in ("footnote", "footnotetext", "marginpar"):
            return self.footnote(end, b)
        if name == "par":
            self.par(j)
            return end
        if name in _TEX_DROP:
            return self.skip_args(end, b, _TEX_DROP[name])
        if name in _TEX_DROP_LEADING:
            return self.skip_args(end, b, _TEX_DROP_LEADING[name])
        if name in _TEX_WORDS:
            self.add(j + 1, j + 1 + len(name))
            return end
        if name in _TEX_SYMBOLS:
            self.cur.synth(_TEX_SYMBOLS[name], j, end)
            return end
        if name in _TEX_SPACES:
            self.cur.synth(" ", j, end)
            return self.skip_adjacent_options(end, b)
        if name in ("verb", "lstinline"):
            return self.verb(end, b)
        if name in ("def", "gdef", "edef", "xdef"):
            return self.definition(end, b)
        if name in _TEX_ACCENTS and end < b and src[end] == "{":
            return self.accent(j, name, end, b)
        # Unknown command (\emph, \textbf, \foo ...): drop it, keep the text of its {..} groups.
        return self.skip_adjacent_options(end, b)

    def symbol(self, j: int, ch: str, end: int, b: int) -> int:
        if ch in "%&$#_{}":
            self.add(j + 1, end)
            return end
        if ch == "\\":  # forced line break, maybe with \\* and [length]
            self.cur.synth(" ", j, end)
            if end < b and self.src[end] == "*":
                end += 1
            return self.skip_adjacent_options(end, b)
        if ch.isspace():  # control space
            self.add(j + 1, end)
            return end
        if ch in ",;:>":
            self.cur.synth(" ", j, end)
            return end
        if ch in _TEX_ACCENTS:
            return self.accent(j, ch, end, b)
        if ch == "(":
            return self.skip_math(end, b, "\\)")
        if ch == "[":
            return self.skip_math(end, b, "\\]")
        return end

    def accent(self, j: int, ch: str, end: int, b: int) -> int:
        """``\\'e``, ``\\'{e}``, ``\\c{c}`` ... become one composed character."""
        src = self.src
        base = ""
        stop = end
        if end < b and src[end] == "{":
            if end + 2 < b and src[end + 1].isalpha() and src[end + 2] == "}":
                base, stop = src[end + 1], end + 3
            elif src.startswith(("\\i}", "\\j}"), end + 1) and end + 4 <= b:
                base, stop = ("ı" if src[end + 2] == "i" else "ȷ"), end + 4
        elif end < b and src[end].isalpha() and ch not in "uvHckrdb":
            base, stop = src[end], end + 1
        if not base:
            return end
        self.cur.synth(unicodedata.normalize("NFC", base + _TEX_ACCENTS[ch]), j, stop)
        return stop

    def section(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_args(end, b, 0)
        q = _TEX_ARG_SPACE.match(src, pos, b)
        q_pos = q.end() if q is not None else pos
        self.flush()
        if q_pos < b and src[q_pos] == "{" and self.nesting < _MAX_DEPTH:
            inner_end, after = self.group(q_pos, b)
            was_heading = self.heading
            self.heading = True
            self.nested(q_pos + 1, inner_end)
            self.flush()
            self.heading = was_heading
            return after
        return pos

    def footnote(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_args(end, b, 0)
        q = _TEX_ARG_SPACE.match(src, pos, b)
        q_pos = q.end() if q is not None else pos
        if q_pos >= b or src[q_pos] != "{" or self.nesting >= _MAX_DEPTH:
            return pos
        inner_end, after = self.group(q_pos, b)
        saved = self.cur
        self.cur = _Builder()
        self.footnote_depth += 1
        self.nested(q_pos + 1, inner_end)
        self.footnote_depth -= 1
        self.pending.append(self.cur)
        self.cur = saved
        return after

    def item(self, j: int, end: int, b: int) -> int:
        src = self.src
        self.cur.synth(" ", j, j + 1)  # keeps "one\item two" from running together
        q = _TEX_ARG_SPACE.match(src, end, b)
        q_pos = q.end() if q is not None else end
        if q_pos < b and src[q_pos] == "[" and self.nesting < _MAX_DEPTH:
            after = self.bracket(q_pos, b)
            if after is not None:  # \item[label]: the label is prose (description lists)
                self.nested(q_pos + 1, after - 1)
                self.cur.synth(" ", after - 1, after)
                return after
        return end

    def verb(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_adjacent_options(end, b)
        if pos >= b:
            return b
        if src[pos] == "{":
            return self.group(pos, b)[1]
        delim = src[pos]
        if delim.isalpha() or delim.isspace():
            return pos
        # The closing delimiter or the end of the line, whichever comes first: searching for
        # the end of the line first would rescan a long line once per \verb (quadratic).
        stop = re.compile(f"{re.escape(delim)}|{_EOL}").search(src, pos + 1, b)
        if stop is None:
            return b
        return stop.end() if stop.group() == delim else stop.start()

    def definition(self, end: int, b: int) -> int:
        src = self.src
        pos = _TEX_HSPACE.match(src, end, b)
        p = pos.end() if pos is not None else end
        if p < b and src[p] == "\\":
            cmd = _TEX_CMD.match(src, p, b)
            p = cmd.end() if cmd is not None else p + 1
        brace = src.find("{", p, min(b, p + 64))
        if brace < 0:
            return p
        return self.group(brace, b)[1]

    def env_name(self, end: int, b: int) -> tuple[str, int] | None:
        m = _TEX_ENV_NAME.match(self.src, end, b)
        if m is None:
            return None
        return m.group(1).strip(), m.end()

    def begin(self, j: int, end: int, b: int) -> int:
        src = self.src
        env = self.env_name(end, b)
        if env is None:
            return end
        name, pos = env
        if name in _TEX_VERBATIM_ENVS:
            close = src.find("\\end{" + name + "}", pos, b)
            return close + len(name) + 6 if close >= 0 else b
        if name in _TEX_SKIP_ENVS:
            return self.skip_env(name, pos, b)
        if name in _TEX_LIST_ENVS:
            self.par(j)
            self.list_depth += 1
            return self.skip_args(pos, b, _TEX_ENV_ARGS.get(name, 0))
        self.par(j)
        if name in _TEX_QUOTE_ENVS:
            self.quote_depth += 1
        return self.skip_args(pos, b, _TEX_ENV_ARGS.get(name, 0))

    def end_env(self, j: int, end: int, b: int) -> int:
        env = self.env_name(end, b)
        if env is None:
            return end
        name, pos = env
        if name in _TEX_LIST_ENVS and self.list_depth:
            if self.list_depth == 1 and not self.footnote_depth and not self.heading:
                self.flush()
            self.list_depth -= 1
            return pos
        self.par(j)
        if name in _TEX_QUOTE_ENVS and self.quote_depth:
            self.quote_depth -= 1
        return pos

    def skip_env(self, name: str, pos: int, b: int) -> int:
        pattern = self.env_patterns.get(name)
        if pattern is None:
            pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
            self.env_patterns[name] = pattern
        depth = 1
        for m in pattern.finditer(self.src, pos, b):
            depth += 1 if m.group(1) == "begin" else -1
            if depth == 0:
                return m.end()
        return b


# --------------------------------------------------------------------------------------------------
# Plain text, git commit messages, AsciiDoc
# --------------------------------------------------------------------------------------------------

_GIT_SCISSORS = re.compile(r"# -+ >8 -+[ \t]*$")
_GIT_TRAILER = re.compile(
    r"(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+|Cc|Fixes|Closes|Resolves|Refs|Link|Bug|Issue|Change-Id)"
    r":[ \t]"
)
_ADOC_HEADING = re.compile(r"=+[ \t]+(?=\S)")
_ADOC_DELIM = re.compile(r"(?:-{4,}|\.{4,}|/{4,}|\+{4,}|_{4,}|={4,}|\*{4,}|`{3,}|\|={3,})[ \t]*$")
_ADOC_ITEM = re.compile(r"(?:\*+|-|\.+|\d+\.)[ \t]+(?=\S)")
_ADOC_ATTRIBUTE = re.compile(r":!?[A-Za-z0-9_][\w-]*!?:(?:[ \t]|$)")
_ADOC_BLOCK_ATTRIBUTE = re.compile(r"\[[^\]]*\][ \t]*$")
_ADOC_TITLE = re.compile(r"\.[^\s.]")


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


def _gitcommit_blocks(src: str, lines: list[_Seg]) -> list[_Raw]:
    """Commit message: ``#`` lines are git's comments, and everything after the scissors line
    (``git commit -v``) is a diff. The first paragraph is the subject, so it is a "heading"
    (subjects conventionally have no final period), and a final block of trailers
    (``Signed-off-by: ...``) is metadata, not prose."""
    kept: list[_Seg] = []
    for s, e in lines:
        if _GIT_SCISSORS.match(src, s, e):
            break
        if not src.startswith("#", s):
            kept.append((s, e))
    paragraphs = _plain_paragraphs(src, kept)
    if len(paragraphs) > 1 and all(_GIT_TRAILER.match(src, p, e) for p, e in paragraphs[-1]):
        paragraphs.pop()
    return [("heading" if k == 0 else "paragraph", [para]) for k, para in enumerate(paragraphs)]


def _asciidoc_blocks(src: str, lines: list[_Seg]) -> list[_Raw]:
    """AsciiDoc, lightly: ``=`` headings, lists, quote blocks; listing, literal, comment,
    passthrough and table blocks are skipped; inline markup is left alone."""
    out: list[_Raw] = []
    para: list[_Seg] = []
    kind = "paragraph"
    in_quote = False
    i = 0
    n = len(lines)

    def flush() -> None:
        if para:
            out.append((kind, [para.copy()]))
            para.clear()

    while i < n:
        s, e = lines[i]
        _cols, p = _indent(src, s, e)
        if _blank(src, p, e):
            j = i + 1
            while j < n and _blank(src, *lines[j]):
                j += 1
            if not (kind == "list" and j < n and _ADOC_ITEM.match(src, *lines[j])):
                flush()
                kind = "quote" if in_quote else "paragraph"
            i = j
            continue
        if src.startswith("//", s) and not src.startswith("////", s):
            i += 1
            continue
        delim = _ADOC_DELIM.match(src, s, e)
        if delim is not None:
            flush()
            kind = "paragraph"
            marker = src[s:e].rstrip()
            i += 1
            if marker[0] in "-./+`|":
                while i < n and src[lines[i][0] : lines[i][1]].rstrip() != marker:
                    i += 1
                i += 1
            elif marker[0] == "_":
                in_quote = not in_quote
            kind = "quote" if in_quote else "paragraph"
            continue
        heading = _ADOC_HEADING.match(src, s, e)
        if heading is not None:
            flush()
            out.append(("heading", [[(heading.end(), e)]]))
            kind = "quote" if in_quote else "paragraph"
            i += 1
            continue
        if not para and (
            _ADOC_ATTRIBUTE.match(src, s, e)
            or _ADOC_BLOCK_ATTRIBUTE.match(src, s, e)
            or _ADOC_TITLE.match(src, s, e)
        ):
            i += 1
            continue
        if src[s:e].strip() == "+":  # list continuation marker
            i += 1
            continue
        item = _ADOC_ITEM.match(src, p, e)
        if item is not None:
            if kind != "list":
                flush()
                kind = "list"
            para.append((item.end(), e))
        else:
            para.append((p, e))
        i += 1
    flush()
    return out


def _plain_extract(src: str, gitcommit: bool, asciidoc: bool) -> list[ProseBlock]:
    lines = _split_lines(src, _content_start(src))
    if gitcommit:
        raw = _gitcommit_blocks(src, lines)
    elif asciidoc:
        raw = _asciidoc_blocks(src, lines)
    else:
        raw = [("paragraph", [para]) for para in _plain_paragraphs(src, lines)]
    out: list[ProseBlock] = []
    for kind, groups in raw:
        builder = _Builder()
        prev_end = -1
        for segs in groups:
            for s, e in segs:
                if prev_end >= 0:
                    builder.synth(" ", prev_end, prev_end + 1)
                builder.add(src[s:e], range(s, e))
                prev_end = e
        block = builder.finish(kind)
        if block is not None:
            out.append(block)
    return out


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def _extract_strict(
    source: str, fmt: str, *, gitcommit: bool = False, asciidoc: bool = False
) -> list[ProseBlock]:
    """:func:`extract_prose` without the safety net (what the tests exercise)."""
    if fmt == "markdown":
        return _Markdown(source).extract()
    if fmt == "restructuredtext":
        return _Rst(source).extract()
    if fmt == "latex":
        return _Latex(source).extract()
    return _plain_extract(source, gitcommit, asciidoc)


def extract_prose(
    source: str, fmt: Format, *, gitcommit: bool = False, asciidoc: bool = False
) -> list[ProseBlock]:
    """Split ``source`` into prose blocks with markup removed, in document order.

    ``gitcommit`` and ``asciidoc`` refine ``"plaintext"`` (they are ignored for other formats):
    ``gitcommit`` skips ``#`` comment lines, everything after git's scissors line and a trailing
    block of trailers, and makes the subject a heading; ``asciidoc`` understands ``=`` headings,
    lists and delimited blocks. They are keywords rather than extra :data:`Format` values so that
    ``Format`` stays the four markup families every other component switches on.

    Never raises: if a parser fails on some input, the text is returned as plain-text paragraphs,
    because the language server calls this on every keystroke of half-typed documents.
    """
    try:
        return _extract_strict(source, fmt, gitcommit=gitcommit, asciidoc=asciidoc)
    except Exception:
        try:
            return _extract_strict(source, "plaintext")
        except Exception:
            return []


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
