"""Neutraliser (b): the model's paraphrase is used only when faithful; nothing is ever lost."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inkmod.backends.base import BackendInfo, GenerationConfig, GenerationResult
from inkmod.generation.personal.paraphrase import ModelParaphraser

PASSAGE = "Mr. Darcy did not come to Netherfield in May. He sent 2 letters instead."


@dataclass
class Scripted:
    """Answers in turn; records prompts and configs (no model library involved)."""

    answers: Sequence[tuple[str, str]]  # (text, finish_reason)
    prompts: list[Any] = field(default_factory=list)
    configs: list[GenerationConfig] = field(default_factory=list)
    name: str = "scripted"
    family: str = "test"
    loaded: bool = True

    def load(self) -> None: ...

    def generate(
        self,
        prompt: Any,
        config: GenerationConfig | None = None,
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        self.prompts.append(prompt)
        self.configs.append(config or GenerationConfig())
        text, finish = self.answers[(len(self.prompts) - 1) % len(self.answers)]
        return GenerationResult(text, 10, len(text.split()), 0.01, finish)  # type: ignore[arg-type]

    def tokenize(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def info(self) -> BackendInfo:
        return BackendInfo(self.name, self.family, "-", "none", 2048, None, True)

    def close(self) -> None: ...


def test_a_faithful_whole_paraphrase_is_used() -> None:
    plain = "Mr. Darcy did not go to Netherfield in May. He sent 2 letters in its place."
    backend = Scripted([("Here is the text: " + plain, "stop")])
    paraphrase = ModelParaphraser(backend)
    assert paraphrase.name == "paraphrase"
    assert paraphrase(PASSAGE) == plain
    assert len(backend.prompts) == 1 and backend.prompts[0][0]["role"] == "system"
    assert backend.configs[0].max_tokens < 60  # bounded by the input's length


def test_rejected_answers_fall_back_sentence_by_sentence_keeping_the_original() -> None:
    backend = Scripted(
        [
            ("Darcy came in May and sent letters.", "stop"),  # whole: lost "not" and "2"
            ("Mr. Darcy did not go to Netherfield in May.", "stop"),  # sentence 1: faithful
            ("I've rewritten the passage as requested.", "stop"),  # sentence 2: task talk
        ]
    )
    paraphrase = ModelParaphraser(backend)
    out = paraphrase(PASSAGE)
    assert out == "Mr. Darcy did not go to Netherfield in May. He sent 2 letters instead."
    assert paraphrase.stats.sentences_paraphrased == 1 and paraphrase.stats.sentences_kept == 1
    assert any("negation" in r for r in paraphrase.stats.reasons)


def test_cut_off_answers_are_not_used() -> None:
    backend = Scripted([("Mr. Darcy did not go to Netherfield in May. He sent 2", "length")])
    assert ModelParaphraser(backend)(PASSAGE) == PASSAGE


def test_registered_as_a_neutraliser() -> None:
    from inkmod.generation.personal.neutralise import neutraliser_names

    assert "paraphrase" in neutraliser_names()


def test_cached_paraphrases_depend_on_the_rules_that_accepted_them(monkeypatch: Any) -> None:
    from inkmod.generation.personal import paraphrase as module

    paraphrase = ModelParaphraser(Scripted([("x", "stop")]))
    before = paraphrase.cache_key
    monkeypatch.setattr(module, "RULES_VERSION", module.RULES_VERSION + 1)
    assert paraphrase.cache_key != before  # older cached answers are produced again
