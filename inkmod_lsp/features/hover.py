"""Hover on a paragraph: its style figures beside the writer's, and why it drifts.

Why hover and not only the diagnostic message: a diagnostic has room for a sentence, and it only
exists for drifting paragraphs. Hover works on every paragraph, so a writer can check a
paragraph that passed, and see the numbers behind a verdict in a table.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from inkmod.style.document import block_at

from .. import convert, figures
from ..documents import analyze, state_positions
from ..server import InkmodLanguageServer


async def hover(ls: InkmodLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    state = await analyze(ls, params.text_document.uri)
    if state is None or state.text is None:
        return None
    positions = state_positions(ls, state)
    block = block_at(state.blocks, positions.offset(params.position))
    if block is None:
        return None
    scored = next((s for s in state.scored if s.block is block), None)
    plain = not ls.markdown_hover
    if scored is None:
        why = ls.runtime.problem or "this paragraph has not been scored yet"
        return convert.hover(f"InkMod: {why}", positions, block.start, block.end, plain)
    here = await ls.in_worker(figures.paragraph_figures, block.text)
    text = figures.markdown(
        here,
        await ls.runtime.figures(),
        scored.score.score,
        ls.runtime.threshold(),
        scored.score.reasons,
        ignored=scored.ignored,
        profile=ls.settings.profile,
    )
    if plain:
        text = figures.plaintext(text)
    return convert.hover(text, positions, block.start, block.end, plain)
