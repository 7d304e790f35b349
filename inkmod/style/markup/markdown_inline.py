"""Markdown inline markup, hand-written: emphasis, links, code spans, raw HTML, entities, escapes.

Why this is not markdown-it-py's inline parser: its inline tokens carry no source positions
(``Token.map`` is set on block tokens only, and children have none), and their content is
already transformed (entities decoded, escapes resolved, code spans and line breaks normalised),
so the text of a token cannot be tied back to the characters it came from; searching for it in
the source picks the wrong occurrence as soon as a word repeats inside a link destination or
title. A diagnostic must land on the author's exact characters, so inline markup is parsed here,
on the exact source lines :mod:`.markdown` gets from markdown-it-py's block structure, and every
output character keeps its offset. Link reference labels come from markdown-it-py's own
``env["references"]`` (normalised by its ``normalizeReference``), so ``[text][label]`` is a link
exactly when the reference parser defined the label.
"""

from __future__ import annotations

import html
import re
import unicodedata

from markdown_it.common.utils import normalizeReference

from .core import _ASCII_PUNCT, _MAX_DEPTH, _MAX_OPENER_SEARCH, _Op

_TAG_NAME = r"[A-Za-z][A-Za-z0-9-]*"
_ATTRIBUTE = r"(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)"
_OPEN_TAG = rf"<{_TAG_NAME}{_ATTRIBUTE}*\s*/?>"
_CLOSE_TAG = rf"</{_TAG_NAME}\s*>"
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
    """A reference label as markdown-it-py keys ``env["references"]``."""
    return normalizeReference(label)


def _is_punct(ch: str) -> bool:
    return ch in _ASCII_PUNCT or (ch > "\x7f" and unicodedata.category(ch)[0] in "PS")


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
