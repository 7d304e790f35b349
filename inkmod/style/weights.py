"""The drift components and how much each counts: shared by the engine and the language server.

Why a module of its own: the language server re-ranks rewrite candidates by the combined surprise
(see :func:`combined_surprise`) but must not import the drift engine, which loads word tables.

How much each component counts in the combined score, after standardising each by the writer's
own spread. Vocabulary (likelihood ratio against general English) and syntax (the order of
function words and punctuation, topic masked) carry nearly all the evidence on short passages;
the other habits are kept with a small weight, mostly so that reasons can name them. Chosen on
the novels of benchmarks/ and checked unchanged on the blogs (see benchmarks/bench_style.py).
"""

from __future__ import annotations

from collections.abc import Mapping

COMPONENT_WEIGHTS: dict[str, float] = {
    "vocabulary": 1.0,
    "syntax": 1.5,
    "function_words": 0.1,
    "sentence_length": 0.1,
    "punctuation": 0.1,
    "tone": 0.1,
    "phrasing": 0.1,
    "word_length": 0.1,
    # Which glyphs (curly quotes, en dashes, "…" or their plain forms) the writer types: real but
    # minor, and often the editor's doing rather than the writer's.
    "typography": 0.05,
    "repetition": 0.1,
}
COMPONENTS: tuple[str, ...] = tuple(COMPONENT_WEIGHTS)


def combined_surprise(components: Mapping[str, float]) -> float:
    """The weighted mean of standardised components (unknown names count 0)."""
    total = sum(COMPONENT_WEIGHTS.values())
    return sum(COMPONENT_WEIGHTS.get(k, 0.0) * v for k, v in components.items()) / total
