"""`inkmod analyze`: per-paragraph drift scores and reasons, as a table or stable JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from inkmod.cli.common import DEFAULT_PROFILE, console, err_console


def register(app: typer.Typer) -> None:
    app.command()(analyze)


def analyze(
    files: list[Path] = typer.Argument(..., help="Files to check ('-' reads standard input)."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Profile name."),
    as_json: bool = typer.Option(False, "--json", help="Stable JSON output (see docs/cli.md)."),
    threshold: float | None = typer.Option(
        None, "--threshold", "-t", min=0.0, max=1.0, help="Drift score that counts as drifting."
    ),
    fail_on_drift: bool = typer.Option(
        False, "--fail-on-drift", help="Exit with code 1 when any paragraph drifts (for CI)."
    ),
) -> None:
    """Score each paragraph of FILES against your style profile."""
    from inkmod.style.document import DEFAULT_THRESHOLD
    from inkmod.style.ingest import SkipSample, read_sample
    from inkmod.style.markup import format_for_path
    from inkmod.style.reports import analyze_text
    from inkmod.style.storage import load_profile

    loaded = load_profile(profile)
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    results: list[dict[str, Any]] = []
    any_drift = False
    any_error = False
    for path in files:
        try:
            if str(path) == "-":
                text, fmt, label = _read_stdin(), "markdown", "<stdin>"
            else:
                sample = read_sample(path)
                text, fmt, label = sample.text, format_for_path(path), str(path)
        except SkipSample as skip:
            err_console.print(f"[yellow]skipped[/] {skip.path}: {skip.reason}", highlight=False)
            results.append({"path": str(skip.path), "error": skip.reason, "paragraphs": []})
            any_error = True
            continue
        reports = analyze_text(text, fmt, loaded, threshold=limit)
        any_drift = any_drift or any(r.drifting for r in reports)
        results.append({"path": label, "paragraphs": [r.to_dict() for r in reports]})
        if not as_json:
            _print_reports(label, reports, limit)
    if as_json:
        print(
            json.dumps(
                {"profile": profile, "threshold": limit, "files": results},
                indent=2,
                ensure_ascii=False,
            )
        )
    if any_error:  # a typo in CI must not pass: 2, as for every other error
        raise typer.Exit(2)
    if fail_on_drift and any_drift:
        raise typer.Exit(1)


def _read_stdin() -> str:
    """Standard input, with the size cap and decoding rules of a sample file."""
    from inkmod.style.ingest import MAX_SAMPLE_BYTES, SkipSample, decode_sample

    label = Path("<stdin>")
    data = sys.stdin.buffer.read(MAX_SAMPLE_BYTES + 1)
    if len(data) > MAX_SAMPLE_BYTES:
        raise SkipSample(label, f"too large (over the limit of {MAX_SAMPLE_BYTES:,} bytes)")
    return decode_sample(label, data)


def _print_reports(label: str, reports: list[Any], limit: float) -> None:
    table = Table(title=label, title_justify="left")
    table.add_column("lines", justify="right")
    table.add_column("words", justify="right")
    table.add_column("drift", justify="right")
    table.add_column("why")
    for report in reports:
        lines = f"{report.start.line + 1}-{report.end.line + 1}"
        if report.score is None:
            score = "[dim]—[/]"
        elif report.drifting:
            score = f"[bold red]{report.score:.2f}[/]"
        else:
            score = f"[green]{report.score:.2f}[/]"
        why = "; ".join(report.reasons) if (report.drifting or report.score is None) else ""
        table.add_row(lines, str(report.words), score, why)
    console.print(table)
    flagged = sum(r.drifting for r in reports)
    console.print(
        f"{flagged} of {len(reports)} paragraphs drift from your style (threshold {limit:.2f})"
    )
