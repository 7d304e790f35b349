"""``inkmod lsp``: the language server, as a subcommand of the CLI.

Registered by :mod:`inkmod.cli` when this module exists. It only parses the options and then
*replaces* this process with ``python -m inkmod_lsp`` (``exec``), because by the time a typer
command runs, the CLI has imported rich, typer and its other subcommands -- including the
rewrite engine and the backend protocol, which the language server process must never hold.
An editor starting ``inkmod lsp`` therefore gets exactly the lean server ``python -m
inkmod_lsp`` gives (same pid, same stdio). Where ``exec`` does not keep stdio semantics
(Windows), the server runs in this process instead.
"""

from __future__ import annotations

import os
import sys

import typer


def register(app: typer.Typer) -> None:
    app.command("lsp")(lsp)


def lsp(
    tcp: str | None = typer.Option(
        None, "--tcp", metavar="HOST:PORT", help="Listen on a TCP port instead of stdio."
    ),
    stdio: bool = typer.Option(True, "--stdio", help="Talk over stdin/stdout (the default)."),
    log_file: str | None = typer.Option(None, "--log-file", help="Also write the log here."),
    debug: bool = typer.Option(False, "--debug", help="Log at DEBUG level."),
) -> None:
    """Run the InkMod language server (editors start this; see docs/lsp.md)."""
    args: list[str] = []
    if tcp:
        args += ["--tcp", tcp]
    if log_file:
        args += ["--log-file", log_file]
    if debug:
        args.append("--debug")
    del stdio  # the default; accepted because editors pass it
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "inkmod_lsp", *args])
    from inkmod_lsp.__main__ import main  # pragma: no cover - non-POSIX

    main(args)  # pragma: no cover
