"""``python -m inkmod.daemon``: run one profile's daemon in this process.

This is what :func:`inkmod.rpc.client.ensure_daemon` spawns (detached) and what
``inkmod daemon start --foreground`` runs. It uses argparse rather than typer so that starting a
daemon imports as little as possible.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inkmod.paths import DEFAULT_PROFILE
from inkmod.rpc.instance import DEFAULT_IDLE_TIMEOUT, DaemonAlreadyRunning, DaemonPaths

EXIT_ALREADY_RUNNING = 3
EXIT_BAD_CONFIG = 2


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m inkmod.daemon", description=__doc__)
    parser.add_argument("--profile", default=DEFAULT_PROFILE)
    parser.add_argument("--samples", type=Path, default=None, help="samples folder to watch")
    parser.add_argument("--backend", default=None, help="model name (default: smollm2)")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE_TIMEOUT,
        help="seconds without clients before exiting; 0 = never (default: 1800)",
    )
    parser.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option, e.g. threads=1 (repeatable; values parsed as JSON when they can)",
    )
    parser.add_argument("--debounce", type=float, default=None, help="seconds (default: 0.2)")
    parser.add_argument("--preload", action="store_true", help="load the model at start-up")
    parser.add_argument(
        "--foreground", action="store_true", help="also log to this terminal's stderr"
    )
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    return parser.parse_args(argv)


def parse_backend_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse (numbers, booleans), else strings."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"backend option {pair!r} is not KEY=VALUE (e.g. threads=1)")
        try:
            options[key.strip()] = json.loads(raw)
        except ValueError:
            options[key.strip()] = raw
    return options


def secret_options_from_environment() -> dict[str, Any]:
    """Secret backend options the spawning client passed by environment (never by argv);
    removed from ours so that nothing this daemon starts inherits them."""
    from inkmod.rpc.security import SECRET_OPTIONS_ENV

    raw = os.environ.pop(SECRET_OPTIONS_ENV, None)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    secrets = secret_options_from_environment()
    from inkmod.daemon.handlers import load_plugins
    from inkmod.daemon.logs import setup_daemon_logging
    from inkmod.daemon.server import DaemonConfig, run_daemon
    from inkmod.daemon.watcher import DEFAULT_DEBOUNCE

    try:
        paths = DaemonPaths.for_profile(args.profile)
        parse_backend_options(args.backend_option)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    if args.samples is not None and not args.samples.expanduser().is_dir():
        print(f"error: samples folder not found: {args.samples}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    setup_daemon_logging(
        paths.log, foreground=args.foreground, level=logging.DEBUG if args.debug else logging.INFO
    )
    log = logging.getLogger("inkmod.daemon")
    try:
        plugins = load_plugins()
        if plugins:
            log.info("loaded daemon plugins: %s", ", ".join(plugins))
        config = DaemonConfig(
            profile=args.profile,
            samples=args.samples,
            backend=args.backend,
            backend_options={**parse_backend_options(args.backend_option), **secrets},
            idle_timeout=args.idle_timeout,
            debounce=DEFAULT_DEBOUNCE if args.debounce is None else args.debounce,
            preload=args.preload,
        )
        return run_daemon(config)
    except DaemonAlreadyRunning as exc:
        log.error("%s", exc)
        return EXIT_ALREADY_RUNNING
    except Exception:
        log.exception("daemon crashed")
        return 1


def run() -> None:
    """Exit hard once the daemon is done: a worker thread stuck in native code (a generation
    that ignores its cancel flag) must not keep a "stopped" daemon alive."""
    code = main()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
