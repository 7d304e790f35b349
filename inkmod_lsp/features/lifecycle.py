"""``initialize``, ``initialized``, ``shutdown`` and settings changes.

Settings are read in ``initialized`` rather than ``initialize``: ``workspace/configuration`` is a
request *to the client*, which the client may only answer once it has our ``initialize`` result.
Until then :attr:`Runtime.ready` is clear, so an early ``didOpen`` waits instead of being scored
against defaults.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from .config import SECTION, LoadedSettings, SettingsSource, client_source, load_settings
from .server import InkmodLanguageServer

log = logging.getLogger(__name__)


def register(server: InkmodLanguageServer) -> None:
    server.feature(lsp.INITIALIZE)(initialize)
    server.feature(lsp.INITIALIZED)(initialized)
    server.feature(lsp.SHUTDOWN)(shutdown)
    server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)


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
    loaded = await read_settings(ls)
    apply_settings(ls, loaded, first=True)
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
    apply_settings(ls, await read_settings(ls))


async def read_settings(ls: InkmodLanguageServer) -> LoadedSettings:
    """Merge files and client settings (see :mod:`inkmod_lsp.config` for the order)."""
    root = ls.workspace_root
    layers: list[SettingsSource] = []
    init = client_source("initializationOptions", ls.initialization_options, root)
    if init is not None:
        layers.append(init)
    if ls.serves_configuration:
        try:
            scope = root.as_uri() if root is not None else None
            result = await ls.workspace_configuration_async(
                lsp.ConfigurationParams(
                    items=[lsp.ConfigurationItem(scope_uri=scope, section=SECTION)]
                )
            )
            value: Any = result[0] if result else None
        except Exception as exc:  # a client that cannot answer still has its init options
            log.info("workspace/configuration failed: %s", exc)
            value = None
        served = client_source("workspace/configuration", value, root)
        if served is not None:
            layers.append(served)
    elif ls.pushed_settings is not None:
        pushed = client_source("didChangeConfiguration", ls.pushed_settings, root)
        if pushed is not None:
            layers.append(pushed)
    if ls.backend_choice is not None:
        layers.append(SettingsSource("inkmod.selectBackend", {"backend": ls.backend_choice}))
    loaded = await ls.in_io(load_settings, root, layers)
    for problem in loaded.problems:
        ls.notify_once(f"settings:{problem}", f"InkMod: {problem}", "warning")
    return loaded


def apply_settings(ls: InkmodLanguageServer, loaded: LoadedSettings, first: bool = False) -> None:
    """Restart the runtime when a setting it depends on changed; otherwise re-judge."""
    new = loaded.settings
    ls.loaded = loaded
    if first or ls.runtime.needs_restart(new):
        log.info("settings: %s", new.to_json())
        ls.runtime.start(new, ls.workspace_root)
    elif new != ls.runtime.settings:
        log.info("settings changed: %s", new.to_json())
        ls.runtime.settings = new
        ls.runtime.bump()
        ls.refresh_all()


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
