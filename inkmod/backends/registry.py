"""Turn a model name into a backend, loading backend families as entry-point plugins.

Families (``llama_cpp``, ``gpt4all``, ``hf``, ``openai``) are registered in the
``inkmod.backends`` entry-point group -- the built-in ones by InkMod's own ``pyproject.toml`` --
so a third-party family installs and loads exactly like ours (the habit of simonw/llm). When
InkMod runs from a source tree without installed metadata, the built-ins are still found through
:data:`BUILTIN_FAMILIES`.

Names a user may give:

* a registered model: ``smollm2``, ``llama-7b``, ... (see :mod:`.models`);
* ``FAMILY:REFERENCE`` for an ad-hoc model: ``llama_cpp:/models/x.gguf``, ``hf:/path/dir``,
  ``openai:gpt-4o-mini``; the reference may also be a registered file-based model, so
  ``gpt4all:smollm2`` runs the embedded SmolLM2 file through gpt4all;
* a name given to :func:`register_backend` at run time (embedding, the tests' fake model, a
  daemon plugin named in ``INKMOD_DAEMON_PLUGINS``): it wins over everything above.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import models
from .base import Backend, BackendFamily
from .errors import BackendError, MissingExtraError, UnknownModelError
from .models import MODELS, ModelSpec

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "inkmod.backends"

DEFAULT_MODEL = "smollm2"
"""The model used when the user names none (small, embedded, needs no download)."""

BUILTIN_FAMILIES: dict[str, str] = {
    "llama_cpp": "inkmod.backends.llama_cpp:LlamaCppBackend",
    "gpt4all": "inkmod.backends.gpt4all:GPT4AllBackend",
    "hf": "inkmod.backends.hf:HFBackend",
    "openai": "inkmod.backends.openai_compat:OpenAIBackend",
}

_OPTIONS_HANDLED_HERE = ("model_path", "family")

REMOTE_FAMILIES = frozenset({"openai"})
"""Families whose reference is a server-side model id, never a local file."""

BackendFactory = Callable[..., Backend]
"""``factory(name, **options)`` -> an unloaded backend."""

_REGISTERED: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``name`` resolvable without an entry point or a models entry (tests, embedding,
    daemon plugins). :func:`create_backend` calls ``factory(name, **options)``."""
    _REGISTERED[name] = factory


def registered_backends() -> list[str]:
    """Names given to :func:`register_backend` in this process."""
    return sorted(_REGISTERED)


def family_entry_points() -> dict[str, EntryPoint]:
    """Installed families by name; built-ins fill in when package metadata is absent.

    ``importlib.metadata`` is imported here, not at module level: it costs ~20 ms, and
    importing ``inkmod.backends`` must stay cheap.
    """
    from importlib.metadata import EntryPoint, entry_points

    found: dict[str, EntryPoint] = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for name, value in BUILTIN_FAMILIES.items():
        if name not in found:
            log.debug("family %s not registered as an entry point; using the built-in", name)
            found[name] = EntryPoint(name, value, ENTRY_POINT_GROUP)
    return found


def family_names() -> list[str]:
    return sorted(family_entry_points())


