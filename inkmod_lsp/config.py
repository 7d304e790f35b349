"""The language server's settings: one typed structure, one place that reads it.

Why one dataclass with a docstring per key (the ruff server habit): every consumer reads a typed
attribute instead of fishing in nested dicts, the defaults live next to their explanation, and
``docs/lsp.md`` documents exactly these fields (a test keeps the two in step).

Where values come from, lowest precedence first:

1. the defaults below;
2. the user config file (``inkmod.paths.config_file()``, TOML);
3. ``.inkmod.toml`` at the root of the workspace (TOML) -- so a project can pin its profile;
4. what the client sends: ``initializationOptions`` (the settings object itself), replaced by the
   ``inkmod`` section of ``workspace/configuration`` when the client serves one, and by the
   ``settings`` of ``workspace/didChangeConfiguration`` for clients that push instead.

Only keys that are present override a lower layer. Keys are the camelCase names of the fields
(``samplesFolder``); in TOML files the snake_case spelling (``samples_folder``) is accepted too.
A value of the wrong type is reported and ignored, never fatal: a typo in a settings file must
not take the writer's diagnostics away.

This module imports neither pygls nor the style engine, so it is cheap and testable alone.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML only when tomli is installed
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

log = logging.getLogger(__name__)

SECTION = "inkmod"
"""The configuration section clients serve (``workspace/configuration``)."""

WORKSPACE_FILE = ".inkmod.toml"

Severity = Literal["error", "warning", "information", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information", "hint")

DEFAULT_LANGUAGES: tuple[str, ...] = (
    "markdown",
    "plaintext",
    "restructuredtext",
    "latex",
    "asciidoc",
    "gitcommit",
)


@dataclass(frozen=True)
class Settings:
    """Everything a user can configure about the language server (section ``inkmod``)."""

    samplesFolder: str | None = None
    """Folder of your own writing. When no profile exists yet (or the running daemon's profile
    was built from another folder), the server trains one from it at start-up (with
    progress); the daemon then watches it and keeps the profile up to date.
    Relative paths are resolved against the file that set them (the workspace root for client
    settings). ``~`` is expanded."""

    profile: str = "default"
    """Name of the style profile to score against and rewrite with (one daemon per profile)."""

    backend: str | None = None
    """Model the daemon rewrites with (``inkmod backends --list``); unset means the default,
    ``smollm2``. Changing it restarts the profile's daemon, which other editor windows share."""

    threshold: float | None = None
    """Drift score (0-1) above which a paragraph is flagged; unset means the engine's calibrated
    default (0.95: "more unusual than 95 % of your own paragraphs")."""

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    """Language ids that get diagnostics and code actions (editors' aliases count: Neovim's
    ``text``, ``rst`` and ``tex`` are ``plaintext``, ``restructuredtext`` and ``latex``)."""

    debounceMs: int = 300
    """Milliseconds to wait after the last change before re-scoring a document. Opening a
    document is never debounced."""

    candidates: int = 3
    """Best-of-k: how many rewrites the model generates per paragraph; the one closest to your
    style that keeps the content wins (1-16). More is better and slower."""

    severity: Severity = "information"
    """Severity of drift diagnostics: ``error``, ``warning``, ``information`` or ``hint``."""

    maxReasons: int = 3
    """How many drift reasons the diagnostic message lists (all of them are in the hover)."""

    daemon: bool = True
    """Use the InkMod daemon (scoring, rewriting, training, watching the samples folder). When
    false, or when it cannot start, diagnostics are computed in the server process and rewrite
    is unavailable."""

    preloadModel: bool = False
    """Load the model as soon as the daemon starts, so the first rewrite does not wait for it
    (costs the model's memory even if you never rewrite)."""

    def to_json(self) -> dict[str, Any]:
        """The settings as the client would send them (for ``inkmod.status``)."""
        out = dataclasses.asdict(self)
        out["languages"] = list(self.languages)
        return out


KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))


@dataclass
class SettingsSource:
    """One layer of settings: the raw mapping and where relative paths are resolved from."""

    name: str
    values: Mapping[str, Any]
    base: Path | None = None


