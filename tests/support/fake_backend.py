"""The tests' one deterministic model, registered like any other backend.

The daemon imports this module through ``INKMOD_DAEMON_PLUGINS=fake_backend`` (with
``tests/support`` on ``PYTHONPATH``); it registers itself in the one backend registry
(:func:`inkmod.backends.registry.register_backend`) under the names the test suites use:
``fake`` (daemon tests), ``lspfake`` and ``lspfake-b`` (language-server tests; the second is a
different model for ``inkmod.selectBackend``). So the daemon, its threads, its socket and the
rewrite engine are all real; only the model is not.

What it writes: it takes the paragraph out of the prompt (the chat form's ``Passage:`` or the
continuation form's ``Draft:``) and moves it, deterministically, towards the voice of
``examples/samples/maya``: contractions, formal connectives dropped or made plain, long sentences
split, an "Honestly," up front. Names, numbers, negations and nearly all content words are kept,
so the rewrite is faithful by any reasonable check and closer to that writer. Odd seeds (the
second, fourth ... candidate) differ a little: no "Honestly," but a short closing remark.

Switches (environment variables read by the daemon process, or markers in the paragraph):

* ``INKMOD_FAKE_TOKEN_DELAY`` -- seconds per streamed word (default 0.002); generation honours
  the cancel event between words;
* ``INKMOD_FAKE_MODE=unrelated`` (or ``FAKE_UNRELATED`` in the text) -- answer with
  :data:`UNRELATED`, a passage in the writer's voice about something else entirely;
* ``INKMOD_FAKE_MODE=echo`` -- stream the paragraph back unchanged;
* ``INKMOD_FAKE_LOAD_ERROR`` set -- ``load()`` fails (a model that cannot load);
* ``FAKE_BACKEND_ERROR`` in the text -- a :class:`GenerationError` (a backend failure);
* ``FAKE_BUG`` in the text -- ``ZeroDivisionError`` (a bug in a request).
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

from inkmod.backends.base import BackendInfo, GenerationConfig, GenerationResult, Prompt
from inkmod.backends.errors import BackendError, GenerationError
from inkmod.backends.registry import register_backend

NAMES = ("fake", "lspfake", "lspfake-b")

UNRELATED = (
    "Okay, so my cat knocked the coffee off the counter again this morning. Honestly, I'm not "
    "even mad. She looked right at me while she did it! That's just who she is, I guess, and "
    "I've stopped buying the nice mugs."
)
"""Writer-like text that shares no content with any test paragraph."""

_CONTRACTIONS = (
    (r"\bit is\b", "it's"),
    (r"\bthat is\b", "that's"),
    (r"\bthere is\b", "there's"),
    (r"\bI am\b", "I'm"),
    (r"\bI have\b", "I've"),
    (r"\bI would\b", "I'd"),
    (r"\bwe are\b", "we're"),
    (r"\bthey are\b", "they're"),
    (r"\byou are\b", "you're"),
    (r"\blet us\b", "let's"),
)
_PLAIN = (
    (r"\bMoreover,\s*", ""),
    (r"\bFurthermore,\s*", ""),
    (r"\bIn addition,\s*", ""),
    (r",?\s*it is worth noting,\s*", " "),
    (r"\bnevertheless\b", "still"),
    (r"\bhowever\b", "but"),
    (r"\bHowever,\s*", "But "),
    (r"\btherefore\b", "so"),
    (r"\butilize\b", "use"),
    (r"\binsofar as\b", "since"),
    (r"\bInsofar as\b", "Since"),
    (r"\bupon\b", "on"),
)
_SOFT_START = frozenset(
    {
        *("the", "a", "an", "it", "it's", "this", "that", "that's", "there", "there's"),
        *("these", "those", "one", "so", "set", "put", "post"),
    }
)


def paragraph_of(prompt: Prompt) -> str:
    """The paragraph a rewrite prompt asks about (the whole prompt if it is not one)."""
    text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
    if "Passage:\n" in text:
        return text.rsplit("Passage:\n", 1)[1].strip()
    if "Draft: " in text:
        draft = text.rsplit("Draft: ", 1)[1]
        return re.split(r"\n\s*Passage \d+:", draft, maxsplit=1)[0].strip()
    return text.strip()


def _split_long(sentence: str) -> list[str]:
    """Maya writes short sentences: split at semicolons, and at ", and"/", but" between two
    halves of eight words or more."""
    out: list[str] = []
    for part in (p.strip() for p in re.split(r";\s*", sentence)):
        pieces = [part]
        match = re.search(r",\s+(?=(?:and|but)\s)", part)
        if match and min(len(part[: match.start()].split()), len(part[match.end() :].split())) >= 8:
            pieces = [part[: match.start()], part[match.end() :]]
        for piece in pieces:
            piece = piece.strip().rstrip(".")
            if piece:
                out.append(piece[0].upper() + piece[1:] + ".")
    return out


def in_the_voice(paragraph: str, seed: int = 0) -> str:
    """The deterministic "more like Maya" rewrite of ``paragraph``."""
    text = " ".join(paragraph.split())
    for pattern, replacement in _PLAIN + _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“(])", text)
    out: list[str] = []
    for sentence in sentences:
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence.endswith(("!", "?")):
            out.append(sentence)
        else:
            out.extend(_split_long(sentence))
    if not out:
        return text
    if seed % 2 == 0:
        first = out[0]
        word = first.split(" ", 1)[0]
        if word.lower() in _SOFT_START:
            first = first[0].lower() + first[1:]
        out[0] = "Honestly, " + first
    else:
        out.append("That's the thing!")
    return " ".join(out)


class FakeBackend:
    family = "fake"

    def __init__(self, name: str, **_options: Any) -> None:
        self.name = name
        self._loaded = False
        self.delay = float(os.environ.get("INKMOD_FAKE_TOKEN_DELAY", "0.002"))
        self.mode = os.environ.get("INKMOD_FAKE_MODE", "")

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        if os.environ.get("INKMOD_FAKE_LOAD_ERROR"):
            raise BackendError("fake backend refuses to load (INKMOD_FAKE_LOAD_ERROR is set)")
        self._loaded = True

    def answer(self, prompt: Prompt, seed: int) -> str:
        paragraph = paragraph_of(prompt)
        if "FAKE_BACKEND_ERROR" in paragraph:
            raise GenerationError("fake backend failed on purpose")
        if "FAKE_BUG" in paragraph:
            _ = 1 / 0
        if self.mode == "unrelated" or "FAKE_UNRELATED" in paragraph:
            return UNRELATED
        if self.mode == "echo":
            return paragraph
        return in_the_voice(paragraph, seed)

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        config = config or GenerationConfig()
        started = time.perf_counter()
        words = self.answer(prompt, config.seed or 0).split()
        pieces: list[str] = []
        finish = "stop"
        for i, word in enumerate(words):
            if i >= config.max_tokens:
                finish = "length"
                break
            if cancel is not None and cancel.is_set():
                finish = "cancelled"
                break
            if self.delay:
                time.sleep(self.delay)
            piece = word if i == 0 else " " + word
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        return GenerationResult(
            text="".join(pieces),
            prompt_tokens=self.count_tokens(prompt if isinstance(prompt, str) else str(prompt)),
            completion_tokens=len(pieces),
            seconds=time.perf_counter() - started,
            finish_reason=finish,  # type: ignore[arg-type]
        )

    def tokenize(self, text: str) -> list[int]:
        return [len(w) for w in text.split()]

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def info(self) -> BackendInfo:
        return BackendInfo(self.name, self.family, "fake", "none", 4096, None, True)

    def close(self) -> None:
        self._loaded = False


for _name in NAMES:
    register_backend(_name, FakeBackend)
