"""A real llama-cpp-python OpenAI-compatible server for tests (importable: tests/ is on sys.path).

Both the backend tests and the training-loop tests need one; starting, waiting and stopping it
lives here once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def openai_server(model: Path, *, ready_timeout: float = 90.0) -> Iterator[str]:
    """Serve ``model`` with ``python -m llama_cpp.server`` on a free port; yields the base URL
    once ``/v1/models`` answers, and stops the server afterwards."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with open(os.devnull, "wb") as log:
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
        deadline = time.monotonic() + ready_timeout
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
                    raise RuntimeError(
                        f"llama_cpp.server did not answer /v1/models within {ready_timeout:.0f} s"
                    )
                time.sleep(0.25)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
