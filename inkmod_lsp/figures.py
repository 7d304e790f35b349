"""The hover table: one paragraph's style figures beside the writer's.

The figures themselves come from :mod:`inkmod.style.figures` -- the paragraph's computed here
(cheap: no word-frequency table), the writer's served by the daemon (``profile.get`` with
``figures``), or computed from the locally loaded profile when there is no daemon.
"""

from __future__ import annotations

from typing import Any

from inkmod.style.figures import paragraph_figures, profile_figures

__all__ = ["markdown", "paragraph_figures", "plaintext", "profile_figures", "rows"]

Row = tuple[str, str, str]
"""(figure, this paragraph, your samples)"""


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
