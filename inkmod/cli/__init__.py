"""The `inkmod` command line (see :mod:`inkmod.cli.app`)."""

from inkmod.cli.app import app, main

__all__ = ["app", "main"]
