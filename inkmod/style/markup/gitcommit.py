"""Git commit messages: comments, the diff after the scissors line and trailers are skipped."""

from __future__ import annotations

import re

from .core import _plain_paragraphs, _Raw, _Seg

_GIT_SCISSORS = re.compile(r"# -+ >8 -+[ \t]*$")
_GIT_TRAILER = re.compile(
    r"(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+|Cc|Fixes|Closes|Resolves|Refs|Link|Bug|Issue|Change-Id)"
    r":[ \t]"
)


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
