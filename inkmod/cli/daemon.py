"""``inkmod daemon start|stop|status|logs``: run and inspect the background daemon.

Kept beside the daemon rather than in ``inkmod/cli.py`` (which calls :func:`register`), so the
commands change together with the code they drive. Expected failures print one red line and exit
with status 2; "not running" is status 1 so scripts can test for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.markup import escape
from rich.table import Table

from inkmod.cli.common import DEFAULT_PROFILE, fail
from inkmod.cli.common import console as out
from inkmod.cli.common import err_console as err
from inkmod.rpc.instance import DEFAULT_IDLE_TIMEOUT, DaemonPaths

daemon_app = typer.Typer(
    help="The background daemon: one per profile, keeps the model loaded and the profile fresh.",
    no_args_is_help=True,
)

ProfileOption = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Style profile name.")


def _paths(profile: str) -> DaemonPaths:
    try:
        return DaemonPaths.for_profile(profile)
    except ValueError as exc:
        raise fail(str(exc)) from None


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _megabytes(value: Any) -> str:
    return f"{value / 1_048_576:.0f} MB" if isinstance(value, (int, float)) else "?"


def _adapter_row(adapter: Any) -> str:
    if not isinstance(adapter, dict):
        return "unknown (an older daemon)"
    text = str(adapter.get("description") or adapter.get("kind"))
    if adapter.get("usable") and not adapter.get("in_use"):
        text += " — not applied to this model"
    return text


def status_rows(status: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``status`` method's answer as label/value pairs for people."""
    backend = status.get("backend") or {}
    loaded = "loaded" if backend.get("loaded") else "not loaded yet"
    if backend.get("error"):
        loaded = f"failed: {backend['error']}"
    refresh = status.get("last_refresh")
    samples = status.get("samples_dir") or "none"
    if status.get("samples_status") == "missing":
        samples += " (MISSING: deleted or renamed)"
    profile = str(status.get("profile"))
    if status.get("profile_state") != "ready":
        profile += f" ({status.get('profile_state')}: {status.get('profile_error') or ''})"
    else:
        profile += f" ({status.get('documents')} documents, revision {status.get('revision')})"
    return [
        ("pid", str(status.get("pid"))),
        ("version", f"{status.get('version')} (protocol {status.get('protocol')})"),
        ("socket", str(status.get("socket"))),
        ("profile", profile),
        ("samples folder", samples),
        ("backend", f"{backend.get('name')} ({loaded})"),
        ("personal model", _adapter_row(status.get("adapter"))),
        ("uptime", _ago(float(status.get("uptime") or 0))),
        ("clients", f"{status.get('clients')} ({status.get('requests')} requests running)"),
        ("last refresh", f"{_ago(time.time() - refresh)} ago" if refresh else "never"),
        ("memory (RSS)", _megabytes(status.get("memory_rss"))),
        ("idle timeout", f"{status.get('idle_timeout'):g}s" if status.get("idle_timeout") else "?"),
        ("log", str(status.get("log"))),
    ]


@daemon_app.command("start")
def start(
    profile: str = ProfileOption,
    samples: Path | None = typer.Option(
        None, "--samples", "-s", help="Samples folder to learn from and watch."
    ),
    backend: str | None = typer.Option(None, "--backend", "-b", help="Model (default smollm2)."),
    option: list[str] | None = typer.Option(
        None, "--option", "-o", metavar="KEY=VALUE", help="Backend option, e.g. threads=1."
    ),
    foreground: bool = typer.Option(
        False, "--foreground", help="Run in this terminal (logs to stderr) instead of detached."
    ),
    idle_timeout: float = typer.Option(
        DEFAULT_IDLE_TIMEOUT, "--idle-timeout", help="Exit after this many seconds without clients."
    ),
    preload: bool = typer.Option(False, "--preload", help="Load the model now, not on first use."),
) -> None:
    """Start the daemon for a profile (no-op if it is already running)."""
    _paths(profile)
    if samples is not None and not samples.expanduser().is_dir():
        raise fail(f"samples folder not found: {samples}")
    from inkmod.backends.base import check_option_types
    from inkmod.backends.errors import BackendError
    from inkmod.daemon.__main__ import parse_backend_options

    try:
        options = parse_backend_options(option or [])
        check_option_types(options)
    except (ValueError, BackendError) as exc:
        raise fail(str(exc)) from None
    if foreground:
        _run_foreground(profile, samples, backend, options, idle_timeout, preload)
        return
    from inkmod.rpc.client import DaemonError, ensure_daemon

    try:
        client = ensure_daemon(
            profile,
            samples=samples,
            backend=backend,
            backend_options=options,
            idle_timeout=idle_timeout,
            daemon_args=["--preload"] if preload else (),
        )
    except DaemonError as exc:
        raise fail(str(exc)) from None
    info = client.server_info
    client.close()
    state = "started" if client.started_daemon else "already running"
    out.print(
        f"daemon for profile [bold]{escape(profile)}[/] {state} "
        f"(pid {info.get('pid')}, backend {info.get('backend')}, socket {client.paths.socket})",
        soft_wrap=True,
    )
    if not client.started_daemon:
        if backend and info.get("backend") != backend:
            err.print(
                f"[yellow]note:[/] it runs backend {info.get('backend')}, not {backend}; "
                f"`inkmod daemon stop -p {profile}` first to change it"
            )
        wanted = str(samples.expanduser().resolve()) if samples else None
        if wanted and info.get("samples_dir") != wanted:
            err.print(
                f"[yellow]note:[/] it watches {info.get('samples_dir')}; "
                f"`inkmod daemon stop -p {profile}` first to change it"
            )


