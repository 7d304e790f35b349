"""Markdown: block structure from markdown-it-py, inline markup by hand, offsets exact throughout.

Why markdown-it-py for blocks: it implements CommonMark 0.31.2 (it renders the spec's examples
as the spec expects; ``python -m benchmarks markup`` checks and prints this), where the earlier
hand-written block parser disagreed with the spec on lazy continuations, link reference
definitions and list indentation. GFM tables come from its ``table`` rule, footnote definitions
from ``mdit-py-plugins``' footnote plugin and YAML front matter from its front matter plugin.

How offsets stay exact: block tokens carry ``map``, their line range, and the content of a
paragraph or heading is its lines with the container prefixes (``>``, list indentation) removed
and the ends stripped. Each content line is therefore the tail of its source line (a heading's
text lies after its ``#`` run), which gives its exact source range here; the range is checked
against the source and, if it ever does not match, the line's text is searched for instead.
Lines are counted as markdown-it-py counts them (it turns ``\\r\\n`` and ``\\r`` into ``\\n``
and NUL into U+FFFD, neither of which moves a line), so CRLF documents map exactly.

What stays hand-written, and why:

* inline markup (:mod:`.markdown_inline`): markdown-it-py's inline tokens carry no positions;
  the core ``inline`` rule is disabled, so the library parses blocks only;
* front matter guard and TOML: the plugin takes any first line of dashes for an opener and knows
  no ``+++`` (TOML); a document may start with a thematic break and prose, so front matter
  needs a second line that looks like a key (``title: x``, ``title = "x"``, ``[table]``, ``#``),
  and ``+++`` front matter is a small rule of its own in the plugin's style;
* task list markers (``[x]`` at the start of an item) are removed here: the tasklists plugin
  rewrites inline tokens, which are not parsed.

Limits: nesting deeper than :data:`_MAX_NESTING` token levels (about 30 nested lists or 60
quotes) is dropped by markdown-it-py, which stops descending there rather than recursing
without bound.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.front_matter.index import _front_matter_rule

from .core import ProseBlock, _Builder, _content_start, _rstrip_end, _Seg, _split_lines, _Virtual
from .markdown_inline import _MdInline

_MD_FRONT_MATTER_KEY = re.compile(r"[ \t]*(?:#|\[|[^\s:=][^:=]*[:=])")
_MD_TASK = re.compile(r"\[[ xX]\](?=[ \t]|$)")
_MD_ATX_RUN = re.compile(r"[ \t]*#{1,6}")
_MAX_NESTING = 64
_LISTS = ("bullet_list_open", "ordered_list_open")
_CONTAINERS = {
    "blockquote_open": "quote",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "list_item_open": "item",
    "footnote_reference_open": "footnote",
    "table_open": "table",
}


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()


def _yaml_front_matter(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """The plugin's rule, for a first line of exactly ``---`` followed by a key."""
    if start != 0 or end < 2 or _line(state, 0) != "---":
        return False
    if not _MD_FRONT_MATTER_KEY.match(state.src, state.bMarks[1], state.eMarks[1]):
        return False
    return _front_matter_rule(state, start, end, silent)


