"""transformers backend on the embedded SmolLM2 GGUF file (dequantised on load)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from inkmod.backends import Backend, GenerationConfig, ModelFileMissingError, create_backend
from inkmod.backends.hf import HFBackend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_hf() -> Iterator[HFBackend]:
    backend = create_backend("hf:smollm2")
    assert isinstance(backend, HFBackend)
    backend.load()
    yield backend
    backend.close()


def test_loads_the_gguf_file(smollm2_hf: HFBackend) -> None:
    assert isinstance(smollm2_hf, Backend)
    info = smollm2_hf.info()
    assert info.file_format == "gguf" and info.is_chat
    assert info.options["dtype"] == "float32" and info.options["device"] == "cpu"
    assert info.n_params and info.n_params > 100_000_000


def test_chat_streams_and_raw_completes(smollm2_hf: HFBackend) -> None:
    pieces: list[str] = []
    chat = smollm2_hf.generate(
        [{"role": "user", "content": "Write one short sentence about snow."}],
        GenerationConfig(max_tokens=16, temperature=0),
        on_token=pieces.append,
    )
    assert chat.text.strip() and "".join(pieces) == chat.text and len(pieces) > 1
    assert "<|im_end|>" not in chat.text
    raw = smollm2_hf.generate(
        "The capital of France is", GenerationConfig(max_tokens=6, temperature=0)
    )
    assert raw.text and raw.completion_tokens == 6 and raw.finish_reason == "length"
    assert raw.prompt_tokens == smollm2_hf.count_tokens("The capital of France is")


def test_cancel(smollm2_hf: HFBackend) -> None:
    cancel = threading.Event()
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        pieces.append(piece)
        cancel.set()

    result = smollm2_hf.generate(
        "Once upon a time",
        GenerationConfig(max_tokens=64, temperature=0),
        on_token=on_token,
        cancel=cancel,
    )
    assert result.finish_reason == "cancelled" and result.completion_tokens < 10


def test_uncached_hub_model_is_not_downloaded(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelFileMissingError, match="inkmod models pull hf-distilgpt2"):
        create_backend("hf-distilgpt2")
