"""OpenAI-compatible backend against a real llama-cpp-python server (see conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from inkmod.backends import Backend, GenerationConfig, GenerationError, create_backend
from inkmod.backends.openai_compat import OpenAIBackend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def remote(openai_server: str) -> Iterator[OpenAIBackend]:
    backend = create_backend("openai:smollm2", base_url=openai_server)
    assert isinstance(backend, OpenAIBackend)
    backend.load()
    yield backend
    backend.close()


def test_chat_streams(remote: OpenAIBackend) -> None:
    assert isinstance(remote, Backend)
    pieces: list[str] = []
    result = remote.generate(
        [{"role": "user", "content": "Write one short sentence about the moon."}],
        GenerationConfig(max_tokens=16, temperature=0),
        on_token=pieces.append,
    )
    assert result.text.strip() and len(pieces) > 1 and "".join(pieces) == result.text
    assert result.completion_tokens > 0


def test_raw_completion(remote: OpenAIBackend) -> None:
    result = remote.generate(
        "The capital of France is", GenerationConfig(max_tokens=8, temperature=0)
    )
    assert result.text and result.finish_reason == "length"
    assert result.prompt_tokens == remote.count_tokens("The capital of France is") > 0


def test_cancel_closes_the_stream(remote: OpenAIBackend) -> None:
    cancel = threading.Event()
    result = remote.generate(
        "Once upon a time",
        GenerationConfig(max_tokens=100, temperature=0),
        on_token=lambda _piece: cancel.set(),
        cancel=cancel,
    )
    assert result.finish_reason == "cancelled" and result.completion_tokens < 5


def test_env_configuration(openai_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INKMOD_OPENAI_BASE_URL", openai_server)
    monkeypatch.setenv("INKMOD_OPENAI_MODEL", "smollm2")
    backend = create_backend("openai:")
    result = backend.generate("Hello", GenerationConfig(max_tokens=3))
    assert result.completion_tokens > 0


def test_connection_refused_is_one_clear_line(unused_port: int) -> None:
    port = unused_port
    backend = create_backend(
        "openai:any",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key="sk-secret-value",
        max_retries=0,
        timeout=5,
    )
    with pytest.raises(GenerationError) as excinfo:
        backend.generate("Hello", GenerationConfig(max_tokens=3))
    message = str(excinfo.value)
    assert f"127.0.0.1:{port}" in message and "connect" in message and "\n" not in message
    assert "sk-secret-value" not in message and "sk-secret-value" not in repr(backend)
