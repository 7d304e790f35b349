"""The entry point: one format name in, prose blocks out, never an exception."""

from __future__ import annotations

from .core import Format, ProseBlock
from .latex import _Latex
from .markdown import _Markdown
from .plain import _plain_extract
from .rst import _Rst


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