def _toml_front_matter(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``+++`` ... ``+++`` at the top, with a key on the second line (the plugin has no TOML)."""
    if start != 0 or end < 2 or _line(state, 0) != "+++":
        return False
    if not _MD_FRONT_MATTER_KEY.match(state.src, state.bMarks[1], state.eMarks[1]):
        return False
    close = next((k for k in range(1, end) if _line(state, k) == "+++"), -1)
    if close < 0:
        return False
    if not silent:
        token = state.push("front_matter", "", 0)
        token.hidden = True
        token.map = [0, close + 1]
    state.line = close + 1
    return True


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": _MAX_NESTING})
    md.enable("table")
    md.use(front_matter_plugin)
    md.block.ruler.at("front_matter", _yaml_front_matter, {"alt": []})
    md.block.ruler.before("front_matter", "toml_front_matter", _toml_front_matter, {"alt": []})
    # Definitions stay where they are written: the tail rule would move them to the end and drop
    # those no reference points to yet (a footnote being typed is still prose).
    md.use(footnote_plugin, inline=False, move_to_end=False)
    md.core.ruler.disable(["inline", "footnote_tail"], ignoreInvalid=True)
    return md


_MD = _parser()


class _Markdown:
    """Prose blocks of one Markdown document (CommonMark plus GFM tables, task lists, footnotes
    and front matter)."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.refs: set[str] = set()

    def extract(self) -> list[ProseBlock]:
        src = self.src
        start = _content_start(src)
        self.lines = _split_lines(src, start)
        self.norm = src.replace("\0", "\ufffd") if "\0" in src else src
        env: dict[str, Any] = {}
        tokens = _MD.parse(src[start:], env)
        self.refs = set(env.get("references", ()))
        out: list[ProseBlock] = []
        for kind, groups in self._units(tokens):
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

    def _units(self, tokens: list[Token]) -> list[tuple[str, list[list[_Seg]]]]:
        """Blocks by InkMod's rules: a whole list is one block (the outermost list: items,
        nested lists and quotes in it are its groups), every block inside a quote is a quote,
        a footnote's paragraphs are paragraphs; tables, code, HTML and front matter are skipped.
        """
        units: list[tuple[str, list[list[_Seg]]]] = []
        stack: list[tuple[str, int]] = []  # (container, index of its unit or -1)
        task_pending = False
        leaf = ""  # the kind of leaf block being read: "paragraph", "heading" or "atx"
        for tok in tokens:
            if tok.nesting == 1 and tok.type in _CONTAINERS:
                container = _CONTAINERS[tok.type]
                unit = -1
                if container == "list" and not any(c == "list" for c, _ in stack):
                    quoted = bool(stack) and any(c == "quote" for c, _ in stack)
                    units.append(("quote" if quoted else "list", []))
                    unit = len(units) - 1
                stack.append((container, unit))
                task_pending = container == "item"
                continue
            if tok.nesting == -1 and tok.type.replace("_close", "_open") in _CONTAINERS:
                if stack:
                    stack.pop()
                continue
            if tok.type == "heading_open":
                leaf = "atx" if tok.markup.startswith("#") else "heading"
            elif tok.type == "paragraph_open":
                leaf = "paragraph"
            if tok.type != "inline" or tok.map is None:
                if tok.type not in ("paragraph_open", "heading_open"):
                    task_pending = False
                continue
            if any(c == "table" for c, _ in stack):
                continue
            segs = self._segments(tok.content, tok.map[0], leaf == "atx")
            if task_pending and segs:
                s, e = segs[0]
                m = _MD_TASK.match(self.src, s, e)
                if m is not None:
                    segs[0] = (m.end(), e)
            task_pending = False
            list_unit = next((u for c, u in stack if c == "list"), -1)
            if list_unit >= 0:
                units[list_unit][1].append(segs)
            else:
                quoted = any(c == "quote" for c, _ in stack)
                own = "paragraph" if leaf == "paragraph" else "heading"
                units.append(("quote" if quoted else own, [segs]))
        return units

    def _segments(self, content: str, first: int, atx: bool) -> list[_Seg]:
        """Exact source ranges of an inline token's content lines (see the module docstring)."""
        src, norm, lines = self.src, self.norm, self.lines
        parts = content.split("\n")
        segs: list[_Seg] = []
        for j, part in enumerate(parts):
            k = first + j
            if k >= len(lines):
                break
            s, e = lines[k]
            text = part.lstrip()
            if not text:
                continue
            if atx:  # a heading's text follows its "#" run (and may end before closing #s)
                run = _MD_ATX_RUN.match(norm, s, e)
                found = norm.find(text, run.end() if run is not None else s, e)
            else:  # every other content line is the tail of its source line
                end = _rstrip_end(src, s, e) if j == len(parts) - 1 else e
                found = end - len(text)
                if found < s or norm[found:end] != text:
                    found = norm.find(text, s, e)
            if found < 0:  # not expected; keep the line rather than lose the text
                segs.append((s + len(src[s:e]) - len(src[s:e].lstrip()), _rstrip_end(src, s, e)))
            else:
                segs.append((found, found + len(text)))
        return segs
