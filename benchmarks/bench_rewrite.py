"""Rewrite benchmarks: pipeline overhead against raw llama-cpp-python, tokens/s per backend, and
style fidelity (away / towards / sim / joint) of rewrites on held-out corpus paragraphs.

Run: ``python -m benchmarks.bench_rewrite [--quick]``. Prints figures measured in this run;
asserts nothing. Figures depend on the machine (2 cores here) and on what else runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from benchmarks.corpora import load_novels
from inkmod.backends.base import GenerationConfig
from inkmod.backends.registry import create_backend
from inkmod.generation.evaluation import Fidelity, fidelity, mean_fidelity, similarities
from inkmod.generation.prompt import select_exemplars
from inkmod.generation.rewrite import build_prompt, rewrite_paragraph
from inkmod.style.profile import StyleProfile

TARGET, SOURCE = "Austen", "Doyle"


def profile_of(author: str) -> tuple[StyleProfile, list[str]]:
    """Profile from the author's training books, and held-out paragraphs of 50–110 words."""
    split = next(s for s in load_novels().splits if s.author == author)
    profile = StyleProfile(author)
    for doc in split.train:
        profile.add_document(doc.name, doc.text, "plaintext")
    profile.recalibrate()
    held = [
        p.strip()
        for doc in split.held_out
        for p in doc.text.split("\n\n")
        if 50 <= len(p.split()) <= 110 and '"' not in p
    ]
    return profile, held


def overhead(paragraph: str, target: StyleProfile) -> None:
    """Pipeline (k=1) against a raw llama-cpp-python call producing the same number of tokens."""
    from llama_cpp import Llama

    from inkmod.backends.llama_cpp import default_threads
    from inkmod.backends.models import smollm2_path

    backend = create_backend("smollm2")
    backend.load()
    first = rewrite_paragraph(paragraph, target, backend, k=1, temperature=0.0)
    second = rewrite_paragraph(paragraph, target, backend, k=1, temperature=0.0)
    tokens = first.chosen.tokens
    exemplars = select_exemplars(target, paragraph, n=3)
    messages = build_prompt(target, paragraph, exemplars, chat=True)
    backend.close()
    threads = default_threads()
    raw = Llama(
        model_path=str(smollm2_path()),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    raw_times = []
    for _ in range(2):
        raw.reset()  # a cold cache: what a request pays without prefix reuse
        started = time.perf_counter()
        out: Any = raw.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            max_tokens=tokens,
            temperature=0.0,
        )
        raw_times.append(time.perf_counter() - started)
    raw_tokens = out["usage"]["completion_tokens"]
    raw_time = min(raw_times)
    per_pipe = first.chosen.seconds / max(1, tokens)
    per_raw = raw_time / max(1, raw_tokens)
    print("\n## Rewrite latency (smollm2, llama.cpp, k=1, greedy)")
    print(f"pipeline, first rewrite : {first.chosen.seconds:6.2f} s for {tokens} tokens")
    print(
        f"pipeline, same again    : {second.chosen.seconds:6.2f} s (style prefix and prompt reused)"
    )
    print(f"raw llama-cpp-python    : {raw_time:6.2f} s for {raw_tokens} tokens (cold cache)")
    print(f"overhead per token      : {per_pipe / per_raw - 1:+.1%} (target <= +5 %)")
    print(f"repeat vs raw           : {second.chosen.seconds / raw_time:.2f}x the raw time")


def tokens_per_second(names: list[str]) -> None:
    print("\n## Tokens/s per backend (64 tokens, same prompt)")
    prompt = "Write a short paragraph about a garden in the rain."
    config = GenerationConfig(max_tokens=64, temperature=0.7, seed=1)
    for name in names:
        try:
            backend = create_backend(name)
            started = time.perf_counter()
            backend.load()
            load = time.perf_counter() - started
            chat = backend.info().is_chat
            result = backend.generate(
                [{"role": "user", "content": prompt}] if chat else prompt, config
            )
            print(
                f"{name:28s} load {load:5.1f} s   {result.completion_tokens:3d} tokens "
                f"{result.tokens_per_second:6.1f} tok/s"
            )
            backend.close()
        except Exception as exc:  # a missing extra must not hide the other figures
            print(f"{name:28s} unavailable: {exc}")


def fidelity_table(models: list[str], n: int, k: int) -> None:
    target, _ = profile_of(TARGET)
    source, held = profile_of(SOURCE)
    paragraphs = held[:n]
    print(
        f"\n## Style fidelity: {len(paragraphs)} held-out {SOURCE} paragraphs rewritten towards "
        f"{TARGET} (k={k})"
    )
    print("model          variant          away  towards   sim   joint   s/paragraph")
    for model in models:
        backend = create_backend(model)
        backend.load()
        firsts: list[str] = []
        bests: list[str] = []
        seconds: list[float] = []
        for paragraph in paragraphs:
            started = time.perf_counter()
            result = rewrite_paragraph(paragraph, target, backend, k=k)
            seconds.append(time.perf_counter() - started)
            firsts.append(result.candidates[0].text if result.candidates else paragraph)
            bests.append(result.chosen.text)
        backend.close()
        for label, outputs in (("first sample", firsts), (f"best of {k}", bests)):
            sims = similarities(paragraphs, outputs)
            scores: list[Fidelity] = fidelity(paragraphs, outputs, target, source, sims)
            m = mean_fidelity(scores)
            print(
                f"{model:14s} {label:14s} {m['away']:6.3f} {m['towards']:7.3f} {m['sim']:6.3f} "
                f"{m['joint']:7.3f}   {statistics.fmean(seconds):6.1f}"
            )
    copies = fidelity(paragraphs, paragraphs, target, source, [1.0] * len(paragraphs))
    m = mean_fidelity(copies)
    print(
        f"{'(copy input)':14s} {'reference':14s} {m['away']:6.3f} {m['towards']:7.3f} "
        f"{m['sim']:6.3f} {m['joint']:7.3f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer paragraphs")
    parser.add_argument("--paragraphs", type=int, default=8)
    args = parser.parse_args(argv)
    n = 3 if args.quick else args.paragraphs
    target, _ = profile_of(TARGET)
    _, source_held = profile_of(SOURCE)
    overhead(source_held[0], target)
    tokens_per_second(["smollm2", "gemma3-270m", "gpt4all:smollm2", "hf:smollm2"])
    fidelity_table(["smollm2", "gemma3-270m"], n, k=3)


if __name__ == "__main__":
    main()
