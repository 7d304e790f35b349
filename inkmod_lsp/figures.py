"""Style figures of one paragraph beside the writer's, for hover.

Why the same functions on both sides: the paragraph's figures are computed by building the
engine's own :class:`~inkmod.style.features.DocumentStats` for that one paragraph and reading it
with the functions ``inkmod profile show`` uses on the whole profile, so "yours" and "here" are
always measured the same way. None of this touches the word-frequency background, so hover is
cheap even in the server process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inkmod.style.features import DocumentStats
    from inkmod.style.profile import StyleProfile

Row = tuple[str, str, str]
"""(figure, this paragraph, your samples)"""


def _figures(stats: DocumentStats) -> dict[str, Any]:
    from inkmod.style import features as ft

    sentences = ft.sentence_patterns(stats)
    vocabulary = ft.vocabulary(stats)
    tone = ft.tone_markers(stats)["per_1000_words"]
    punctuation = ft.punctuation(stats)
    paragraphs = ft.paragraph_structure(stats)
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


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _num(value: float) -> str:
    return f"{value:.1f}"


def _per_k(value: float) -> str:
    return f"{value:.0f}"


def rows(here: dict[str, Any], yours: dict[str, Any]) -> list[Row]:
    """The comparison table, in the order a writer reads it."""
    sentence_yours = f"{yours['sentence_length']:.1f} ± {yours['sentence_sd']:.1f}"
    table: list[Row] = [
        (
            "words / sentences per paragraph",
            f"{here['words']:.0f} / {here['sentences']:.0f}",
            f"{yours['words']:.0f} / {yours['sentences']:.1f}",
        ),
        ("sentence length (words)", _num(here["sentence_length"]), sentence_yours),
        ("word length (letters)", _num(here["word_length"]), _num(yours["word_length"])),
        ("questions", _pct(here["questions"]), _pct(yours["questions"])),
        ("exclamations", _pct(here["exclamations"]), _pct(yours["exclamations"])),
        ("passive sentences", _pct(here["passive"]), _pct(yours["passive"])),
    ]
    for key, label in (
        ("contractions", "contractions"),
        ("first_person", "I / me / my"),
        ("second_person", "you / your"),
        ("formal", "formal words"),
        ("casual", "casual words"),
        ("commas", "commas"),
        ("semicolons", "semicolons"),
        ("dashes", "dashes"),
        ("parentheses", "parentheses"),
    ):
        table.append((f"{label} per 1,000 words", _per_k(here[key]), _per_k(yours[key])))
    return table


def markdown(
    here: dict[str, Any],
    yours: dict[str, Any] | None,
    score: float | None,
    threshold: float,
    reasons: tuple[str, ...],
    *,
    ignored: bool,
    profile: str,
) -> str:
    """The hover text: verdict, reasons, then the figures side by side."""
    if ignored:
        verdict = "ignored at your request (command *InkMod: Ignore this paragraph*)"
    elif score is None:
        verdict = "too short to judge"
    else:
        flag = "drifts from" if score > threshold else "matches"
        verdict = f"drift **{score:.2f}** (flagged above {threshold:.2f}): {flag} your style"
    lines = [f"**InkMod** · profile `{profile}` · {verdict}", ""]
    if reasons and not ignored:
        lines += [f"- {reason}" for reason in reasons]
        lines.append("")
    if yours is not None:
        lines += ["| | this paragraph | your samples |", "| --- | ---: | ---: |"]
        lines += [f"| {name} | {a} | {b} |" for name, a, b in rows(here, yours)]
    return "\n".join(lines)


def plaintext(markdown_text: str) -> str:
    """A readable plain-text version for clients that cannot render Markdown."""
    out = []
    for line in markdown_text.splitlines():
        if line.startswith("| ---"):
            continue
        out.append(line.replace("**", "").replace("`", "").strip("| ").replace(" | ", "  "))
    return "\n".join(out)
