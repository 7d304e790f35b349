"""Rewriting with a deterministic stand-in model (the real models: tests/integration)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from inkmod_sample_texts import HARLAN
from testpaths import EXAMPLES

from inkmod.backends.base import BackendInfo, ChatMessage, GenerationConfig, GenerationResult
from inkmod.generation.rewrite import (
    Candidate,
    ParagraphRewrite,
    clean_output,
    preservation,
    rewrite_paragraph,
    rewrite_text,
)
from inkmod.style.build import build_profile
from inkmod.style.profile import StyleProfile


@pytest.fixture(scope="module")
def maya() -> StyleProfile:
    return build_profile(EXAMPLES / "samples" / "maya", "maya")[0]


@dataclass
class ScriptedBackend:
    """A deterministic stand-in for pure orchestration tests (no model library involved).

    It answers with scripted candidates in turn and records the prompts it was given.
    """

    answers: Sequence[str]
    context_length: int = 4096
    is_chat: bool = True
    name: str = "scripted"
    family: str = "test"
    prompts: list[Any] = field(default_factory=list)
    loaded: bool = True

    def load(self) -> None: ...

    def generate(
        self,
        prompt: str | Sequence[ChatMessage],
        config: GenerationConfig = GenerationConfig(),
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        self.prompts.append(prompt)
        text = self.answers[(len(self.prompts) - 1) % len(self.answers)]
        for word in text.split(" "):
            if cancel is not None and cancel.is_set():
                return GenerationResult("", 0, 0, 0.0, "cancelled")
            if on_token:
                on_token(word + " ")
        return GenerationResult(text, 10, len(text.split()), 0.01, "stop")

    def tokenize(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def info(self) -> BackendInfo:
        return BackendInfo(
            self.name, self.family, "-", "none", self.context_length, None, self.is_chat
        )

    def close(self) -> None: ...


# Maya's voice, keeping the committee's facts: the faithfulness rules reject a rewrite that keeps
# under 40 % of the original's content words (an earlier, looser version here kept 15 %).
MAYA_VERSION = (
    "Okay, so the allotment committee deliberated about water allocation for ages, honestly. "
    "And they resolved that each member gets access to the municipal supply, but only as much "
    "as the prevailing regulations allow. Which, you know what, is fair enough!"
)


def test_clean_output_and_preservation() -> None:
    assert clean_output('Rewritten: "Hello there."\n---\nnext') == "Hello there."
    assert preservation(HARLAN, HARLAN) > 0.95
    assert preservation(HARLAN, "Bananas are yellow.") < 0.2


def test_best_candidate_is_closer_to_the_writer(maya: StyleProfile) -> None:
    backend = ScriptedBackend([HARLAN, MAYA_VERSION, "Water."])
    streamed: list[tuple[int, str]] = []
    result = rewrite_paragraph(
        HARLAN, maya, backend, k=3, on_token=lambda i, t: streamed.append((i, t))
    )
    assert len(result.candidates) == 3
    assert result.chosen.text == MAYA_VERSION and not result.chosen.rejected
    assert result.candidates[2].rejected  # "Water." keeps almost nothing
    assert result.chosen.drift is not None and result.original_drift is not None
    assert result.chosen.drift < result.original_drift
    assert {i for i, _ in streamed} == {0, 1, 2}
    system = backend.prompts[0][0]["content"]
    assert "Average sentence length" in system and "Common phrases" in system


def test_markup_outside_paragraphs_is_kept_and_only_drifting_rewritten(maya: StyleProfile) -> None:
    # Maya's own words (a sentence repeated four times would now count as a loop and drift).
    own = (
        "Garlic is the easiest thing I grow. Honestly. You stick a clove in the dirt, pointy end "
        "up, about two inches deep. You cover it with straw. You walk away and forget about it "
        "for five months. And then in July you pull up these big beautiful heads of garlic."
    )
    doc = f"# Title\n\n{own.strip()}\n\n```python\nprint('code')\n```\n\n{HARLAN}\n"
    backend = ScriptedBackend([MAYA_VERSION])
    result = rewrite_text(doc, maya, backend, fmt="markdown", only_drifting=True, k=1)
    assert len(result.paragraphs) == 1
    assert result.text.startswith("# Title\n\n" + own.strip())
    assert "```python\nprint('code')\n```" in result.text
    assert MAYA_VERSION in result.text and HARLAN not in result.text


def test_unrelated_or_no_closer_candidates_keep_the_original(maya: StyleProfile) -> None:
    unrelated = "Honestly, the bread came out a little bit flat again, you know what I mean?"
    result = rewrite_paragraph(HARLAN, maya, ScriptedBackend([HARLAN, unrelated]), k=2)
    assert not result.changed and result.chosen.text == HARLAN
    assert result.to_dict()["changed"] is False


def test_unfaithful_candidates_are_rejected_with_reasons(maya: StyleProfile) -> None:
    chatter = MAYA_VERSION + " I've rewritten it in the writer's voice, as requested."
    result = rewrite_paragraph(HARLAN, maya, ScriptedBackend([chatter]), k=1)
    assert not result.changed and result.chosen.text == HARLAN
    reasons = result.to_dict()["candidates"][0]["rejected"]
    assert reasons and "talks about the task" in reasons[0]


def test_cancel_keeps_original(maya: StyleProfile) -> None:
    cancel = threading.Event()
    cancel.set()
    result = rewrite_text(HARLAN, maya, ScriptedBackend([MAYA_VERSION]), cancel=cancel)
    assert result.cancelled and result.text == HARLAN


def test_long_paragraph_is_split_to_fit_the_context(maya: StyleProfile) -> None:
    backend = ScriptedBackend([MAYA_VERSION], context_length=260)
    long = " ".join([HARLAN] * 6)
    result = rewrite_paragraph(long, maya, backend, k=1)
    assert len(backend.prompts) > 1
    for prompt in backend.prompts:
        tokens = sum(backend.count_tokens(m["content"]) for m in prompt)
        assert tokens < 260
    assert result.chosen.text


def test_lists_are_rewritten_like_paragraphs(maya: StyleProfile) -> None:
    """Every kind analyze scores (a list too) is a block rewrite_text considers; a list is
    rewritten item by item, each unit starting after its marker."""
    doc = f"# Title\n\n- {HARLAN}\n- {HARLAN}\n"
    result = rewrite_text(doc, maya, ScriptedBackend([MAYA_VERSION]), fmt="markdown")
    second = doc.index(HARLAN, doc.index(HARLAN) + 1)
    assert [p.source_start for p in result.paragraphs] == [doc.index(HARLAN), second]


def test_a_saturated_drift_change_also_shows_the_surprise_it_was_decided_on() -> None:
    # The demo printed "¶3: drift 1.00 → 1.00" for a rewrite applied because it was closer.
    def candidate(drift: float, z: float, finish: str = "stop") -> Candidate:
        return Candidate("text", drift, 0.9, 0.0, 10, 0.1, finish, z=z)

    applied = ParagraphRewrite("text", 0.9996, candidate(0.9981, 3.6), [], original_z=4.1)
    assert applied.drift_change == "1.00 → 1.00 (closer, though still far: surprise 4.10 → 3.60)"
    plain = ParagraphRewrite("text", 0.83, candidate(0.41, -0.2), [], original_z=1.3)
    assert plain.drift_change == "0.83 → 0.41"
    kept = ParagraphRewrite("text", 0.97, candidate(0.97, 2.0, "unchanged"), [], original_z=2.0)
    assert kept.drift_change == "0.97"
