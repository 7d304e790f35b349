"""reStructuredText: sections, lists, field and definition lists, footnotes; explicit markup
blocks are skipped.

Hand-written, because docutils (0.23.1) measurably cannot serve; ``python -m benchmarks
markup-libs`` prints the figures. (1) No exact offsets: its Text nodes carry no position at all
(0 of 74 in the benchmark's document) and hold transformed text (escapes turned into NUL marks);
block nodes carry a line number only, with indentation and list markers stripped from
``rawsource``, and 9 of 33 blocks do not map back even by line (a section title reports its
underline's line; a table cell's text sits mid-line, so neither its line nor a suffix places it).
So the inline parser would stay hand-written and block positions would have to be re-derived
from the source anyway.
(2) Not linear: unmatched inline start-strings (``*``, a backtick, ``|`` and a double backtick,
repeated) take ~9x the time at 4x the input (2.4 KB 78 ms, 9.5 KB 690 ms; a 52 KB paragraph
over 10 s), against ~4x here.
(3) Slow and strict even when linear: 8-12x this module's time on a realistic document, and by
default a line over 10,000 characters turns the whole document into an error.
"""

from __future__ import annotations

import re

from .core import (
    _ASCII_PUNCT,
    _MAX_DEPTH,
    ProseBlock,
    _blank,
    _Builder,
    _content_start,
    _flatten,
    _indent,
    _Op,
    _Raw,
    _rstrip_end,
    _Seg,
    _split_lines,
    _strip_cols,
    _Virtual,
)

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