def load_family(family: str) -> BackendFamily:
    """Import a family's entry point; a broken plugin becomes one clear BackendError."""
    eps = family_entry_points()
    if family not in eps:
        raise BackendError(
            f"unknown backend family {family!r}; installed: {', '.join(sorted(eps))}"
        )
    ep = eps[family]
    try:
        loaded = ep.load()
    except Exception as exc:  # any failure inside a plugin's import
        raise BackendError(
            f"backend plugin {family!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return cast(BackendFamily, loaded)


def missing_modules(factory: BackendFamily) -> list[str]:
    """Required modules of a family that are not importable (checked without importing)."""
    missing = []
    for module in getattr(factory, "requires", ()):
        try:
            if importlib.util.find_spec(module) is None:
                missing.append(module)
        except (ImportError, ValueError):
            missing.append(module)
    return missing


def check_installed(family: str) -> BackendFamily:
    """The family's factory, or :class:`MissingExtraError` naming the pip extra to install."""
    factory = load_family(family)
    missing = missing_modules(factory)
    if missing:
        extra = getattr(factory, "extra", None) or family
        raise MissingExtraError(family, missing[0], extra)
    return factory


@dataclass
class Resolved:
    """A parsed model name: which family, which reference, which registered spec (if any)."""

    name: str
    family: str
    spec: ModelSpec | None
    reference: str | None
    """Path, directory or id; None for a registered model until :func:`models.resolve`."""
    options: dict[str, Any] = field(default_factory=dict)


def parse_name(name: str, options: Mapping[str, Any] | None = None) -> Resolved:
    """Split ``name`` into family and reference without touching the weights."""
    opts = dict(options or {})
    family_override = opts.get("family")
    if name in MODELS:
        spec = MODELS[name]
        merged = {**spec.options, **opts}
        return Resolved(name, str(family_override or spec.family), spec, None, merged)
    families = family_entry_points()
    prefix, sep, rest = name.partition(":")
    if sep and prefix in REMOTE_FAMILIES and prefix in families:
        # A server-side model id, taken verbatim (Ollama's "llama3:8b" keeps its colon);
        # empty means "from the environment" (INKMOD_OPENAI_MODEL).
        return Resolved(name, prefix, None, rest, opts)
    if sep and prefix in families and rest:
        if rest in MODELS and MODELS[rest].is_file_based:
            spec = MODELS[rest]
            return Resolved(name, prefix, spec, None, {**spec.options, **opts})
        if rest.startswith("~") or "/" in rest or "\\" in rest:
            rest = str(Path(rest).expanduser())
        return Resolved(name, prefix, None, rest, opts)
    raise UnknownModelError(name, MODELS, families)


def create_backend(name: str = DEFAULT_MODEL, **options: Any) -> Backend:
    """A ready-to-load backend for ``name``.

    Fails fast -- before any weights are read -- with a one-line :class:`BackendError` when the
    name is unknown, the family's package is missing, or the weights are not on this machine.
    A name given to :func:`register_backend` is made by its factory.
    """
    if name in _REGISTERED:
        return _REGISTERED[name](name, **options)
    parsed = parse_name(name, options)
    factory = check_installed(parsed.family)
    reference = parsed.reference
    if reference is None:
        assert parsed.spec is not None
        reference = models.resolve(parsed.spec, parsed.options)
    backend_options = {k: v for k, v in parsed.options.items() if k not in _OPTIONS_HANDLED_HERE}
    return factory(reference, name=name, **backend_options)


def list_models() -> list[ModelSpec]:
    """The registered models, in declaration order."""
    return list(MODELS.values())


@dataclass
class ModelStatus:
    """Everything ``inkmod backends --list`` shows for one model, computed without loading."""

    name: str
    family: str
    description: str
    installed: bool
    """The family's Python packages are importable."""
    install_hint: str
    weights_present: bool | None
    """None when it cannot be known locally (a remote model)."""
    size_bytes: int | None
    location: str | None
    how_to_get: str


def model_status(name: str) -> ModelStatus:
    """Installed? weights present? how big? -- for a registered or ad-hoc name."""
    parsed = parse_name(name)
    try:
        factory = load_family(parsed.family)
        missing = missing_modules(factory)
        extra = getattr(factory, "extra", None) or parsed.family
    except BackendError as exc:
        missing, extra = [str(exc)], parsed.family
    install_hint = f"pip install 'inkmod[{extra}]'" if missing else ""
    spec = parsed.spec
    if spec is not None:
        location = models.locate(spec)
        return ModelStatus(
            name=name,
            family=parsed.family,
            description=spec.description,
            installed=not missing,
            install_hint=install_hint,
            weights_present=models.weights_present(spec),
            size_bytes=models.weights_size(spec),
            location=location,
            how_to_get=models.how_to_get(spec),
        )
    ref = parsed.reference or ""
    if parsed.family == "openai":
        return ModelStatus(
            name,
            parsed.family,
            "model on an OpenAI-compatible server",
            not missing,
            install_hint,
            None,
            None,
            ref,
            "start the server; see docs/backends.md",
        )
    p = Path(ref)
    size = p.stat().st_size if p.is_file() else None
    if p.is_dir():
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return ModelStatus(
        name,
        parsed.family,
        f"ad-hoc {parsed.family} model",
        not missing,
        install_hint,
        p.exists(),
        size,
        ref,
        "check the path",
    )
