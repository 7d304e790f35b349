"""Markdown: a small, total approximation of CommonMark (blocks, then inline markup)."""

from __future__ import annotations

import html
import re
import unicodedata

from .core import (
    _ASCII_PUNCT,
    _MAX_DEPTH,
    _MAX_OPENER_SEARCH,
    ProseBlock,
    _blank,
    _Builder,
    _content_start,
    _flatten,
    _indent,
    _Op,
    _Raw,
    _Seg,
    _split_lines,
    _strip_cols,
    _Virtual,
)

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
