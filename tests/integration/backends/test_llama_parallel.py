"""Best-of-k candidates decoded as parallel sequences of one llama.cpp batch, on SmolLM2."""

from __future__ import annotations

import threading

import pytest

from inkmod.backends import GenerationConfig
from inkmod.backends.base import generate_samples, samples_in_turn
from inkmod.backends.llama_cpp import LlamaCppBackend

pytestmark = pytest.mark.slow

PROMPT = "The old lighthouse keeper climbed the stairs every evening, and"
GREEDY = GenerationConfig(max_tokens=20, temperature=0.0)


def sampled(seed: int, max_tokens: int = 24, stop: tuple[str, ...] = ()) -> GenerationConfig:
    return GenerationConfig(max_tokens=max_tokens, temperature=0.9, seed=seed, stop=stop)


def test_greedy_batch_decodes_like_one_at_a_time(smollm2: LlamaCppBackend) -> None:
    """The second context decodes like Llama's own: same weights, positions and prompt.

    Not token for token to the end: a batch of three takes other matrix kernels than a batch of
    one, and the float differences flip a near tie after a dozen tokens or so (measured: the
    first 14 tokens agree). The three sequences of one batch agree with one another exactly.
    """
    alone = smollm2.generate(PROMPT, GREEDY)
    together = smollm2.generate_samples(PROMPT, [GREEDY, GREEDY, GREEDY])
    assert len({r.text for r in together}) == 1
    assert together[0].text.split()[:8] == alone.text.split()[:8], (together[0].text, alone.text)
    assert all(r.completion_tokens == GREEDY.max_tokens for r in together) or all(
        r.finish_reason == "stop" for r in together
    )


def test_seeds_are_repeatable_and_differ(smollm2: LlamaCppBackend) -> None:
    configs = [sampled(1), sampled(2), sampled(3)]
    first = smollm2.generate_samples(PROMPT, configs)
    again = smollm2.generate_samples(PROMPT, configs)
    assert [r.text for r in first] == [r.text for r in again]
    assert len({r.text for r in first}) == 3, [r.text for r in first]


def test_streams_each_sample_under_its_index(smollm2: LlamaCppBackend) -> None:
    pieces: dict[int, list[str]] = {0: [], 1: [], 2: []}
    results = generate_samples(
        smollm2,
        PROMPT,
        [sampled(4), sampled(5), sampled(6)],
        on_token=lambda i, piece: pieces[i].append(piece),
    )
    assert [r.text for r in results] == ["".join(pieces[i]) for i in range(3)]
    assert all(r.finish_reason == "length" and r.completion_tokens == 24 for r in results)


def test_stop_strings_and_lengths_end_each_sample_alone(smollm2: LlamaCppBackend) -> None:
    short, stopping = sampled(7, max_tokens=5), sampled(8, max_tokens=60, stop=(" ",))
    results = smollm2.generate_samples(PROMPT, [short, stopping, sampled(9, max_tokens=30)])
    assert results[0].finish_reason == "length" and results[0].completion_tokens == 5
    assert results[1].finish_reason == "stop" and " " not in results[1].text
    assert results[2].completion_tokens == 30
    # Samples that ended early finished earlier.
    assert results[0].seconds <= results[2].seconds


def test_prompt_is_reused_by_the_next_batch(smollm2: LlamaCppBackend) -> None:
    configs = [sampled(10), sampled(11)]
    smollm2.generate_samples(PROMPT, configs)
    again = smollm2.generate_samples(PROMPT + " then", configs)
    prompt_tokens = len(smollm2.tokenize(PROMPT)) + 1  # + BOS
    assert again[0].reused_prefix_tokens >= prompt_tokens - 1


def test_cancel_stops_every_sample(smollm2: LlamaCppBackend) -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def on_token(index: int, piece: str) -> None:
        seen.append(index)
        if len(seen) >= 6:
            cancel.set()

    configs = [sampled(12, 200), sampled(13, 200), sampled(14, 200)]
    results = smollm2.generate_samples(PROMPT, configs, on_token=on_token, cancel=cancel)
    assert [r.finish_reason for r in results] == ["cancelled"] * 3
    assert all(r.completion_tokens < 10 for r in results)


def test_too_long_for_one_batch_falls_back_to_one_at_a_time(smollm2: LlamaCppBackend) -> None:
    """Three answers of 700 tokens cannot share a 2,048-token cache: sampled in turn instead."""
    configs = [GenerationConfig(max_tokens=700, temperature=0.0, stop=(".",))] * 3
    decoder = smollm2._parallel_decoder()
    assert not decoder.fits(len(smollm2.tokenize(PROMPT)), configs)
    results = smollm2.generate_samples(PROMPT, configs)
    in_turn = samples_in_turn(smollm2, PROMPT, configs)
    assert [r.text for r in results] == [r.text for r in in_turn]


def test_one_generation_after_a_batch_is_unchanged(smollm2: LlamaCppBackend) -> None:
    """The batch's context is separate: Llama's own cache and its prefix reuse are untouched."""
    before = smollm2.generate(PROMPT, GREEDY)
    smollm2.generate_samples(PROMPT, [sampled(15), sampled(16)])
    after = smollm2.generate(PROMPT, GREEDY)
    assert after.text == before.text
    assert after.reused_prefix_tokens > 0
