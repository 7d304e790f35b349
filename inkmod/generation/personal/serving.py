"""Serving the personal model: which model may load an adapter, and how a rewrite then runs.

Why one module: the CLI's ``inkmod rewrite`` and the daemon must make the same two decisions --
*does this model take the writer's adapter?* and *which neutraliser feeds it?* -- or a rewrite
from the terminal and one from the editor would sound different. Both call these functions.

The rules: only the embedded SmolLM2 under llama.cpp loads an adapter (it was trained on that
file, whose hash the manifest records); only a *usable* adapter is loaded (absent, stale and
half-written ones never are); the rewrite then feeds the model the paragraph neutralised with the
same neutraliser the adapter was trained with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inkmod.generation.personal.adapter import AdapterState, adapter_state, read_manifest
from inkmod.generation.personal.neutralise import get_neutraliser, serving_neutraliser
from inkmod.generation.rewrite import PersonalStyle

LORA_OPTION = "lora_path"


def adapter_applies(model: str, options: Mapping[str, Any] | None = None) -> bool:
    """Whether ``model`` (a registry name) is the base model adapters are trained for."""
    from inkmod.backends.registry import parse_name

    try:
        resolved = parse_name(model, options)
    except Exception:  # an unknown name fails with its own clear message when it loads
        return False
    return (
        resolved.family == "llama_cpp"
        and resolved.spec is not None
        and (resolved.spec.name == "smollm2")
    )


def style_for(adapter: Path) -> PersonalStyle | None:
    """How to prompt a model that has ``adapter`` loaded: the neutraliser it was trained with
    (or, for a model paraphraser, the rule-based one it names: :func:`serving_neutraliser`).
    None when that neutraliser is not available here (then use the style prompt)."""
    manifest = read_manifest(adapter.parent)
    trained = manifest.neutraliser if manifest is not None else None
    name = serving_neutraliser(trained or "deterministic")
    try:
        return PersonalStyle(get_neutraliser(name), name)
    except KeyError:
        return None


@dataclass
class PersonalSetup:
    """What a one-off rewrite (the CLI) should load and say."""

    options: dict[str, Any] = field(default_factory=dict)
    """Backend options, with the adapter's path when it is used."""
    style: PersonalStyle | None = None
    note: str = ""
    """One line for the user: which model writes, and how to get a personal one."""


def personal_setup(
    profile: str, model: str, options: Mapping[str, Any] | None = None
) -> PersonalSetup:
    """Decide, for ``inkmod rewrite``, whether the writer's adapter is used with ``model``."""
    opts = dict(options or {})
    if not adapter_applies(model, opts):
        return PersonalSetup(opts, None, f"writing with {model} and your style prompt")
    state: AdapterState = adapter_state(profile)
    if not state.usable or state.path is None:
        if state.kind == "absent":
            hint = f"no personal model yet (train one with `inkmod tune -p {profile}`)"
        elif state.kind == "stale":
            hint = f"personal model not used: {state.reason} (`inkmod tune -p {profile}`)"
        else:
            hint = f"personal model {state.describe()}"
        return PersonalSetup(opts, None, f"{hint}; writing with the style prompt")
    style = style_for(state.path)
    if style is None:
        return PersonalSetup(
            opts, None, "the personal model's neutraliser is missing; writing with the style prompt"
        )
    opts[LORA_OPTION] = str(state.path)
    return PersonalSetup(opts, style, f"writing with your personal model ({state.describe()})")
