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
exactly when the reference parser defined the label, and inline link destinations and titles are
read by markdown-it-py's own ``parseLinkDestination`` and ``parseLinkTitle`` helpers, which work
on exact positions. Measured with ``python -m benchmarks markup``: 652/652 CommonMark 0.31.2
examples agree with markdown-it-py in blocks and text. Where a random differential test still
finds markdown-it-py differing, the spec text is followed here: ``<!-- a --->`` is a comment
(0.31.2 allows ``-`` before ``-->``), and after a failed inline link the reference label is
looked for right after ``]``: ``[a](<b> *[foo]`` is no link (markdown-it-py makes ``[a]`` one,
labelled ``foo``, where its inline attempt stopped), and ``[foo](`` ending a paragraph is the
shortcut reference ``[foo]`` and a ``(`` (markdown-it-py gives up on the whole bracket).
"""

from __future__ import annotations

import html
import re
import unicodedata

from markdown_it.common.utils import normalizeReference
from markdown_it.helpers import parseLinkDestination, parseLinkTitle

from .core import _ASCII_PUNCT, _MAX_DEPTH, _MAX_OPENER_SEARCH, _Op

_TAG_NAME = r"[A-Za-z][A-Za-z0-9-]*"
_ATTRIBUTE = r"(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)"
_OPEN_TAG = rf"<{_TAG_NAME}{_ATTRIBUTE}*\s*/?>"
_CLOSE_TAG = rf"</{_TAG_NAME}\s*>"
_MD_SPECIAL = re.compile(r"[\\`*_~\[!<&]")
_MD_SIMPLE_EMPHASIS = re.compile(r"(\*{1,2})(?=[^\s*])([^\\`*_~\[!<&]*?[^\s\\`*_~\[!<&])\1(?!\*)")
# Raw inline HTML with a fixed shape; comments, processing instructions, CDATA and declarations
# (which run to a terminator) are found by _MdInline._scan_html instead, in linear time.
_MD_INLINE_HTML = re.compile(
    r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*>"
    r"|(?P<br><[bB][rR]\s*/?>)"
    rf"|{_OPEN_TAG}|{_CLOSE_TAG}"
)
# Constructs that run to a terminator: (opener, terminator).
_MD_HTML_RUNS = (("<!--", "-->"), ("<?", "?>"), ("<![CDATA[", "]]>"))
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Single character classes: the regex engine scans for those far faster than for alternations.
_MD_TICKS = re.compile(r"`+")
_MD_BRACKET_TOKEN = re.compile(r"[\\`\[\]<]")
# CommonMark: a link label has at most 999 characters (longer brackets are never references).
_MAX_LABEL = 999
# A footnote reference's label as mdit-py-plugins reads it: no spaces, line breaks or brackets.
# Matched from the "^", it stops at the first bracket, so nested brackets cost no rescans.
_FOOTNOTE_LABEL = re.compile(r"\^[^ \n\[\]]+\]")


def _skip_space(v: str, pos: int, b: int) -> int:
    """Past spaces, tabs and line breaks (markdown-it-py's link rule skips exactly these)."""
    while pos < b and v[pos] in " \t\n":
        pos += 1
    return pos


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
        # Raw HTML and autolinks seen while pairing brackets: start -> (end, is <br>), or None.
        self.html: dict[int, tuple[int, bool] | None] = {}
        # Every "[" decided once: (end of the construct, start and end of its text) or None;
        # ``links`` applies "no link inside a link", ``images`` does not (an image may hold one).
        self.links: dict[int, tuple[int, int, int] | None] = {}
        self.images: dict[int, tuple[int, int, int] | None] = {}
        # Per terminator ("-->", "?>", ...): (the offset searched from, what was found there).
        self.found: dict[str, tuple[int, int]] = {}
        if "`" in v:
            self._pair_code()
        if "[" in v:
            self._pair_brackets()
            self._decide_links()

    def _pair_code(self) -> None:
        """Pair backtick runs of equal length in one linear pass (code span start -> end).

        A backslash escapes the first backtick of an opening run only: inside a code span it is a
        literal character, so ``\\``` still closes one (CommonMark example 338).
        """
        v = self.v
        runs: list[tuple[int, int, int]] = []  # (start, end, escaped backticks at the start)
        for m in _MD_TICKS.finditer(v):
            s, e = m.span()
            k = s
            while k > 0 and v[k - 1] == "\\":
                k -= 1
            runs.append((s, e, (s - k) % 2))
        by_length: dict[int, list[int]] = {}
        for index, (s, e, _esc) in enumerate(runs):
            by_length.setdefault(e - s, []).append(index)
        cursor: dict[int, int] = {}  # per length: position in by_length, only ever moves forward
        k = 0
        while k < len(runs):
            s, e, esc = runs[k]
            length = e - s - esc
            candidates = by_length.get(length, [])
            c = cursor.get(length, 0)
            while c < len(candidates) and candidates[c] <= k:
                c += 1
            cursor[length] = c
            if length == 0 or c == len(candidates):
                k += 1
                continue
            j = candidates[c]
            self.code[s + esc] = runs[j][1]
            k = j + 1

    def _pair_brackets(self) -> None:
        """Match ``[ ]`` with a stack, once per paragraph, so link parsing is linear.

        Code spans, raw HTML and autolinks bind tighter than brackets (CommonMark 6.3), so a
        bracket inside one of them pairs with nothing.
        """
        v = self.v
        code = self.code
        brackets = self.brackets
        bstack: list[int] = []
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
            elif t == "\\":
                skip_to = s + 2
            elif t == "<":
                tag = self.html[s] = self._scan_html(s, len(v))
                if tag is not None:
                    skip_to = tag[0]
            else:  # a backtick run: skip a whole code span, or the literal run
                end = code.get(s)
                if end is None:
                    run = _MD_TICKS.match(v, s)
                    end = run.end() if run is not None else s + 1
                skip_to = end

    def _decide_links(self) -> None:
        """Decide every bracket once, right to left (CommonMark: a link holds no other link).

        Going right to left, the nearest link start found so far is the only one that can lie
        inside the current bracket's text, so the rule costs one comparison per bracket.
        """
        v = self.v
        nearest = len(v) + 1
        for j in sorted(self.brackets, reverse=True):
            found = self._link_at(j)
            self.images[j] = found
            if found is None:
                self.links[j] = None
                continue
            if nearest < self.brackets[j]:
                self.links[j] = None  # its text holds a link: the bracket is literal text
                continue
            self.links[j] = found
            image = j > 0 and v[j - 1] == "!" and (j < 2 or v[j - 2] != "\\")
            footnote = found[1] == found[2] and self.brackets[j] > j + 1  # [^1], not [](url)
            if not (image or footnote):  # footnote references and images may nest
                nearest = j

    def _link_at(self, j: int) -> tuple[int, int, int] | None:
        """markdown-it-py's link rule at the ``[`` at ``j``, on exact positions: an inline link
        (destination and title parsed by markdown-it-py's own helpers), a full, collapsed or
        shortcut reference whose label markdown-it-py defined, or a footnote reference."""
        v = self.v
        b = len(v)
        close = self.brackets[j]
        ta, tb = j + 1, close
        k = close + 1
        if v[ta] == "^" and not (k < b and v[k] in "(["):
            label = _FOOTNOTE_LABEL.match(v, ta, k)
            if label is not None and label.end() == k:
                return k, ta, ta  # footnote reference: dropped
        if k < b and v[k] == "(":
            pos = _skip_space(v, k + 1, b)
            if pos < b:
                dest = parseLinkDestination(v, pos, b)
                if dest.ok:
                    pos = dest.pos
                    after = _skip_space(v, pos, b)
                    title = parseLinkTitle(v, after, b)
                    if after < b and after != pos and title.ok:
                        pos = _skip_space(v, title.pos, b)
                    else:
                        pos = after
                if pos < b and v[pos] == ")":
                    return pos + 1, ta, tb
        end, (la, lb) = k, (ta, tb)
        if k < b and v[k] == "[":
            c2 = self.brackets.get(k)
            if c2 is not None:
                end = c2 + 1
                if c2 > k + 1:
                    la, lb = k + 1, c2
        if lb - la > _MAX_LABEL or _norm_label(v[la:lb]) not in self.refs:
            return None
        return end, ta, tb

    def _link(self, j: int, b: int, *, image: bool = False) -> tuple[int, int, int] | None:
        """For a ``[`` at ``j``: (end of the link, start and end of its text), or None."""
        found = (self.images if image else self.links).get(j)
        return found if found is not None and found[0] <= b else None

    def _html_at(self, j: int, b: int) -> tuple[int, bool] | None:
        """Raw HTML or an autolink at ``j`` ending by ``b``: (its end, is it ``<br>``)."""
        if j in self.html:
            seen = self.html[j]
            # No match on the whole text means none on a prefix of it either.
            if seen is None or seen[0] <= b:
                return seen
        return self._scan_html(j, b)

    def _find(self, terminator: str, start: int) -> int:
        """``v.find(terminator, start)``, remembered, so that many unterminated openers (``<!--``
        typed a thousand times) cost one scan, not one scan each."""
        cached = self.found.get(terminator)
        if cached is not None and cached[0] <= start and (cached[1] < 0 or start <= cached[1]):
            return cached[1]
        found = self.v.find(terminator, start)
        self.found[terminator] = (start, found)
        return found

    def _scan_html(self, j: int, b: int) -> tuple[int, bool] | None:
        v = self.v
        if v.startswith("<!--", j) and v.startswith((">", "->"), j + 4):
            return (j + 5 if v[j + 4] == ">" else j + 6), False  # <!--> and <!---> (0.31)
        for opener, terminator in _MD_HTML_RUNS:
            if v.startswith(opener, j):
                found = self._find(terminator, j + len(opener))
                end = found + len(terminator)
                return (end, False) if found >= 0 and end <= b else None
        if v.startswith("<!", j) and j + 2 < b and v[j + 2].isascii() and v[j + 2].isalpha():
            found = self._find(">", j + 2)
            return (found + 1, False) if 0 <= found < b else None
        hm = _MD_INLINE_HTML.match(v, j, b)
        return None if hm is None else (hm.end(), bool(hm.group("br")))

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
                    link = self._link(j + 1, b, image=True)
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
                tag = self._html_at(j, b)
                if tag is not None:
                    if j > text_start:
                        ops.append((text_start, j, None))
                    if tag[1]:
                        ops.append((j, tag[0], " "))
                    pos = text_start = tag[0]
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
