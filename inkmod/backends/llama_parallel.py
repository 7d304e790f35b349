"""k samples of one prompt decoded together: one llama.cpp batch per step for all of them.

Why: a best-of-k rewrite samples k continuations of the same prompt. Decoded one after another,
each candidate pays for every step's pass over the weights and for the prompt again; decoded as k
sequences of one batch, a step costs little more than a single token's step on a CPU (a 135M
model's step is bound by memory traffic and per-call overhead, not arithmetic), and the prompt is
evaluated once, on sequence 0, then shared with the others by llama.cpp's sequence copy. The
unified KV cache makes that copy a tag on the prompt's cells, not a duplicate.

Why a second llama.cpp context beside ``Llama``'s own: llama-cpp-python creates its context for
one sequence and offers no way to ask for more, and it keeps its own record of which tokens sit
in that context (for prefix reuse between requests); writing other sequences into it behind its
back would corrupt that record. The second context shares the loaded weights, so it costs only its
KV cache and compute buffers; a LoRA adapter is attached to it as to ``Llama``'s context.

Only public llama.cpp C functions (through llama-cpp-python's ctypes bindings) are used here.
"""

from __future__ import annotations

import codecs
import ctypes
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .base import FinishReason, GenerationConfig, GenerationResult, StopMatcher
from .errors import GenerationError

# The most sequences one batch decodes; best-of-k asks for k = 3 by default.
MAX_SEQUENCES = 8

SampleTokenFn = Callable[[int, str], None]


class _Sequence:
    """The decoding state of one candidate: its sampler chain, stop strings and text so far."""

    def __init__(self, lib: Any, config: GenerationConfig) -> None:
        self.lib = lib
        self.config = config
        self.sampler = _sampler_chain(lib, config)
        self.stops = StopMatcher(config.stop)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.tokens = 0
        self.last = -1
        self.finish: FinishReason | None = None
        self.seconds = 0.0

    def close(self) -> None:
        if self.sampler is not None:
            self.lib.llama_sampler_free(self.sampler)
            self.sampler = None


def _sampler_chain(lib: Any, config: GenerationConfig) -> Any:
    """The sampler chain ``Llama.create_completion`` builds for these settings, in its order.

    Same order and defaults (top-k, typical 1.0, top-p, min-p 0.05, temperature, then a seeded
    draw; greedy at temperature 0), so a batched candidate is drawn from the same distribution as
    a sequential one.
    """
    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    if config.temperature <= 0.0:
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        return chain
    seed = config.seed if config.seed is not None else 0xFFFFFFFF  # LLAMA_DEFAULT_SEED: random
    for sampler in (
        lib.llama_sampler_init_top_k(config.top_k),
        lib.llama_sampler_init_typical(1.0, 1),
        lib.llama_sampler_init_top_p(config.top_p, 1),
        lib.llama_sampler_init_min_p(0.05, 1),
        lib.llama_sampler_init_temp(config.temperature),
        lib.llama_sampler_init_dist(seed & 0xFFFFFFFF),
    ):
        lib.llama_sampler_chain_add(chain, sampler)
    return chain