@dataclass
class LoadedSettings:
    """The merged settings plus what went wrong on the way (shown to the user once)."""

    settings: Settings
    problems: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    """Which layer each non-default key came from, for ``inkmod.status``."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_ALIASES: dict[str, str] = {**{k: k for k in KEYS}, **{_snake(k): k for k in KEYS}}


def _coerce(key: str, value: Any, base: Path | None) -> Any:
    """Validate one value; raises ValueError with a message for the user."""
    if value is None and key in ("samplesFolder", "backend", "threshold"):
        return None
    if key == "samplesFolder":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a folder path")
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return str(path)
    if key in ("profile", "backend"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        return value.strip()
    if key == "threshold":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number between 0 and 1")
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError("must be between 0 and 1")
        return float(value)
    if key == "languages":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of language ids")
        return tuple(v.strip().lower() for v in value if v.strip())
    if key in ("debounceMs", "candidates", "maxReasons"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a whole number")
        number = int(value)
        limits = {"debounceMs": (0, 10_000), "candidates": (1, 16), "maxReasons": (1, 10)}
        low, high = limits[key]
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    if key == "severity":
        if not isinstance(value, str) or value.lower() not in SEVERITIES:
            raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
        return value.lower()
    if key in ("daemon", "preloadModel"):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    raise ValueError("unknown setting")  # pragma: no cover - callers filter keys


def merge(sources: list[SettingsSource]) -> LoadedSettings:
    """Apply ``sources`` in order over the defaults; bad values are skipped and reported."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    origins: dict[str, str] = {}
    for source in sources:
        for raw_key, value in source.values.items():
            key = _ALIASES.get(raw_key, raw_key) if isinstance(raw_key, str) else raw_key
            if key not in KEYS:
                log.info("%s: ignoring unknown setting %r", source.name, raw_key)
                continue
            try:
                values[key] = _coerce(key, value, source.base)
            except ValueError as exc:
                problems.append(f"{source.name}: setting '{key}' {exc}; using the default")
                continue
            origins[key] = source.name
    return LoadedSettings(Settings(**values), problems, origins)


def read_toml(path: Path) -> tuple[dict[str, Any], str | None]:
    """The top-level table of a TOML settings file (or its ``[inkmod]`` table when it has one),
    and an error message when the file exists but cannot be read."""
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        return {}, (f"{path}: reading TOML needs Python 3.11 or the tomli package")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, f"{path}: cannot read settings ({exc})"
    section = data.get(SECTION)
    if isinstance(section, dict):
        return section, None
    return data, None


def file_sources(
    workspace_root: Path | None, user_file: Path
) -> tuple[list[SettingsSource], list[str]]:
    """The two file layers: user config file, then the workspace's ``.inkmod.toml``."""
    sources: list[SettingsSource] = []
    problems: list[str] = []
    candidates = [("user config " + str(user_file), user_file)]
    if workspace_root is not None:
        candidates.append((WORKSPACE_FILE, workspace_root / WORKSPACE_FILE))
    for name, path in candidates:
        values, problem = read_toml(path)
        if problem:
            problems.append(problem)
        if values:
            sources.append(SettingsSource(name, values, path.parent))
    return sources, problems


def client_source(name: str, value: Any, workspace_root: Path | None) -> SettingsSource | None:
    """A layer from what the client sent; accepts the settings object itself or an object
    wrapping it in an ``inkmod`` key (both shapes occur in the wild)."""
    if not isinstance(value, Mapping):
        return None
    inner = value.get(SECTION)
    if isinstance(inner, Mapping):
        value = inner
    return SettingsSource(name, value, workspace_root)


def load_settings(
    workspace_root: Path | None,
    client_layers: list[SettingsSource],
    user_file: Path | None = None,
) -> LoadedSettings:
    """Merge files and client layers into the effective settings."""
    if user_file is None:
        from inkmod.paths import config_file

        user_file = config_file()
    sources, problems = file_sources(workspace_root, user_file)
    loaded = merge(sources + client_layers)
    loaded.problems[:0] = problems
    return loaded
