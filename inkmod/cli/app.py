"""The `inkmod` command line: the typer app and its entry point.

Why typer + rich: typed options give free validation and help text; rich gives progress bars and
tables on a terminal while staying plain when piped. Every error the user can cause ends in one red
line and exit code 2 -- never a traceback. Each command group lives in its own module and imports
its heavy parts only when run.
"""

from __future__ import annotations

import sys

import typer

from inkmod import __version__
from inkmod.cli.common import console, err_console, fail

app = typer.Typer(
    name="inkmod",
    help="Learn how you write, see where a text drifts from your voice, rewrite it in your style.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from inkmod.rpc.security import InsecureRuntimeDir, SocketPathTooLong
    from inkmod.style.build import NoSamplesError
    from inkmod.style.ingest import SamplesFolderError
    from inkmod.style.storage import ProfileError

    errors: list[type[BaseException]] = [
        ProfileError,
        SamplesFolderError,
        NoSamplesError,
        InsecureRuntimeDir,
        SocketPathTooLong,
    ]
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
        fail(str(exc))
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


def _register_commands() -> None:
    """Every command group registers itself on the app, built-ins one module each."""
    from inkmod.cli import analyze, backends, daemon, lsp, profile, rewrite, train, tune

    for module in (train, tune, analyze, profile, rewrite, backends, daemon, lsp):
        module.register(app)


_register_commands()
