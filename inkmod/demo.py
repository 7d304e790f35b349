"""`make demo`: the whole job on the bundled examples, from a fresh clone.

Trains a profile on Maya's samples (examples/samples/maya), then checks a draft that mixes her
paragraphs with two other writers' (examples/mixed.md) and prints the drift report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from inkmod.style.analysis import DEFAULT_THRESHOLD, analyze_text
from inkmod.style.ingest import read_sample
from inkmod.style.storage import save_profile
from inkmod.style.training import build_profile

console = Console()


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
