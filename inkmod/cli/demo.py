"""`make demo`: the whole job on the bundled examples, from a fresh clone.

Trains a profile on Maya's samples (examples/samples/maya), checks a draft that mixes her
paragraphs with two other writers' (examples/mixed.md), prints the drift report, trains Maya's
personal model (a LoRA adapter of the embedded model; reused from .demo-home when it is still
valid) and rewrites the drifting paragraphs with it, printing drift and content kept before and
after (no download, all local).
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
        adapter = personal_model(examples / "samples" / "maya", profile)
        rewrite_drifting(draft.text, draft.fmt, profile, adapter)
    return 0


DEMO_TUNE_MINUTES = 2.0
"""Training budget of the demo (the whole demo stays under 4 minutes on two cores)."""


def personal_model(samples: Path, profile: StyleProfile) -> Path | None:
    """Step 3: Maya's personal model -- reused when still valid, else trained with progress."""
    from inkmod.generation.personal.adapter import adapter_state

    console.rule("[bold]3. Maya's personal model (a LoRA adapter of the embedded model)")
    state = adapter_state(profile.name)
    if state.usable and state.path is not None:
        console.print(f"reusing it: {state.describe()}")
        return state.path
    try:
        from inkmod.cli.tune import train_with_progress
    except ImportError as exc:  # pragma: no cover - the demo installs the tune extra
        console.print(f"[yellow]skipped[/]: {exc}; rewriting with the style prompt only")
        return None
    if state.kind == "stale":
        console.print(f"retraining: {state.reason}")
    console.print(
        f"training on {samples} for at most {DEMO_TUNE_MINUTES:g} minutes "
        "(`inkmod tune` does this for your own samples)"
    )
    result = train_with_progress(profile, samples, max_minutes=DEMO_TUNE_MINUTES)
    if result.adapter is None:
        console.print("[yellow]training stopped[/]; rewriting with the style prompt only")
        return None
    loss = ""
    if result.validation_loss is not None and result.base_validation_loss is not None:
        loss = (
            f"; loss on Maya's held-out posts {result.base_validation_loss:.3f} → "
            f"{result.validation_loss:.3f}"
        )
    console.print(
        f"trained: {result.steps} steps on {result.train_pairs} passages in "
        f"{result.seconds:.0f} s{loss}"
    )
    return result.adapter


def rewrite_drifting(text: str, fmt: str, profile: StyleProfile, adapter: Path | None) -> None:
    """Step 4: rewrite the drifting paragraphs with Maya's personal model (or, without one,
    the embedded model and the style prompt)."""
    from inkmod.backends.registry import DEFAULT_MODEL, create_backend
    from inkmod.generation.rewrite import rewrite_text

    style = None
    options: dict[str, str] = {}
    if adapter is not None:
        from inkmod.generation.personal.serving import LORA_OPTION, style_for

        style = style_for(adapter)
        if style is not None:
            options[LORA_OPTION] = str(adapter)
    writer = "Maya's personal model" if style is not None else f"{DEFAULT_MODEL} + style prompt"
    console.rule(f"[bold]4. Rewrite the drifting paragraphs in Maya's style ({writer}, local)")
    backend = create_backend(DEFAULT_MODEL, **options)
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
        if not done.changed:
            console.print(
                f"[bold]¶{index + 1}[/]: drift {done.drift_change}; left as it was: "
                f"{done.reason or 'no candidate was both closer and faithful'}"
            )
            return
        console.print(
            f"[bold]¶{index + 1}[/]: drift {done.drift_change}, content kept "
            f"{done.chosen.preservation:.0%}"
        )
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
            personal=style,
        )
    finally:
        backend.close()
    changed = sum(p.changed for p in result.paragraphs)
    console.print(
        f"rewrote {changed} of {len(result.paragraphs)} drifting paragraphs in "
        f"{result.seconds:.1f} s with {writer}"
    )


def _short(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
