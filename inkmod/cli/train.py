"""`inkmod train-enhanced`: the teacher loop from the command line, with progress and a table.

Progress and notices go to standard error; the final table (or, with ``--dry-run``, the
requests that would be sent) to standard output. A run that stops (teacher unreachable, budget
reached, Ctrl-C) still prints its table and says how to resume.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from inkmod.cli.common import DEFAULT_PROFILE, fail
from inkmod.cli.common import console as out
from inkmod.cli.common import err_console as err

PHASE_LABELS = {
    "extract": "extracting patterns",
    "connect": "connecting to the teacher",
    "load": "loading the local model",
    "baseline": "baseline (the model's own voice)",
    "generate": "generating",
    "critique": "critique",
    "update": "updating the profile",
    "analyse": "analysing",
}


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command("train-enhanced")(train_enhanced)


def train_enhanced(
    style_folder: Path = typer.Option(
        ..., "--style-folder", help="Folder of the writer's samples."
    ),
    test_prompts: Path = typer.Option(
        ..., "--test-prompts", help="Text file: one test prompt per line."
    ),
    backend: str = typer.Option("smollm2", "--backend", "-b", help="Local (student) model."),
    iterations: int = typer.Option(3, "--iterations", "-n", min=1, help="Iterations to run."),
    teacher: str = typer.Option(
        "openai", "--teacher", help="'openai' (any OpenAI-compatible server) or 'none'."
    ),
    teacher_model: str | None = typer.Option(
        None, "--teacher-model", help="Teacher model id (default: gpt-4o-mini on OpenAI)."
    ),
    teacher_base_url: str | None = typer.Option(
        None,
        "--teacher-base-url",
        help="OpenAI-compatible endpoint (default: $INKMOD_TEACHER_BASE_URL, else OpenAI).",
    ),
    budget: float | None = typer.Option(
        None, "--budget", min=0.0, help="Stop before teacher spending could exceed this (USD)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the profile's last run."),
    fresh: bool = typer.Option(False, "--fresh", help="Discard the last run and start over."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the teacher requests; send nothing, write nothing."
    ),
    profile: str = typer.Option("default", "--profile", "-p", help="Profile to build and train."),
    report_dir: Path | None = typer.Option(
        None, "--report-dir", help="Where report.json/.md and scores.png go."
    ),
    max_tokens: int = typer.Option(200, "--max-tokens", min=8, help="Tokens per local draft."),
    max_k: int = typer.Option(3, "--max-k", min=1, max=8, help="Ceiling on best-of-k."),
    teacher_max_tokens: int = typer.Option(
        1024, "--teacher-max-tokens", min=64, help="Tokens per teacher answer."
    ),
    teacher_timeout: float = typer.Option(
        60.0, "--teacher-timeout", min=0.1, help="Seconds per teacher request."
    ),
    teacher_retries: int = typer.Option(
        2, "--teacher-retries", min=0, help="Retries on 429/5xx/timeouts (with backoff)."
    ),
    teacher_batch: int = typer.Option(4, "--teacher-batch", min=1, help="Drafts per teacher call."),
    teacher_json: str = typer.Option(
        "auto",
        "--teacher-json",
        help="auto, json_schema, json_object_schema, json_object or prompt.",
    ),
    teacher_price: str | None = typer.Option(
        None, "--teacher-price", help="Teacher price: IN,OUT USD per million tokens."
    ),
    price_table: Path | None = typer.Option(
        None, "--price-table", help="JSON/TOML {model: {input, output}} (USD per M tokens)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Improve the local model's imitation of your style with a teacher's critique, iteratively."""
    from inkmod.training import (
        PriceError,
        PriceTable,
        TeacherConfig,
        TrainingConfig,
        TrainingError,
        load_prompts,
        parse_price,
    )
    from inkmod.training.checkpoint import CheckpointError

    if teacher not in ("openai", "none"):
        raise fail(f"--teacher must be 'openai' or 'none', not {teacher!r}")
    if teacher_json not in ("auto", "json_schema", "json_object_schema", "json_object", "prompt"):
        raise fail(f"unknown --teacher-json {teacher_json!r}")
    try:
        prices = PriceTable.from_file(price_table) if price_table else PriceTable()
        price = parse_price(teacher_price) if teacher_price else None
        prompts = load_prompts(test_prompts)
    except (PriceError, TrainingError) as exc:
        raise fail(str(exc)) from None
    teacher_config = (
        None
        if teacher == "none"
        else TeacherConfig(
            model=teacher_model,
            base_url=teacher_base_url,
            timeout=teacher_timeout,
            max_retries=teacher_retries,
            max_tokens=teacher_max_tokens,
            json_mode=teacher_json,  # type: ignore[arg-type]
            batch_size=teacher_batch,
        )
    )
    config = TrainingConfig(
        style_folder=style_folder,
        prompts=prompts,
        backend=backend,
        iterations=iterations,
        profile=profile,
        teacher=teacher_config,
        budget_usd=budget,
        resume=resume,
        fresh=fresh,
        dry_run=dry_run,
        report_dir=report_dir,
        max_tokens=max_tokens,
        max_k=max_k,
        prices=prices,
        teacher_price=price,
        prompts_source=str(test_prompts),
    )
    try:
        result = _run_with_progress(config)
    except (TrainingError, CheckpointError) as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        if _is_expected(exc):
            raise fail(str(exc)) from None
        raise
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    elif result.status == "dry-run":
        for number, request in enumerate(result.requests, start=1):
            out.rule(f"request {number} of {len(result.requests)} (per iteration)")
            out.print_json(json.dumps(request, ensure_ascii=False))
        err.print(result.message, highlight=False)
    else:
        _final_table(result.report)
        for kind, path in result.files.items():
            err.print(f"{kind}: {path}", highlight=False)
    if result.status in ("stopped", "cancelled"):
        raise fail(result.message, 130 if result.status == "cancelled" else 2)
    if result.status == "budget":
        err.print(f"[yellow]{result.message}[/] (raise --budget and --resume to go on)")


