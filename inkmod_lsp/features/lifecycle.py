"""``initialize``, ``initialized``, ``shutdown`` and settings changes.

Settings are read in ``initialized`` rather than ``initialize``: ``workspace/configuration`` is a
request *to the client*, which the client may only answer once it has our ``initialize`` result.
Until then :attr:`Runtime.ready` is clear, so an early ``didOpen`` waits instead of being scored
against defaults.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ..config import SECTION
from ..server import InkmodLanguageServer

log = logging.getLogger(__name__)


def _workspace_root(params: lsp.InitializeParams) -> Path | None:
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    if uri is not None:
        path = to_fs_path(uri)
        return Path(path) if path else None
    return Path(params.root_path) if params.root_path else None


def initialize(ls: InkmodLanguageServer, params: lsp.InitializeParams) -> None:
    """Remember who the client is, its initialization options and the workspace root."""
    ls.client_name = params.client_info.name if params.client_info else ""
    ls.initialization_options = params.initialization_options
    ls.workspace_root = _workspace_root(params)
    log.info("client %r, workspace %s", ls.client_name, ls.workspace_root)


async def initialized(ls: InkmodLanguageServer, params: lsp.InitializedParams) -> None:
    """Read the settings and start the runtime (daemon, profile) in the background."""
    loaded = await ls.read_settings()
    ls.apply_settings(loaded, first=True)
    await _register_for_configuration_changes(ls)


def shutdown(ls: InkmodLanguageServer, params: None) -> None:
    """Stop background work; the daemon keeps running for other clients (idle timeout)."""
    ls.close()


async def did_change_configuration(
    ls: InkmodLanguageServer, params: lsp.DidChangeConfigurationParams
) -> None:
    """Re-read the settings: pulled again from the client when it serves them, else taken
    from the notification (Neovim sends the settings object here)."""
    if not ls.serves_configuration and params.settings is not None:
        ls.pushed_settings = params.settings
    ls.apply_settings(await ls.read_settings())


async def _register_for_configuration_changes(ls: InkmodLanguageServer) -> None:
    """Ask a pull-model client to notify us when settings change (LSP asks servers to
    register for ``didChangeConfiguration`` dynamically to get those notifications)."""
    workspace = ls.client_capabilities.workspace
    change = workspace.did_change_configuration if workspace else None
    if not (ls.serves_configuration and change and change.dynamic_registration):
        return
    registration = lsp.Registration(
        id="inkmod-configuration",
        method=lsp.WORKSPACE_DID_CHANGE_CONFIGURATION,
        register_options=lsp.DidChangeConfigurationRegistrationOptions(section=SECTION),
    )
    try:
        await ls.client_register_capability_async(
            lsp.RegistrationParams(registrations=[registration])
        )
    except Exception as exc:
        log.info("client refused the configuration registration: %s", exc)
