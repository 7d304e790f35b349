"""Downloading one model file from a Hugging Face hub, resumable and checked.

Why not ``huggingface_hub.hf_hub_download``: since 2.x it downloads into a process-unique
temporary file that it deletes when the download fails, so an interrupted multi-GB download
starts again from zero. Here the hub library only answers where the file is, how big it is and
its SHA-256 (the LFS ETag); the bytes go into ``<file>.part`` beside the target, which the next
run continues with an HTTP ``Range`` request. The file is moved into place only once its size
and its SHA-256 match. ``HF_ENDPOINT`` (a mirror, or a local stand-in in the tests) and
``HF_TOKEN`` are honoured because the hub library resolves both.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from inkmod.backends.errors import BackendError

CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, "int | None"], None]
"""Called with (bytes on disk, total bytes or None) as the download advances."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str | None
    """The verified SHA-256, or None when the hub gave no LFS checksum (a small git file)."""
    resumed_from: int
    """Bytes already on disk from an earlier, interrupted run (0: a fresh download)."""
    already_present: bool = False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_hub_file(
    repo_id: str, filename: str, target_dir: Path, *, progress: Progress | None = None
) -> Downloaded:
    """Fetch ``filename`` of ``repo_id`` into ``target_dir``; see the module doc."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.utils import build_hf_headers

    url = hf_hub_url(repo_id, filename)
    try:
        meta = get_hf_file_metadata(url)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendError(f"could not reach {url} (offline or hub unreachable?): {first}") from exc
    expected = meta.etag if meta.etag and SHA256.match(meta.etag) else None
    size = meta.size
    target_dir.mkdir(parents=True, exist_ok=True)
    dest = target_dir / filename
    part = dest.with_name(dest.name + ".part")
    present = dest.is_file() and (size is None or dest.stat().st_size == size)
    if present and (expected is None or _sha256(dest) == expected):
        return Downloaded(dest, dest.stat().st_size, expected, 0, already_present=True)
    start = part.stat().st_size if part.is_file() else 0
    if size is not None and start > size:
        part.unlink()
        start = 0
    location = meta.location or url
    # The hub's token goes to the hub only, never to the CDN a large file is redirected to.
    same_host = urlparse(location).netloc == urlparse(url).netloc
    headers = dict(build_hf_headers()) if same_host else {}
    headers["Accept-Encoding"] = "identity"
    resumed_from = start
    if start and (size is None or start < size):
        headers["Range"] = f"bytes={start}-"
    if size is None or start < size:
        request = urllib.request.Request(location, headers=headers)
        done = start
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                if start and response.status != 206:  # the server ignored the Range
                    done = resumed_from = 0
                with part.open("ab" if done else "wb") as out:
                    if progress:
                        progress(done, size)
                    while True:
                        block = response.read(CHUNK)
                        if not block:
                            break
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done, size)
        except (OSError, urllib.error.URLError) as exc:
            of = f" of {size:,}" if size else ""
            raise BackendError(
                f"download of {filename} interrupted after {done:,}{of} bytes ({exc}); "
                "run the same command again to resume"
            ) from exc
    got = part.stat().st_size
    if size is not None and got != size:
        raise BackendError(
            f"download of {filename} stopped at {got:,} of {size:,} bytes; "
            "run the same command again to resume"
        )
    if expected is not None:
        actual = _sha256(part)
        if actual != expected:
            part.unlink()
            raise BackendError(
                f"{filename}: SHA-256 {actual} does not match the hub's {expected}; "
                "the partial file was deleted, run the same command again"
            )
    os.replace(part, dest)
    return Downloaded(dest, got, expected, resumed_from)
