"""Settings end to end: `.inkmod.toml`, initializationOptions and workspace/configuration layer
as documented; didChangeConfiguration re-reads them (pulled from VS Code, pushed by Neovim).

These servers run with ``daemon = false`` (diagnostics in the server process): settings are the
subject here, and that path must work on its own anyway.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inkmod_lsp_testlib import (
    FOREIGN,
    INKMOD,
    MIXED,
    cleanup,
    command,
    open_document,
    paragraphs,
    session,
    short_home,
    wait_until,
    workspace,
)
from lsprotocol import types as lsp

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

TEXT = MIXED.read_text(encoding="utf-8")
FOREIGN_LINES = [paragraphs(TEXT)[n - 1][0] for n in FOREIGN]


def _write_workspace_file(root: Path) -> None:
    (root / ".inkmod.toml").write_text(
        'profile = "maya"\nsamples_folder = "samples"\nseverity = "warning"\n', encoding="utf-8"
    )


async def test_vscode_layers_and_pulls_changes() -> None:
    home = short_home()
    root = workspace(home)
    _write_workspace_file(root)
    try:
        async with session(
            "visual-studio-code",
            home,
            root,
            {"debounceMs": 50, "severity": "error"},  # initializationOptions
            configuration={"daemon": False, "threshold": 0.9, "severity": "warning"},
            command=[INKMOD, "lsp"],  # the way editors start it
        ) as client:
            uri = (root / "mixed.md").as_uri()
            open_document(client, uri, TEXT)
            await wait_until(lambda: client.diagnostics.get(uri), 60, "diagnostics")
            assert {d.severity for d in client.diagnostics[uri]} == {lsp.DiagnosticSeverity.Warning}
            status = await command(client, "inkmod.status", {"quiet": True})
            settings = status["settings"]
            assert settings["profile"] == "maya" and settings["daemon"] is False
            assert settings["debounceMs"] == 50 and settings["threshold"] == 0.9
            assert status["settingsFrom"]["profile"] == ".inkmod.toml"
            assert status["settingsFrom"]["severity"] == "workspace/configuration"
            assert status["settingsFrom"]["debounceMs"] == "initializationOptions"
            assert status["scorer"] == "local"
            assert status["loadedModules"] == []  # `inkmod lsp` execs a clean server process

            client.set_configuration(
                {"daemon": False, "severity": "hint", "candidates": 99}, section="inkmod"
            )
            client.diagnostics.pop(uri)
            client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(settings=None)
            )
            await wait_until(lambda: client.diagnostics.get(uri), 30, "republished diagnostics")
            assert {d.severity for d in client.diagnostics[uri]} == {lsp.DiagnosticSeverity.Hint}
            assert any(
                "'candidates' must be between 1 and 16" in m.message for m in client.messages
            )

            client.set_configuration(
                {"daemon": False, "languages": ["plaintext"]}, section="inkmod"
            )
            client.diagnostics.pop(uri)
            client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(settings=None)
            )
            await wait_until(lambda: uri in client.diagnostics, 30, "cleared diagnostics")
            assert len(client.diagnostics[uri]) == 0  # markdown is no longer checked
    finally:
        cleanup(home)


async def test_neovim_pushes_settings() -> None:
    """Neovim 0.7 does not serve workspace/configuration: init_options, then the settings
    object of didChangeConfiguration."""
    home = short_home()
    root = workspace(home)
    _write_workspace_file(root)
    try:
        async with session("neovim", home, root, {"daemon": False}) as client:
            uri = (root / "mixed.md").as_uri()
            open_document(client, uri, TEXT)
            await wait_until(lambda: client.diagnostics.get(uri), 60, "diagnostics")
            assert len(client.diagnostics[uri]) == 3
            client.diagnostics.pop(uri)
            client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(
                    settings={"inkmod": {"daemon": False, "threshold": 1.0}}
                )
            )
            await wait_until(lambda: uri in client.diagnostics, 30, "republished diagnostics")
            assert len(client.diagnostics[uri]) == 0  # nothing is above 1.0
            status = await command(client, "inkmod.status", {"quiet": True})
            assert status["settingsFrom"]["threshold"] == "didChangeConfiguration"
    finally:
        cleanup(home)
