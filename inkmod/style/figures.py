"""Style figures: the numbers ``inkmod profile show`` and the editor's hover show side by side.

Why one module for both sides: the figures of one paragraph are computed by building the engine's
own :class:`~inkmod.style.features.DocumentStats` for that paragraph and reading it with the
functions used on the whole profile, so "yours" and "here" are always measured the same way. None
of this touches the word-frequency background, so it is cheap in any process. The daemon serves a
profile's figures through ``profile.get`` (``figures: true``); the language server computes only
the paragraph's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inkmod.style.features import DocumentStats
    from inkmod.style.profile import StyleProfile


def _figures(stats: DocumentStats) -> dict[str, Any]:
    from inkmod.style import analyses as an

    sentences = an.sentence_patterns(stats)
    vocabulary = an.vocabulary(stats)
    tone = an.tone_markers(stats)["per_1000_words"]
    punctuation = an.punctuation(stats)
    paragraphs = an.paragraph_structure(stats)
    return {
        "words": paragraphs["mean_words"],
        "sentences": paragraphs["mean_sentences"],
        "sentence_length": sentences["mean_length"],
        "sentence_sd": sentences["sd_length"],
        "word_length": vocabulary["mean_word_length"],
        "questions": sentences["question_rate"],
        "exclamations": sentences["exclamation_rate"],
        "passive": sentences["passive_rate"],
        "contractions": tone.get("contractions", 0.0),
        "first_person": tone.get("first_person", 0.0),
        "second_person": tone.get("second_person", 0.0),
        "formal": tone.get("formal", 0.0),
        "casual": tone.get("casual", 0.0),
        "commas": punctuation.get(",", 0.0),
        "semicolons": punctuation.get(";", 0.0),
        "dashes": punctuation.get("—", 0.0),
        "parentheses": punctuation.get("(", 0.0),
    }


def profile_figures(profile: StyleProfile) -> dict[str, Any]:
    return _figures(profile.totals)


def paragraph_figures(text: str) -> dict[str, Any]:
    from inkmod.style.features import document_stats
    from inkmod.style.tokens import parse_paragraph

    return _figures(document_stats([parse_paragraph(text)]))
