"""Daemon plugin for the tests: a deterministic fake backend named ``fake``.

Imported by the daemon process through ``INKMOD_DAEMON_PLUGINS`` (see conftest.py), so it is
"registered like any other" backend name and the daemon, its threads and its socket are all real;
only the model is not.

Behaviour, chosen so tests can provoke every path:

* generation streams the user's words back one at a time, each after
  ``INKMOD_FAKE_TOKEN_DELAY`` seconds (default 0.002), and honours the cancel event per token;
* text containing ``FAKE_BACKEND_ERROR`` raises a :class:`GenerationError` (a backend failure);
* text containing ``FAKE_BUG`` raises ``ZeroDivisionError`` (a bug in a request);
* ``INKMOD_FAKE_LOAD_ERROR`` set makes ``load()`` fail.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from inkmod.backends.base import BackendInfo, GenerationConfig, GenerationResult, Prompt
from inkmod.backends.errors import BackendError, GenerationError
from inkmod.daemon.handlers import register_backend


class FakeBackend:
    family = "fake"

    def __init__(self, name: str) -> None:
        self.name = name
        self._loaded = False
        self.delay = float(os.environ.get("INKMOD_FAKE_TOKEN_DELAY", "0.002"))

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        if os.environ.get("INKMOD_FAKE_LOAD_ERROR"):
            raise BackendError("fake backend refuses to load (INKMOD_FAKE_LOAD_ERROR is set)")
        self._loaded = True

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        config = config or GenerationConfig()
        text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
        if "FAKE_BACKEND_ERROR" in text:
            raise GenerationError("fake backend failed on purpose")
        if "FAKE_BUG" in text:
            _ = 1 / 0
        started = time.perf_counter()
        words = text.split()
        seed = config.seed or 0
        if seed % 2:  # odd candidates differ a little, deterministically
            words = list(reversed(words))
        pieces: list[str] = []
        finish = "stop"
        for i, word in enumerate(words[: config.max_tokens]):
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
            prompt_tokens=len(words),
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


register_backend("fake", FakeBackend)
