"""Plain text (paragraphs split at blank lines), with the git commit and AsciiDoc dialects."""

from __future__ import annotations

from .asciidoc import _asciidoc_blocks
from .core import ProseBlock, _Builder, _content_start, _plain_paragraphs, _split_lines
from .gitcommit import _gitcommit_blocks


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
