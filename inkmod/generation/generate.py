"""Local generation for the loop: best-of-k drafts per test prompt, with their token counts.

Why not simply ``EnhancedStyleModel.generate_response``: the loop needs two things it does not
return -- token counts (to estimate what the teacher would have charged to write everything)
and several candidates with different seeds (best-of-k, where ``k`` is itself learned). The
prompt is built by the same functions (:mod:`inkmod.generation.prompt`) and the sampling settings
come from the same ``learned["generation"]`` keys, so what the loop measures is what
``generate_response`` and ``rewrite`` produce after training.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from inkmod.backends.base import Backend, ChatMessage, GenerationConfig
from inkmod.generation.prompt import generation_continuation, generation_messages, select_exemplars
from inkmod.generation.rewrite import DEFAULT_K, clean_output
from inkmod.style.profile import StyleProfile

DEFAULT_GENERATION: dict[str, Any] = {
    "temperature": 0.7,
    "top_p": 0.95,
    "top_k": 40,
    "k": DEFAULT_K,
    "seed": 0,
}


class Cancelled(Exception):
    """The caller's cancel event was set; the loop stops at the next safe point."""


@dataclass
class LocalOutput:
    """One test prompt's chosen draft, and what producing it took."""

    prompt: str
    text: str
    drift: float | None
    prompt_tokens: int
    """Tokens of one request's prompt (style prompt, exemplars, test prompt)."""
    completion_tokens: int
    """Tokens of the chosen draft."""
    total_tokens: int
    """All tokens evaluated for this prompt, every candidate included."""
    seconds: float
    candidates: int
    exemplar_sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalOutput:
        return cls(**data)


def generation_settings(profile: StyleProfile) -> dict[str, Any]:
    """The learned sampling settings, with defaults for what was never learned."""
    learned = profile.learned.get("generation") or {}
    return {**DEFAULT_GENERATION, **learned}


def _config(settings: dict[str, Any], max_tokens: int, chat: bool, seed: int) -> GenerationConfig:
    return GenerationConfig(
        max_tokens=max_tokens,
        temperature=float(settings["temperature"]),
        top_p=float(settings["top_p"]),
        top_k=int(settings["top_k"]),
        seed=seed,
        stop=() if chat else ("\n\nPassage", "\nPassage"),
    )


def generate_output(
    profile: StyleProfile,
    backend: Backend,
    prompt: str,
    *,
    max_tokens: int,
    max_k: int = DEFAULT_K,
    cancel: threading.Event | None = None,
) -> LocalOutput:
    """Generate ``k`` candidates (k learned, at most ``max_k``) and keep the closest (drift)."""
    settings = generation_settings(profile)
    k = max(1, min(max_k, int(settings["k"])))
    exemplars = select_exemplars(profile, prompt, n=3)
    chat = backend.info().is_chat
    request: str | list[ChatMessage] = (
        generation_messages(profile, prompt, exemplars)  # type: ignore[assignment]
        if chat
        else generation_continuation(profile, prompt, exemplars)
    )
    best: tuple[float, str, float | None, int] | None = None
    prompt_tokens = total = 0
    seconds = 0.0
    for index in range(k):
        if cancel is not None and cancel.is_set():
            raise Cancelled
        config = _config(settings, max_tokens, chat, int(settings["seed"]) + index)
        result = backend.generate(request, config, cancel=cancel)
        if result.finish_reason == "cancelled":
            raise Cancelled
        text = clean_output(result.text)
        drift = profile.score_text(text).score if text else None
        prompt_tokens = result.prompt_tokens
        total += result.prompt_tokens + result.completion_tokens
        seconds += result.seconds
        rank = 1.5 if not text else (1.0 if drift is None else drift)
        if best is None or rank < best[0]:
            best = (rank, text, drift, result.completion_tokens)
    assert best is not None
    return LocalOutput(
        prompt=prompt,
        text=best[1],
        drift=best[2],
        prompt_tokens=prompt_tokens,
        completion_tokens=best[3],
        total_tokens=total,
        seconds=round(seconds, 3),
        candidates=k,
        exemplar_sources=[e.source for e in exemplars],
    )


def baseline_output(
    backend: Backend,
    prompt: str,
    *,
    max_tokens: int,
    seed: int = 0,
    cancel: threading.Event | None = None,
) -> str:
    """The model's own voice: the prompt with no style instructions and no examples.

    These texts form the *source* profile for the away score: a trained student should move
    away from how the model writes when nobody asks it to imitate anyone.
    """
    chat = backend.info().is_chat
    request: str | list[ChatMessage] = (
        [{"role": "user", "content": prompt}] if chat else f"{prompt}\n\n"
    )
    config = GenerationConfig(max_tokens=max_tokens, temperature=0.7, seed=seed)
    result = backend.generate(request, config, cancel=cancel)
    if result.finish_reason == "cancelled":
        raise Cancelled
    return clean_output(result.text)
