"""Daemon plugin for the language-server tests: a deterministic model named ``lspfake``.

Loaded by the *daemon* process through ``INKMOD_DAEMON_PLUGINS`` (see ``inkmod_lsp_testlib``),
so the server, the daemon, the socket and the rewrite engine are all real; only the model's
output is fixed. Every generation streams :data:`MAYA` -- a paragraph in the voice of the
``examples/samples/maya`` writer -- one word at a time, ``INKMOD_LSP_FAKE_DELAY`` seconds per
word (default 0.01), and stops as soon as the cancel event is set. The real model is exercised
by ``test_lsp_rewrite_real.py``.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from inkmod.backends.base import BackendInfo, GenerationConfig, GenerationResult, Prompt
from inkmod.daemon.handlers import register_backend

MAYA = (
    "Okay, so here's the thing about the garden: it only works if we all chip in. Honestly, "
    "I'd love it if somebody made a little chart for the shed door (I'm terrible at charts). "
    "Everybody takes a turn with the hose, nobody hogs the spigot, and if you see a weed, you "
    "just pull it. That's it! It's a little bit like being neighbors, only muddier."
)


class LspFakeBackend:
    family = "lspfake"

    def __init__(self, name: str) -> None:
        self.name = name
        self._loaded = False
        self.delay = float(os.environ.get("INKMOD_LSP_FAKE_DELAY", "0.01"))

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        self._loaded = True

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        started = time.perf_counter()
        pieces: list[str] = []
        finish = "stop"
        for i, word in enumerate(MAYA.split()):
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
            prompt_tokens=10,
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


register_backend("lspfake", LspFakeBackend)
register_backend("lspfake-b", LspFakeBackend)  # a second model, for inkmod.selectBackend
