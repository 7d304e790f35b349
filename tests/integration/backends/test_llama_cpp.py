"""llama.cpp backend on the embedded models: SmolLM2 (chat) and Gemma 3 270M (base)."""

from __future__ import annotations

import threading
import uuid

import pytest

from inkmod.backends import Backend, GenerationConfig, create_backend
from inkmod.backends.llama_cpp import LlamaCppBackend

pytestmark = pytest.mark.slow

GREEDY = GenerationConfig(max_tokens=24, temperature=0.0)
CHAT = [{"role": "user", "content": "Write one short sentence about autumn."}]


def test_satisfies_the_protocol(smollm2: LlamaCppBackend) -> None:
    assert isinstance(smollm2, Backend)
    assert smollm2.loaded
    info = smollm2.info()
    assert info.family == "llama_cpp" and info.file_format == "gguf"
    assert info.is_chat and info.context_length == 2048
    assert info.n_params and info.n_params > 100_000_000
    assert info.load_seconds is not None and info.load_seconds > 0


def test_chat_generation_streams_tokens(smollm2: LlamaCppBackend) -> None:
    pieces: list[str] = []
    result = smollm2.generate(CHAT, GREEDY, on_token=pieces.append)  # type: ignore[arg-type]
    assert result.text.strip()
    assert len(pieces) > 3 and "".join(pieces) == result.text
    assert "<|im_start|>" not in result.text and "<|im_end|>" not in result.text
    assert result.prompt_tokens > 10 and 0 < result.completion_tokens <= GREEDY.max_tokens
    assert result.finish_reason in ("stop", "length")


def test_raw_completion_runs_to_max_tokens(smollm2: LlamaCppBackend) -> None:
    result = smollm2.generate("The three primary colours are", GenerationConfig(max_tokens=12))
    assert result.text
    assert result.completion_tokens == 12 and result.finish_reason == "length"


def test_greedy_and_seeded_sampling_are_deterministic(smollm2: LlamaCppBackend) -> None:
    prompt = "Once upon a time, in a small village,"
    a = smollm2.generate(prompt, GREEDY)
    b = smollm2.generate(prompt, GREEDY)
    assert a.text == b.text
    seeded = GenerationConfig(max_tokens=16, temperature=0.9, seed=1234)
    c = smollm2.generate(prompt, seeded)
    d = smollm2.generate(prompt, seeded)
    assert c.text == d.text


def test_stop_strings(smollm2: LlamaCppBackend) -> None:
    result = smollm2.generate(
        "Count: one, two, three, four,", GenerationConfig(max_tokens=30, temperature=0, stop=(","))
    )
    assert "," not in result.text and result.finish_reason == "stop"


def test_cancel_stops_early(smollm2: LlamaCppBackend) -> None:
    cancel = threading.Event()
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()

    result = smollm2.generate(
        [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
        GenerationConfig(max_tokens=200, temperature=0),
        on_token=on_token,
        cancel=cancel,
    )
    assert result.finish_reason == "cancelled"
    assert len(pieces) == 3 and result.completion_tokens < 10
    # The model is still usable after a cancelled request.
    assert smollm2.generate("Hello", GenerationConfig(max_tokens=4)).completion_tokens == 4


def test_tokenize_and_count(smollm2: LlamaCppBackend) -> None:
    tokens = smollm2.tokenize("Hello world, this is InkMod.")
    assert tokens and all(isinstance(t, int) for t in tokens)
    assert smollm2.count_tokens("Hello world, this is InkMod.") == len(tokens)
    assert smollm2.count_tokens("") == 0


def test_kv_cache_reuses_a_shared_prefix(smollm2: LlamaCppBackend) -> None:
    # A unique opening so nothing from earlier tests is already cached.
    prefix = (
        f"[{uuid.uuid4().hex}] You rewrite text in the author's voice. "
        + (
            "The author writes short declarative sentences, avoids adverbs, and likes concrete "
            "nouns drawn from the sea and from weather. "
        )
        * 12
    )
    cfg = GenerationConfig(max_tokens=4, temperature=0)
    first = smollm2.generate(prefix + "Paragraph: The cat sat on the mat.\nRewrite:", cfg)
    second = smollm2.generate(prefix + "Paragraph: A dog ran in the park.\nRewrite:", cfg)
    prefix_tokens = smollm2.count_tokens(prefix)
    assert prefix_tokens > 300
    assert first.reused_prefix_tokens < 5
    assert second.reused_prefix_tokens >= prefix_tokens - 2
    evaluated_first = first.prompt_tokens - first.reused_prefix_tokens
    evaluated_second = second.prompt_tokens - second.reused_prefix_tokens
    assert evaluated_second < evaluated_first / 5
    assert second.seconds < first.seconds


def test_context_overflow_is_a_clear_error(smollm2: LlamaCppBackend) -> None:
    from inkmod.backends import GenerationError

    with pytest.raises(GenerationError, match="context window"):
        smollm2.generate("word " * 3000, GenerationConfig(max_tokens=4))


def test_gemma3_base_model_raw_completion(inkmod_home: object) -> None:
    backend = create_backend("gemma3-270m", context_length=512)
    try:
        info = backend.info()
        assert info.family == "llama_cpp" and not info.is_chat
        assert "gemma" in str(info.options["architecture"])
        result = backend.generate(
            "The capital of France is", GenerationConfig(max_tokens=8, temperature=0)
        )
        assert result.text.strip() and result.completion_tokens > 0
    finally:
        backend.close()
    # The assembled file is reused, not rebuilt.
    from inkmod.backends.models import gemma3_cached_path

    mtime = gemma3_cached_path().stat().st_mtime_ns
    create_backend("gemma3-270m")
    assert gemma3_cached_path().stat().st_mtime_ns == mtime