class ParallelDecoder:
    """A llama.cpp context with room for several sequences, on an already loaded model.

    Not thread-safe: the owning backend calls it under its generation lock.
    """

    def __init__(
        self,
        llm: Any,
        *,
        context_length: int,
        threads: int,
        batch_size: int,
        lora_path: Path | None = None,
        sequences: int = MAX_SEQUENCES,
    ) -> None:
        import llama_cpp as lib

        self.lib = lib
        self.llm = llm
        self.sequences = max(1, min(sequences, MAX_SEQUENCES))
        params = lib.llama_context_default_params()
        params.n_ctx = context_length
        params.n_batch = min(batch_size, context_length)
        params.n_ubatch = params.n_batch
        params.n_seq_max = self.sequences
        params.kv_unified = True  # the sequences share one pool of cells: the prompt is stored once
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        self.n_batch = int(params.n_batch)
        self.context_length = context_length
        self.ctx = lib.llama_init_from_model(llm.model, params)
        if not self.ctx:
            raise GenerationError("llama.cpp could not create a context for batched sampling")
        self.adapter: Any = None
        if lora_path is not None:
            self.adapter = lib.llama_adapter_lora_init(llm.model, str(lora_path).encode("utf-8"))
            if not self.adapter:
                self.close()
                raise GenerationError(f"llama.cpp could not load the LoRA adapter {lora_path}")
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(self.adapter)
            scales = (ctypes.c_float * 1)(1.0)
            if lib.llama_set_adapters_lora(self.ctx, adapters, 1, scales):
                self.close()
                raise GenerationError(f"llama.cpp could not apply the LoRA adapter {lora_path}")
        self.vocab = lib.llama_model_get_vocab(llm.model)
        self.batch = lib.llama_batch_init(max(self.n_batch, self.sequences), 0, self.sequences)
        self.memory = lib.llama_get_memory(self.ctx)
        # The tokens whose keys and values sequence 0 holds (the last prompt): a next prompt with
        # the same start evaluates only its new suffix, as llama-cpp-python does for one sequence.
        self.cached: list[int] = []

    def close(self) -> None:
        lib = self.lib
        if getattr(self, "batch", None) is not None:
            lib.llama_batch_free(self.batch)
            self.batch = None
        if self.ctx:
            lib.llama_free(self.ctx)
            self.ctx = None
        if self.adapter:
            lib.llama_adapter_lora_free(self.adapter)
            self.adapter = None

    def fits(self, prompt_tokens: int, configs: Sequence[GenerationConfig]) -> bool:
        """Whether the prompt plus every sequence's longest answer fits the shared cache."""
        if not 1 <= len(configs) <= self.sequences:
            return False
        return prompt_tokens + sum(c.max_tokens for c in configs) <= self.context_length

    # -- decoding ------------------------------------------------------------------------------

    def _put(self, slot: int, token: int, pos: int, seq: int, logits: bool) -> None:
        batch = self.batch
        batch.token[slot] = token
        batch.pos[slot] = pos
        batch.n_seq_id[slot] = 1
        batch.seq_id[slot][0] = seq
        batch.logits[slot] = 1 if logits else 0

    def _decode(self, n_tokens: int) -> None:
        self.batch.n_tokens = n_tokens
        status = self.lib.llama_decode(self.ctx, self.batch)
        if status != 0:
            self.cached = []
            self.lib.llama_memory_clear(self.memory, True)
            raise GenerationError(f"llama.cpp could not decode the batch (status {status})")

    def _evaluate_prompt(self, tokens: list[int]) -> tuple[int, int]:
        """Put the prompt in sequence 0; return (tokens reused, batch index of the last logits)."""
        lib, memory = self.lib, self.memory
        for seq in range(1, self.sequences):
            lib.llama_memory_seq_rm(memory, seq, -1, -1)
        common = 0
        for mine, theirs in zip(self.cached, tokens, strict=False):
            if mine != theirs:
                break
            common += 1
        common = min(common, len(tokens) - 1)  # the last prompt token is decoded for its logits
        if not lib.llama_memory_seq_rm(memory, 0, common, -1):
            lib.llama_memory_clear(memory, True)
            common = 0
        self.cached = tokens[:common]
        last = 0
        for start in range(common, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            for i, token in enumerate(chunk):
                self._put(i, token, start + i, 0, start + i == len(tokens) - 1)
            self._decode(len(chunk))
            last = len(chunk) - 1
        self.cached = list(tokens)
        return common, last

    def generate(
        self,
        tokens: list[int],
        configs: Sequence[GenerationConfig],
        *,
        on_token: SampleTokenFn | None = None,
        cancel: threading.Event | None = None,
        released: Callable[[], Any] | None = None,
    ) -> list[GenerationResult]:
        """Sample one sequence per config from ``tokens``, one result per config, in order.

        ``released`` gives a context manager that lifts native-output capture while a callback
        runs (see :mod:`inkmod.backends.native_output`).
        """
        lib = self.lib
        started = time.perf_counter()
        seqs = [_Sequence(lib, config) for config in configs]
        try:
            reused, index = self._evaluate_prompt(tokens)
            for seq in range(1, len(seqs)):
                lib.llama_memory_seq_cp(self.memory, 0, seq, -1, -1)
            # Every sequence draws its first token from the prompt's last logits.
            live = list(range(len(seqs)))
            rows = dict.fromkeys(live, index)
            position = len(tokens)
            while live:
                for s in live:
                    self._advance(seqs[s], s, rows[s], on_token, released, started)
                if cancel is not None and cancel.is_set():
                    for s in live:
                        if seqs[s].finish is None:
                            seqs[s].finish = "cancelled"
                            seqs[s].seconds = time.perf_counter() - started
                live = [s for s in live if seqs[s].finish is None]
                if not live:
                    break
                for slot, s in enumerate(live):
                    self._put(slot, seqs[s].last, position, s, True)
                    rows[s] = slot
                self._decode(len(live))
                position += 1
            return [
                GenerationResult(
                    text=q.stops.text,
                    prompt_tokens=len(tokens),
                    completion_tokens=q.tokens,
                    seconds=q.seconds,
                    finish_reason=q.finish or "stop",
                    reused_prefix_tokens=reused,
                )
                for q in seqs
            ]
        finally:
            for q in seqs:
                q.close()
            # Only sequence 0's prompt stays cached; the answers are dropped.
            for seq in range(1, self.sequences):
                lib.llama_memory_seq_rm(self.memory, seq, -1, -1)
            if not lib.llama_memory_seq_rm(self.memory, 0, len(self.cached), -1):
                lib.llama_memory_clear(self.memory, True)
                self.cached = []

    def _advance(
        self,
        seq: _Sequence,
        index: int,
        row: int,
        on_token: SampleTokenFn | None,
        released: Callable[[], Any] | None,
        started: float,
    ) -> None:
        """Draw sequence ``index``'s next token from batch row ``row`` and stream its text."""
        lib = self.lib
        token = int(lib.llama_sampler_sample(seq.sampler, self.ctx, row))
        seq.tokens += 1
        seq.last = token
        if lib.llama_vocab_is_eog(self.vocab, token):
            piece = seq.decoder.decode(b"", final=True) + seq.stops.flush()
            seq.finish = "stop"
        else:
            raw = self.llm.detokenize([token])
            piece = seq.stops.feed(seq.decoder.decode(raw))
            if seq.stops.stopped:
                seq.finish = "stop"
            elif seq.tokens >= seq.config.max_tokens:
                piece += seq.stops.feed(seq.decoder.decode(b"", final=True)) + seq.stops.flush()
                seq.finish = "length"
        if seq.finish is not None:
            seq.seconds = time.perf_counter() - started
        if piece and on_token is not None:
            if released is None:
                on_token(index, piece)
            else:
                with released():
                    on_token(index, piece)
