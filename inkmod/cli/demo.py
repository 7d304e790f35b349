"""`make demo`: the whole job on the bundled examples, from a fresh clone.

Trains a profile on Maya's samples (examples/samples/maya), checks a draft that mixes her
paragraphs with two other writers' (examples/mixed.md), prints the drift report, and rewrites the
drifting paragraphs in her style with the embedded default model (no download, all local).
"""

from __future__ import annotations

import sys
from pathlib import Path

from inkmod.cli.common import console
from inkmod.generation.rewrite import Candidate, ParagraphRewrite
from inkmod.style.build import build_profile
from inkmod.style.document import DEFAULT_THRESHOLD
from inkmod.style.ingest import read_sample
from inkmod.style.profile import StyleProfile
from inkmod.style.reports import analyze_text
from inkmod.style.storage import save_profile


def _examples() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = base / "examples"
        if (candidate / "samples" / "maya").is_dir():
            return candidate
    raise SystemExit("examples/ not found: run `make demo` from the repository root")


def main() -> int:
    examples = _examples()
    console.rule("[bold]1. Learn Maya's style from examples/samples/maya")
    profile, skipped = build_profile(examples / "samples" / "maya", "maya-demo")
    for skip in skipped:
        console.print(f"[yellow]skipped[/] {skip.path}: {skip.reason}")
    stored = save_profile(profile)
    summary = profile.summary()
    console.print(
        f"{summary['documents']} documents, {summary['words']:,} words, "
        f"vocabulary {summary['vocabulary_size']:,}, style score {summary['style_score']:.2f}"
    )
    console.print(f"common phrases: {', '.join(summary['common_phrases'][:6])}")
    console.print(f"profile stored in {stored}")

    console.rule("[bold]2. Check a new draft (examples/mixed.md) for drift")
    draft = read_sample(examples / "mixed.md")
    reports = analyze_text(draft.text, draft.fmt, profile)
    for number, report in enumerate(reports, start=1):
        score = "  —  " if report.score is None else f"{report.score:.2f}"
        flag = "[bold red]DRIFT[/]" if report.drifting else "[green]ok[/]   "
        console.print(
            f"¶{number:>2} line {report.start.line + 1:>3}  drift {score}  {flag}  "
            + ("; ".join(report.reasons) if report.drifting else "")
        )
    flagged = [i for i, r in enumerate(reports, start=1) if r.drifting]
    console.print(
        f"\n{len(flagged)} of {len(reports)} paragraphs drift from Maya's voice "
        f"(threshold {DEFAULT_THRESHOLD}): {', '.join(map(str, flagged)) or 'none'}"
    )
    if flagged:
        rewrite_drifting(draft.text, draft.fmt, profile)
    return 0


def rewrite_drifting(text: str, fmt: str, profile: StyleProfile) -> None:
    """Step 3: rewrite the drifting paragraphs with the embedded default model."""
    from inkmod.backends.registry import DEFAULT_MODEL, create_backend
    from inkmod.generation.rewrite import rewrite_text

    console.rule(
        f"[bold]3. Rewrite the drifting paragraphs in Maya's style ({DEFAULT_MODEL}, local)"
    )
    backend = create_backend(DEFAULT_MODEL)
    with console.status(f"loading {DEFAULT_MODEL}…"):
        backend.load()
    info = backend.info()
    console.print(f"model file: {info.model} ({info.file_format}), nothing leaves this machine")

    def on_candidate(index: int, candidate: Candidate) -> None:
        drift = "—" if candidate.drift is None else f"{candidate.drift:.2f}"
        console.print(
            f"   candidate {index + 1}: drift {drift}, content kept {candidate.preservation:.0%}"
        )

    def on_paragraph(index: int, total: int, done: ParagraphRewrite) -> None:
        before = "—" if done.original_drift is None else f"{done.original_drift:.2f}"
        after = "—" if done.chosen.drift is None else f"{done.chosen.drift:.2f}"
        if not done.changed:
            console.print(
                f"[bold]¶{index + 1}[/]: drift {before}; left as it was: no candidate was both "
                "closer to Maya's voice and faithful to the original"
            )
            return
        console.print(f"[bold]¶{index + 1}[/]: drift {before} → {after}")
        console.print(f"   [dim]before:[/] {_short(done.original)}")
        console.print(f"   [green]after:[/]  {_short(done.chosen.text)}")

    console.print("best of 3 candidates per paragraph, re-ranked by drift and content kept:")
    try:
        result = rewrite_text(
            text,
            profile,
            backend,
            fmt=fmt,
            k=3,
            only_drifting=True,
            on_candidate=on_candidate,
            on_paragraph=on_paragraph,
        )
    finally:
        backend.close()
    changed = sum(p.changed for p in result.paragraphs)
    console.print(
        f"rewrote {changed} of {len(result.paragraphs)} drifting paragraphs in "
        f"{result.seconds:.1f} s (a 135M-parameter model: larger local models rewrite better)"
    )


def _short(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