def _run_foreground(
    profile: str,
    samples: Path | None,
    backend: str | None,
    options: dict[str, Any],
    idle_timeout: float,
    preload: bool,
) -> None:
    """Serve in this process until Ctrl-C/SIGTERM, then exit hard (see ``__main__.run``)."""
    import logging

    from inkmod.daemon.__main__ import main

    argv = ["--profile", profile, "--idle-timeout", str(idle_timeout), "--foreground"]
    if samples is not None:
        argv += ["--samples", str(samples.expanduser().resolve())]
    if backend:
        argv += ["--backend", backend]
    from inkmod.rpc.instance import daemon_environment
    from inkmod.rpc.security import SECRET_OPTIONS_ENV, is_secret_option

    for key, value in options.items():
        if not is_secret_option(key):
            argv += ["--backend-option", f"{key}={json.dumps(value)}"]
    secrets = daemon_environment(options).get(SECRET_OPTIONS_ENV)
    if secrets:
        os.environ[SECRET_OPTIONS_ENV] = secrets  # read (and removed) by the daemon's main()
    if preload:
        argv.append("--preload")
    code = main(argv)
    logging.shutdown()
    os._exit(code)


@daemon_app.command("stop")
def stop(profile: str = ProfileOption) -> None:
    """Stop the profile's daemon (politely, then by signal)."""
    _paths(profile)
    from inkmod.rpc.client import stop_daemon

    result = stop_daemon(profile)
    if result is None:
        out.print(f"no daemon running for profile {escape(profile)}")
    elif result:
        out.print(f"stopped the daemon for profile {escape(profile)}")
    else:
        raise fail(f"the daemon for profile {profile!r} would not stop")


@daemon_app.command("status")
def status(
    profile: str = ProfileOption,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show pid, socket, profile, samples folder, backend, uptime, clients, memory."""
    paths = _paths(profile)
    from inkmod.rpc.client import DaemonError, DaemonNotRunning, ensure_daemon

    try:
        client = ensure_daemon(profile, spawn=False, connect_timeout=5.0, request_timeout=10.0)
    except DaemonError as exc:
        detail = "" if isinstance(exc, DaemonNotRunning) else f" ({exc})"
        if as_json:
            out.print_json(json.dumps({"running": False, "profile": profile, "error": detail}))
        else:
            out.print(f"no daemon running for profile {escape(profile)}{escape(detail)}")
        raise typer.Exit(code=1) from None
    try:
        info = client.status()
    finally:
        client.close()
    if as_json:
        out.print_json(json.dumps({"running": True, **info}))
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in status_rows(info):
        table.add_row(label, escape(value))
    out.print(f"daemon for profile [bold]{escape(profile)}[/] is running; log {paths.log}")
    out.print(table)


@daemon_app.command("logs")
def logs(
    profile: str = ProfileOption,
    lines: int = typer.Option(50, "-n", "--lines", help="How many lines from the end."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
) -> None:
    """Print the daemon's log (native library output included)."""
    from inkmod.textfiles import tail

    paths = _paths(profile)
    if not paths.log.exists() and not follow:
        raise fail(f"no log yet at {paths.log}", code=1)
    for line in tail(paths.log, lines):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if follow:
        with contextlib.suppress(KeyboardInterrupt):
            _follow(paths.log)


def _follow(path: Path, poll: float = 0.25) -> None:
    """``tail -F``: keep printing, across the log's rotation (a new file at the same path)."""
    handle: TextIO | None = _open_log(path, at_end=True)
    try:
        while True:
            if handle is None:
                handle = _open_log(path, at_end=False)  # a new file: nothing in it was shown
                if handle is None:
                    time.sleep(poll)
                    continue
            line = handle.readline()
            if line:
                out.print(line.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
                continue
            try:
                rotated = os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                rotated = True
            if rotated:
                handle.close()
                handle = None
                continue
            time.sleep(poll)
    finally:
        if handle is not None:
            handle.close()


def _open_log(path: Path, at_end: bool) -> TextIO | None:
    try:
        handle = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - kept open
    except FileNotFoundError:
        return None
    if at_end:
        handle.seek(0, os.SEEK_END)
    return handle


def register(app: typer.Typer) -> None:
    """Add the ``daemon`` command group to the main ``inkmod`` app."""
    app.add_typer(daemon_app, name="daemon")
