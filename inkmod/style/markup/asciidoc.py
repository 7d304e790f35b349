"""AsciiDoc, lightly: ``=`` headings, lists, quote blocks; delimited code blocks are skipped."""

from __future__ import annotations

import re

from .core import _blank, _indent, _Raw, _Seg

_ADOC_HEADING = re.compile(r"=+[ \t]+(?=\S)")
_ADOC_DELIM = re.compile(r"(?:-{4,}|\.{4,}|/{4,}|\+{4,}|_{4,}|={4,}|\*{4,}|`{3,}|\|={3,})[ \t]*$")
_ADOC_ITEM = re.compile(r"(?:\*+|-|\.+|\d+\.)[ \t]+(?=\S)")
_ADOC_ATTRIBUTE = re.compile(r":!?[A-Za-z0-9_][\w-]*!?:(?:[ \t]|$)")
_ADOC_BLOCK_ATTRIBUTE = re.compile(r"\[[^\]]*\][ \t]*$")
_ADOC_TITLE = re.compile(r"\.[^\s.]")


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
