"""Where InkMod keeps its files.

One module decides every location so the CLI, the daemon and the language server agree, and so
tests can redirect everything at once with ``INKMOD_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "inkmod"
# The profile every command, the daemon and the editors use when none is named.
DEFAULT_PROFILE = "default"


def _home_override() -> Path | None:
    value = os.environ.get("INKMOD_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Persistent user data: style profiles live here."""
    home = _home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Re-creatable files, such as compatibility copies of model files."""
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    """Logs and checkpoints: worth keeping, not worth backing up."""
    home = _home_override()
    return home / "state" if home else Path(platformdirs.user_state_dir(APP_NAME))


def config_file() -> Path:
    """The user's configuration file (TOML)."""
    home = _home_override()
    base = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))
    return base / "config.toml"


def runtime_dir() -> Path:
    """Per-user directory for daemon sockets and lock files (created 0700 by the daemon).

    ``$XDG_RUNTIME_DIR/inkmod`` when the variable is set, else the platform's user runtime dir.
    """
    home = _home_override()
    if home:
        return home / "run"
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return Path(xdg) / APP_NAME
    return Path(platformdirs.user_runtime_dir(APP_NAME))


def profiles_dir() -> Path:
    """Directory holding one ``<name>.inkprofile`` file per style profile."""
    return data_dir() / "profiles"
