"""Helpers shared by the language-server tests (uniquely named so it never collides with
another test directory's helpers on ``sys.path``).

Every session runs the real server as a subprocess (``python -m inkmod_lsp``) with its own short
``INKMOD_HOME`` under /tmp (unix socket paths must stay under ~100 bytes), so the daemon it
starts is real and private to the test; :func:`reap_daemons` stops it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EXAMPLES = REPO / "examples"
MAYA = EXAMPLES / "samples" / "maya"
MIXED = EXAMPLES / "mixed.md"
FAKE_PLUGIN = "fake_backend"
SUPPORT = HERE.parent / "support"

CLIENTS = {
    "visual-studio-code": ("visual-studio-code@v1.65.2", "Visual Studio Code"),
    "neovim": ("neovim@v0.7.0", "Neovim"),
}
"""Capability snapshots shipped with pytest-lsp, and the ``clientInfo.name`` each client sends."""

INKMOD = str(Path(sys.executable).with_name("inkmod"))
"""The console script, to start the server the way editors do: ``inkmod lsp``."""

FOREIGN = (3, 7, 10)
"""1-based paragraphs of mixed.md (after the title) in another writer's voice."""


def paragraphs(text: str) -> list[tuple[int, str]]:
    """``(0-based line, text)`` of each paragraph of a one-line-per-paragraph Markdown file,
    the title excluded."""
    out = []
    for number, line in enumerate(text.splitlines()):
        if line.strip() and not line.startswith(("#", "<!--")):
            out.append((number, line))
    return out


def short_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="ink", dir="/tmp"))


def server_env(
    home: Path, *, fake: bool = True, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment of a server under test: isolated home, and (with ``fake``) the fake model
    plugin importable by the daemon the server starts."""
    env = dict(os.environ)
    env.pop("XDG_RUNTIME_DIR", None)
    env["INKMOD_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE), str(SUPPORT), env.get("PYTHONPATH")])
    )
    if fake:
        env["INKMOD_DAEMON_PLUGINS"] = FAKE_PLUGIN
    else:
        env.pop("INKMOD_DAEMON_PLUGINS", None)
    env.update(extra or {})
    return env


def workspace(home: Path) -> Path:
    """A workspace folder holding mixed.md and a copy of Maya's samples."""
    root = home / "ws"
    root.mkdir(exist_ok=True)
    shutil.copy(MIXED, root / "mixed.md")
    if not (root / "samples").exists():
        shutil.copytree(MAYA, root / "samples")
    return root


SERVER_CAPABILITIES: dict[int, lsp.ServerCapabilities] = {}
"""What each test client's server answered to ``initialize``, by ``id(client)``."""


def _accept_registration(ls: LanguageClient, params: lsp.RegistrationParams) -> None:
    """VS Code accepts dynamic registrations; the test client has no handler of its own."""


@contextlib.asynccontextmanager
async def session(
    client: str,
    home: Path,
    root: Path,
    settings: dict[str, Any],
    *,
    fake: bool = True,
    env: dict[str, str] | None = None,
    configuration: dict[str, Any] | None = None,
    command: list[str] | None = None,
) -> AsyncIterator[LanguageClient]:
    """A started and initialized server; shut down and stopped afterwards."""
    spec, name = CLIENTS[client]
    config = ClientServerConfig(
        server_command=command or [sys.executable, "-m", "inkmod_lsp"],
        server_env=server_env(home, fake=fake, extra=env),
    )
    lsp_client = await config.start()
    assert isinstance(lsp_client, LanguageClient)
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(_accept_registration)
    if configuration is not None:
        lsp_client.set_configuration(configuration, section="inkmod")
    try:
        result = await lsp_client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities(spec),
                client_info=lsp.ClientInfo(name=name, version="test"),
                initialization_options=settings,
                root_uri=root.as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            )
        )
        SERVER_CAPABILITIES[id(lsp_client)] = result.capabilities
        yield lsp_client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(lsp_client.shutdown_session(), 10)
        with contextlib.suppress(Exception):
            await lsp_client.stop()


async def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``predicate`` (letting the client read messages) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def startup_finished(client: LanguageClient) -> bool:
    """The server's start-up progress ("InkMod": daemon, training, profile) has ended."""
    for reports in client.progress_reports.values():
        if (
            reports
            and getattr(reports[0], "title", None) == "InkMod"
            and isinstance(reports[-1], lsp.WorkDoneProgressEnd)
        ):
            return True
    return False


def open_document(client: LanguageClient, uri: str, text: str, language: str = "markdown") -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
        )
    )


def change_line(
    client: LanguageClient, uri: str, version: int, line: int, old: str, new: str
) -> None:
    """Replace the whole text of ``line`` (which currently reads ``old``) by ``new``."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(old))),
                    text=new,
                )
            ],
        )
    )


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP text edits (ASCII/BMP text, ``\\n`` line ends) as a client would."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(pos: lsp.Position) -> int:
        return starts[pos.line] + pos.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def edits_of(edit: lsp.WorkspaceEdit, uri: str) -> tuple[list[lsp.TextEdit], int | None]:
    """The text edits of ``uri`` and the version they are pinned to (None for ``changes``)."""
    if edit.document_changes:
        for change in edit.document_changes:
            if isinstance(change, lsp.TextDocumentEdit) and change.text_document.uri == uri:
                return [
                    e for e in change.edits if isinstance(e, lsp.TextEdit)
                ], change.text_document.version
    if edit.changes and uri in edit.changes:
        return list(edit.changes[uri]), None
    raise AssertionError(f"no edits for {uri} in {edit}")


async def command(client: LanguageClient, name: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=name, arguments=list(args))
    )


def _daemon_processes(home: Path) -> list[Any]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "inkmod.daemon" not in cmdline:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("INKMOD_HOME") == str(home):
                found.append(proc)
    return found


def reap_daemons(home: Path) -> None:
    """Stop every daemon started under ``home`` (politely, then by force)."""
    from inkmod.rpc.instance import DaemonPaths, terminate

    saved = os.environ.get("INKMOD_HOME")
    os.environ["INKMOD_HOME"] = str(home)
    try:
        run = home / "run"
        if run.is_dir():
            for pidfile in run.glob("*.pid"):
                with contextlib.suppress(Exception):
                    terminate(DaemonPaths.for_profile(pidfile.stem), None, timeout=3.0)
    finally:
        if saved is None:
            os.environ.pop("INKMOD_HOME", None)
        else:
            os.environ["INKMOD_HOME"] = saved
    for proc in _daemon_processes(home):
        with contextlib.suppress(Exception):
            proc.kill()


def cleanup(home: Path) -> None:
    reap_daemons(home)
    shutil.rmtree(home, ignore_errors=True)
