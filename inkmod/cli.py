"""The `inkmod` command line.

Why typer + rich: typed options give free validation and help text; rich gives progress bars and
tables on a terminal while staying plain when piped. Every error the user can cause ends in one red
line and exit code 2 — never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from inkmod import __version__

app = typer.Typer(
    name="inkmod",
    help="Learn how you write, see where a text drifts from your voice, rewrite it in your style.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
profile_app = typer.Typer(help="List, show and delete style profiles.", no_args_is_help=True)
app.add_typer(profile_app, name="profile")

console = Console()
err_console = Console(stderr=True)
DEFAULT_PROFILE = "default"
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one red line and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from inkmod.style.ingest import SamplesFolderError
    from inkmod.style.storage import ProfileError
    from inkmod.style.training import NoSamplesError

    errors: list[type[BaseException]] = [ProfileError, SamplesFolderError, NoSamplesError]
    try:
        from inkmod.backends.errors import BackendError

        errors.append(BackendError)
    except ImportError:  # pragma: no cover - backends are part of the package
        pass
    return tuple(errors)


def main() -> None:
    """Console entry point: run the app, turning expected errors into one line each."""
    try:
        app()
    except _expected_errors() as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


def _version(value: bool) -> None:
    if value:
        console.print(f"inkmod {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """InkMod command line."""


@app.command()
def train(
    samples: Path = typer.Option(..., "--samples", "-s", help="Folder of your own writing."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Profile name."),
) -> None:
    """Learn a style profile from a folder of your writing samples."""
    from inkmod.style.storage import save_profile, validate_name
    from inkmod.style.training import build_profile

    validate_name(profile)
    with Progress(
        TextColumn("[bold]analysing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_progress(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total, description=Path(path).name)

        built, skipped = build_profile(samples, profile, on_progress)
    for skip in skipped:
        err_console.print(f"[yellow]skipped[/] {skip.path}: {skip.reason}", highlight=False)
    stored = save_profile(built)
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
    console.print(table)
    console.print(f"stored in [bold]{stored}[/]", highlight=False)


@profile_app.command("list")
def profile_list() -> None:
    """List stored profiles."""
    from inkmod.style.storage import list_profiles, load_profile, profile_path

    names = list_profiles()
    if not names:
        console.print("no profiles yet: create one with `inkmod train --samples DIR`")
        return
    table = Table("name", "documents", "words", "samples folder", "file")
    for name in names:
        try:
            loaded = load_profile(name)
            table.add_row(
                name,
                str(len(loaded.documents)),
                f"{loaded.totals.n_words:,}",
                loaded.samples_dir or "—",
                str(profile_path(name)),
            )
        except Exception as exc:  # a damaged file must not hide the others
            table.add_row(name, "—", "—", f"[red]{exc}[/]", str(profile_path(name)))
    console.print(table)


@profile_app.command("show")
def profile_show(
    name: str = typer.Argument(DEFAULT_PROFILE, help="Profile name."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show a profile's figures: the five analyses and the training stats."""
    from inkmod.style.storage import load_profile

    loaded = load_profile(name)
    if as_json:
        print(json.dumps({"summary": loaded.summary(), "analyses": loaded.analyses()}, indent=2))
        return
    info = loaded.analyses()
    summary = loaded.summary()
    table = Table(title=f"Profile '{name}'", show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    sent = info["sentences"]
    vocab = info["vocabulary"]
    para = info["paragraphs"]
    table.add_row("samples folder", loaded.samples_dir or "—")
    table.add_row("documents / words", f"{summary['documents']} / {summary['words']:,}")
    table.add_row("sentence length", f"{sent['mean_length']:.1f} ± {sent['sd_length']:.1f} words")
    table.add_row(
        "questions / exclamations", f"{sent['question_rate']:.1%} / {sent['exclamation_rate']:.1%}"
    )
    table.add_row("passive sentences", f"{sent['passive_rate']:.1%}")
    table.add_row(
        "vocabulary", f"{vocab['vocabulary_size']:,} words, MATTR {vocab['mattr'] or 0:.3f}"
    )
    table.add_row("sentences per paragraph", f"{para['mean_sentences']:.1f}")
    table.add_row("dominant tone", str(info["tone"]["dominant"]))
    table.add_row("common phrases", ", ".join(p for p, _ in info["phrases"][:8]) or "—")
    table.add_row("openers", ", ".join(w for w, _ in sent["top_openers"][:8]) or "—")
    table.add_row("style score", f"{summary['style_score']:.2f}")
    console.print(table)


@profile_app.command("delete")
def profile_delete(
    name: str = typer.Argument(..., help="Profile name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a stored profile (your sample files are not touched)."""
    from inkmod.style.storage import delete_profile, profile_path

    path = profile_path(name)
    if not path.exists():
        raise fail(f"no profile named {name!r}")
    if not yes and not typer.confirm(f"delete {path}?"):
        raise typer.Exit(1)
    delete_profile(name)
    console.print(f"deleted profile {name!r}")


@app.command()
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
    from inkmod.style.analysis import DEFAULT_THRESHOLD, analyze_text
    from inkmod.style.ingest import SkipSample, read_sample
    from inkmod.style.markup import format_for_path
    from inkmod.style.storage import load_profile

    loaded = load_profile(profile)
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    results: list[dict[str, Any]] = []
    any_drift = False
    for path in files:
        if str(path) == "-":
            text, fmt, label = sys.stdin.read(), "markdown", "<stdin>"
        else:
            try:
                sample = read_sample(path)
            except SkipSample as skip:
                err_console.print(f"[yellow]skipped[/] {path}: {skip.reason}", highlight=False)
                results.append({"path": str(path), "error": skip.reason, "paragraphs": []})
                continue
            text, fmt, label = sample.text, format_for_path(path), str(path)
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
    if fail_on_drift and any_drift:
        raise typer.Exit(1)


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


def _register_commands() -> None:
    """Commands that live in their own modules; each imports its heavy parts only when run."""
    from inkmod import cli_backends, cli_daemon, cli_lsp, cli_rewrite, cli_train

    for module in (cli_backends, cli_daemon, cli_lsp, cli_rewrite, cli_train):
        module.register(app)


_register_commands()

if __name__ == "__main__":
    main()
