"""`EnhancedStyleModel`: the style engine and a local model behind the interface of our spec.

Why a facade: scripts, the training loop and notebooks want "train on my samples, then write like
me" in three lines, without knowing about profiles, prompts, registries and re-ranking.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inkmod.backends.base import Backend, ChatMessage, GenerationConfig
from inkmod.backends.registry import DEFAULT_MODEL, create_backend
from inkmod.generation.prompt import generation_continuation, generation_messages, select_exemplars
from inkmod.generation.rewrite import DEFAULT_K, RewriteResult, clean_output, rewrite_text
from inkmod.style.build import build_profile
from inkmod.style.profile import StyleProfile


class EnhancedStyleModel:
    """Learns a writer's style from samples and generates or rewrites text in it, locally."""

    def __init__(
        self,
        backend_name: str = DEFAULT_MODEL,
        profile: StyleProfile | None = None,
        **backend_options: Any,
    ) -> None:
        self.backend_name = backend_name
        self._backend_options = backend_options
        self._backend: Backend | None = None
        self.profile = profile

    # -- backend -------------------------------------------------------------------------------
    def set_backend(self, backend_name: str, **options: Any) -> None:
        """Switch to another model; the old one is closed (its memory freed) first."""
        if self._backend is not None:
            self._backend.close()
        self.backend_name = backend_name
        self._backend_options = options
        self._backend = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = create_backend(self.backend_name, **self._backend_options)
            self._backend.load()
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- training ------------------------------------------------------------------------------
    def train(
        self, samples: str | Path | Mapping[str, str] | Sequence[str], name: str = "default"
    ) -> dict[str, Any]:
        """Build the style profile from a folder, a {name: text} mapping or a list of texts.

        Returns the spec's stats: vocabulary_size, common_phrases, tone_markers, pattern_count,
        tone_diversity, style_score (plus documents and words).
        """
        if isinstance(samples, (str, Path)):
            self.profile, _ = build_profile(Path(samples), name)
            return self.profile.summary()
        items = samples.items() if isinstance(samples, Mapping) else _numbered(samples)
        profile = StyleProfile(name)
        for doc_id, text in items:
            profile.add_document(doc_id, text, "plaintext")
        profile.recalibrate()
        self.profile = profile
        return profile.summary()

    def require_profile(self) -> StyleProfile:
        if self.profile is None:
            raise RuntimeError("train() the model (or pass a profile) before generating")
        return self.profile

    # -- generation ----------------------------------------------------------------------------
    def generation_config(self, max_length: int) -> GenerationConfig:
        """Sampling settings, including what the training loop learned (temperature, top_p)."""
        learned = (self.profile.learned.get("generation", {}) if self.profile else {}) or {}
        return GenerationConfig(
            max_tokens=max_length,
            temperature=float(learned.get("temperature", 0.7)),
            top_p=float(learned.get("top_p", 0.95)),
            top_k=int(learned.get("top_k", 40)),
            seed=int(learned.get("seed", 0)),
            stop=() if self.backend.info().is_chat else ("\n\nPassage", "\nPassage"),
        )

    def generate_response(self, prompt: str, max_length: int = 200) -> str:
        """Write a passage answering ``prompt`` in the writer's style."""
        profile = self.require_profile()
        exemplars = select_exemplars(profile, prompt, n=3)
        chat = self.backend.info().is_chat
        request: str | list[ChatMessage] = (
            generation_messages(profile, prompt, exemplars)  # type: ignore[assignment]
            if chat
            else generation_continuation(profile, prompt, exemplars)
        )
        result = self.backend.generate(request, self.generation_config(max_length))
        return clean_output(result.text)

    def generate_responses(self, prompts: Sequence[str], max_length: int = 200) -> list[str]:
        """``generate_response`` for each prompt, in order."""
        return [self.generate_response(p, max_length) for p in prompts]

    def rewrite(self, text: str, k: int | None = None, fmt: str = "plaintext") -> RewriteResult:
        """Rewrite ``text`` in the writer's style (best-of-k per paragraph).

        Without an explicit ``k``, the value the training loop learned is used.
        """
        profile = self.require_profile()
        if k is None:
            k = int(profile.learned.get("generation", {}).get("k", DEFAULT_K))
        return rewrite_text(text, profile, self.backend, fmt=fmt, k=k)


def _numbered(texts: Sequence[str]) -> list[tuple[str, str]]:
    return [
        (f"sample-{i:03d}-{hashlib.sha1(t.encode()).hexdigest()[:8]}", t)
        for i, t in enumerate(texts, start=1)
    ]
