"""What every `inkmod` command shares: the two consoles and the one way to fail.

Why one module: an error the user can cause must look the same whichever command hit it -- one
red line starting with ``error:`` and exit status 2 -- so there is exactly one ``fail()``.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from inkmod.paths import DEFAULT_PROFILE

console = Console()
err_console = Console(stderr=True)

__all__ = ["DEFAULT_PROFILE", "console", "err_console", "fail"]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one red ``error:`` line (the message taken literally) and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
