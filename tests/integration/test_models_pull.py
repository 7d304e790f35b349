"""``inkmod models pull`` for real, against a local stand-in for the Hugging Face hub.

``huggingface_hub`` honours ``HF_ENDPOINT``, so the hub is a small HTTP server on 127.0.0.1 that
serves ``/<repo>/resolve/main/<file>`` the way the hub does (``X-Repo-Commit``, the LFS SHA-256
as ``X-Linked-Etag``, ``X-Linked-Size``, ``Range`` requests). The file is a real GGUF written
with the ``gguf`` package. Checked: progress, a download cut off mid-way and resumed by running
the command again (the server sees the ``Range``), the checksum (a wrong one is refused and the
partial file removed), and ``backends --list`` then finding the model.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

INKMOD = str(Path(sys.executable).with_name("inkmod"))
REPO_ID = "TheBloke/Llama-2-7B-GGUF"
FILENAME = "llama-2-7b.Q4_K_M.gguf"


def make_gguf(path: Path) -> bytes:
    """A small but real GGUF file (llama architecture, one 3 MB tensor)."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("inkmod test model")
    writer.add_context_length(256)
    writer.add_tensor("token_embd.weight", np.arange(768 * 1024, dtype=np.float32) % 7)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@dataclass
class Hub:
    data: bytes
    etag: str
    cut_after: int | None = None
    """Drop the connection after this many bytes of the next GET (once)."""
    ranges: list[str | None] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    data = make_gguf(tmp_path / "model.gguf")
    state = Hub(data=data, etag=hashlib.sha256(data).hexdigest())

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _headers(self, status: int, length: int, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("X-Linked-Etag", f'"{state.etag}"')
            self.send_header("ETag", f'"{state.etag}"')
            self.send_header("X-Linked-Size", str(len(state.data)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()

        def _known(self) -> bool:
            if self.path.split("?")[0] != f"/{REPO_ID}/resolve/main/{FILENAME}":
                self.send_error(404)
                return False
            return True

        def do_HEAD(self) -> None:
            if self._known():
                self._headers(200, len(state.data), {})

        def do_GET(self) -> None:
            if not self._known():
                return
            wanted = self.headers.get("Range")
            state.ranges.append(wanted)
            start = int(wanted.removeprefix("bytes=").split("-")[0]) if wanted else 0
            body = state.data[start:]
            extra = {"Content-Range": f"bytes {start}-{len(state.data) - 1}/{len(state.data)}"}
            self._headers(206 if wanted else 200, len(body), extra if wanted else {})
            if state.cut_after is not None:
                self.wfile.write(body[: state.cut_after])
                self.wfile.flush()
                state.cut_after = None
                self.close_connection = True
                return
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run(home: Path, hub: Hub, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INKMOD_HOME": str(home),
        "INKMOD_MODELS_DIR": "",
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_OFFLINE": "0",
        "COLUMNS": "200",
    }
    env.pop("HF_TOKEN", None)
    return subprocess.run(
        [INKMOD, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_pull_resumes_verifies_and_is_then_listed(tmp_path: Path, hub: Hub) -> None:
    models = tmp_path / "data" / "models"
    hub.cut_after = len(hub.data) // 3
    first = run(tmp_path, hub, "models", "pull", "llama-7b")
    assert first.returncode == 2, first.stdout + first.stderr
    (line,) = first.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"error: download of {FILENAME} ")
    assert "run the same command again to resume" in line
    part = models / (FILENAME + ".part")
    assert part.stat().st_size == len(hub.data) // 3
    assert not (models / FILENAME).exists()

    second = run(tmp_path, hub, "models", "pull", "llama-7b")
    assert second.returncode == 0, second.stderr
    assert hub.ranges == [None, f"bytes={len(hub.data) // 3}-"]
    assert (models / FILENAME).read_bytes() == hub.data
    assert not part.exists()
    assert f"SHA-256 {hub.etag} verified" in second.stdout
    assert "resumed at" in second.stdout
    progress = [p for p in second.stderr.splitlines() if p.startswith(f"{FILENAME}: ")]
    assert progress[-1].startswith(f"{FILENAME}: 100% "), second.stderr
    assert len(progress) >= 3  # it moved: 30 %, …, 100 %

    listed = run(tmp_path, hub, "backends", "--list")
    row = next(r for r in listed.stdout.splitlines() if r.strip().startswith("llama-7b"))
    assert row.split()[2:4] == ["yes", "yes"], listed.stdout  # installed, weights present
    info = run(tmp_path, hub, "backends", "--info", "llama-7b", "--json")
    assert '"present": true' in info.stdout and str(models / FILENAME) in info.stdout

    again = run(tmp_path, hub, "models", "pull", "llama-7b")
    assert again.returncode == 0 and "already downloaded" in again.stdout
    assert len(hub.ranges) == 2  # nothing fetched


def test_a_wrong_checksum_is_refused(tmp_path: Path, hub: Hub) -> None:
    hub.etag = "0" * 64
    result = run(tmp_path, hub, "models", "pull", "llama-7b")
    assert result.returncode == 2
    assert "does not match the hub's" in result.stderr
    models = tmp_path / "data" / "models"
    assert not (models / FILENAME).exists() and not (models / (FILENAME + ".part")).exists()
