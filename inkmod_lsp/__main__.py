"""``python -m inkmod_lsp [--tcp HOST:PORT]``: run the language server (stdio by default).

Kept free of typer and the engine: an editor starts this on every launch, so importing as
little as possible before the first message matters. ``inkmod lsp`` runs the same :func:`main`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from .constants import EXPECTED_ERROR_CODES


def parse_tcp(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``PORT``, meaning localhost) -> ``(host, port)``."""
    host, _, port = value.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {number}")
    return host or "127.0.0.1", number


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="inkmod lsp", description="InkMod language server.")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    parser.add_argument("--tcp", type=parse_tcp, metavar="HOST:PORT", help="listen on a TCP port")
    parser.add_argument("--log-file", default=None, help="also write the server log here")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    return parser.parse_args(argv)


class _ExpectedErrors(logging.Filter):
    """pygls logs every error response with a traceback; for the answers we give on purpose
    (a cancelled or stale rewrite) that would make the log cry wolf. Keep one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if getattr(exc, "code", None) in EXPECTED_ERROR_CODES:
            record.exc_info = None
            record.msg, record.args = "answered with an error: %s", (exc,)
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def setup_logging(log_file: str | None, debug: bool) -> None:
    """Log to stderr (never stdout: that is the protocol channel) and optionally a file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        handlers=handlers,
    )
    if not debug:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedErrors())


def serve(
    tcp: tuple[str, int] | None = None, log_file: str | None = None, debug: bool = False
) -> int:
    """Run until the client says ``exit`` (or goes away); returns the exit code."""
    setup_logging(log_file, debug)
    from .setup import create_server

    server = create_server()
    try:
        if tcp is not None:
            server.start_tcp(*tcp)
        else:
            from .stdio import GuardedStdin

            server.start_io(stdin=GuardedStdin(sys.stdin.buffer))  # type: ignore[arg-type]
    finally:
        server.close()
    # pygls swallows the SystemExit of ``exit``: its code is 0 after a ``shutdown``, 1 without.
    return 0 if server.protocol._shutdown else 1


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    code = serve(args.tcp, args.log_file, args.debug)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    # Exit hard: a worker thread blocked in a daemon call must not keep an editor's
    # language server alive after the editor said goodbye.
    os._exit(code)


if __name__ == "__main__":
    main()