def _save_failure(profile: str, exc: OSError) -> str:
    """One line for a profile that could not be written (the previous one is left intact)."""
    import errno

    from inkmod.style.storage import profile_path

    target = exc.filename or profile_path(profile).parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "no space left on the device; free some space"
    elif exc.errno == errno.EFBIG:
        why = "the file is too large for this file system or the file-size limit (ulimit -f)"
    else:
        why = exc.strerror or str(exc)
    return (
        f"could not save profile {profile!r} in {target}: {why}, then train again "
        "(any previous version of the profile is unchanged)"
    )


def _is_expected(exc: Exception) -> bool:
    from inkmod.backends.errors import BackendError
    from inkmod.style.build import NoSamplesError
    from inkmod.style.ingest import SamplesFolderError
    from inkmod.style.storage import ProfileError

    return isinstance(exc, BackendError | SamplesFolderError | ProfileError | NoSamplesError)


def _run_with_progress(config: Any) -> Any:
    from inkmod.training import ProgressEvent, run_training

    with Progress(
        TextColumn("[bold]{task.fields[head]}[/]"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=config.iterations, head="phase 1")

        def on_progress(event: ProgressEvent) -> None:
            head = f"iteration {event.iteration}/{event.iterations}" if event.iteration else "setup"
            if event.kind == "stats":
                _stats_table(event.data)
            elif event.kind == "notice":
                bar.console.print(f"[cyan]note:[/] {event.message}", highlight=False)
            elif event.kind == "warning":
                bar.console.print(f"[yellow]warning:[/] {event.message}", highlight=False)
            elif event.kind == "phase":
                label = PHASE_LABELS.get(event.phase, event.phase)
                bar.update(task, head=head, description=label)
            elif event.kind == "step":
                label = PHASE_LABELS.get(event.phase, event.phase)
                detail = f"{label} {event.step}/{event.steps}"
                if event.phase == "generate":
                    detail += f" · {event.message[:50]}"
                bar.update(task, head=head, description=detail)
            elif event.kind == "iteration":
                bar.update(task, completed=event.iteration, head=head, description="done")
                ours = event.data.get("ours", {})
                joint = event.data.get("fidelity", {}).get("joint")
                bar.console.print(
                    f"iteration {event.iteration}: style {_f(ours.get('style_similarity'))}, "
                    f"joint {_f(joint, 3)}",
                    highlight=False,
                )

        return run_training(config, on_progress=on_progress)


def _f(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _usd(value: Any) -> str:
    return "—" if value is None else f"${value:.4f}"


def _stats_table(stats: dict[str, Any]) -> None:
    table = Table(title="Phase 1: the writer's patterns", show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    table.add_row("vocabulary size", f"{stats['vocabulary_size']:,}")
    table.add_row("common phrases", ", ".join(stats["common_phrases"][:6]) or "—")
    tones = stats["tone_markers"]
    table.add_row(
        "tone markers /1k words",
        ", ".join(f"{k} {tones[k]:.1f}" for k in ("formal", "casual", "professional", "emphatic")),
    )
    table.add_row("pattern count", f"{stats['pattern_count']:,}")
    table.add_row("tone diversity", f"{stats['tone_diversity']:.2f}")
    table.add_row("style score", f"{stats['style_score']:.2f}")
    err.print(table)


def _final_table(report: dict[str, Any]) -> None:
    if not report:
        return
    table = Table(
        title=f"Training '{report['profile']}': {report['status']}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in ("it", "style", "tone", "struct", "T·style", "away", "towd", "sim", "joint"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("T $", justify="right", no_wrap=True, min_width=7)
    table.add_column("T-only $", justify="right", no_wrap=True, min_width=8)
    table.caption = "ours: style/tone/struct; T: the teacher; T-only: had it written every draft"
    for it in report.get("iterations", []):
        ours, tch, fid, cost = it["ours"], it["teacher"], it["fidelity"], it["cost"]
        table.add_row(
            str(it["iteration"]),
            _f(ours["style_similarity"]),
            _f(ours["tone_consistency"]),
            _f(ours["structure_quality"]),
            _f(tch["style_similarity"]),
            _f(fid.get("away")),
            _f(fid.get("towards")),
            _f(fid.get("sim")),
            _f(fid.get("joint"), 3),
            _usd(cost["teacher_usd"]),
            _usd(cost["teacher_only_usd"]),
        )
    out.print(table)
    totals = report.get("totals", {})
    usage = totals.get("teacher_usage", {})
    out.print(
        f"teacher: {usage.get('calls', 0)} calls, {usage.get('prompt_tokens', 0)} + "
        f"{usage.get('completion_tokens', 0)} tokens = {_usd(totals.get('teacher_usd'))}; "
        f"local model: {totals.get('local_tokens', 0)} tokens, $0; teacher writing every draft "
        f"would have cost ≈ {_usd(totals.get('teacher_only_usd'))}",
        highlight=False,
    )


def train(
    samples: Path = typer.Option(..., "--samples", "-s", help="Folder of your own writing."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Profile name."),
) -> None:
    """Learn a style profile from a folder of your writing samples."""
    from inkmod.style.build import build_profile
    from inkmod.style.storage import save_profile, validate_name

    validate_name(profile)
    with Progress(
        TextColumn("[bold]analysing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_progress(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total, description=Path(path).name)

        built, skipped = build_profile(samples, profile, on_progress)
    for skip in skipped:
        err.print(f"[yellow]skipped[/] {skip.path}: {skip.reason}", highlight=False)
    try:
        stored = save_profile(built)
    except OSError as exc:
        raise fail(_save_failure(profile, exc)) from None
    summary = built.summary()
    table = Table(title=f"Style profile '{profile}'", show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    table.add_row("documents", str(summary["documents"]))
    table.add_row("words", f"{summary['words']:,}")
    table.add_row("vocabulary size", f"{summary['vocabulary_size']:,}")
    table.add_row("pattern count", f"{summary['pattern_count']:,}")
    table.add_row("tone diversity", f"{summary['tone_diversity']:.2f}")
    table.add_row("style score", f"{summary['style_score']:.2f}")
    table.add_row("common phrases", ", ".join(summary["common_phrases"][:6]) or "—")
    tones = summary["tone_markers"]
    table.add_row(
        "tone markers /1k words",
        ", ".join(f"{k} {tones[k]:.1f}" for k in ("formal", "casual", "professional", "emphatic")),
    )
    out.print(table)
    out.print(f"stored in [bold]{stored}[/]", highlight=False)
