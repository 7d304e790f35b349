"""Reading a writer's sample folder without ever crashing or losing anything.

Why so careful: the folder is the user's own, full of whatever they keep there — editor swap files,
exported PDFs, Windows-1252 notes from years ago, a symlink that points at its parent. Every file
is either read or skipped with one clear reason, reported once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inkmod.style.markup import Format, format_for_path

MAX_SAMPLE_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = frozenset(
    {".md", ".markdown", ".mdx", ".txt", ".text", ".rst", ".rest", ".tex", ".latex", ""}
)
_FALLBACK_ENCODINGS = ("cp1252",)


@dataclass(frozen=True)
class SampleText:
    """A readable sample: its text, markup format and the encoding it was decoded with."""

    path: Path
    text: str
    fmt: Format
    encoding: str


class SkipSample(Exception):
    """A file that is not used, with the reason in plain words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, reason)  # the args pickle: results cross the process pool
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class SamplesFolderError(Exception):
    """The samples folder itself cannot be used."""


def is_ignored_path(path: Path) -> bool:
    """Hidden files and editor/OS droppings that are never samples."""
    name = path.name
    return (
        name.startswith(".")
        or name.endswith(("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".part", ".crdownload"))
        or (name.startswith("#") and name.endswith("#"))
        or name in {"4913", "Thumbs.db", "desktop.ini"}
    )


def _decode(data: bytes) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text is full of NUL bytes; decoding decides
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and control / len(head) > 0.05


NOT_REGULAR = "not a regular file (a pipe, socket or device)"


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``.

    Opened with ``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor: a FIFO swapped
    in after a ``stat`` can then neither block the ``open`` nor be read. At most
    ``max_bytes + 1`` bytes are read, so a file that grows meanwhile cannot blow the limit.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SkipSample(path, f"cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SkipSample(path, "a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SkipSample(path, NOT_REGULAR)
        if info.st_size > max_bytes:
            raise SkipSample(
                path, f"too large ({info.st_size:,} bytes; the limit is {max_bytes:,})"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise SkipSample(path, f"cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise SkipSample(path, f"too large (over the limit of {max_bytes:,} bytes)")
    return data


def read_sample(path: Path, max_bytes: int = MAX_SAMPLE_BYTES) -> SampleText:
    """Read one sample file or raise :class:`SkipSample` saying why it cannot be used."""
    data = _read_regular(path, max_bytes)
    text, encoding = _decode_checked(path, data)
    return SampleText(path=path, text=text, fmt=format_for_path(path), encoding=encoding)


def decode_sample(path: Path, data: bytes) -> str:
    """Text read from elsewhere (standard input), decoded as a sample file would be."""
    decoded = _decode(data)
    if decoded is None:
        raise SkipSample(path, "not UTF-8, UTF-16 or Windows-1252 text")
    return decoded[0]


def _decode_checked(path: Path, data: bytes) -> tuple[str, str]:
    if not data.strip():
        raise SkipSample(path, "empty file")
    if _looks_binary(data):
        raise SkipSample(path, "binary file, not text")
    decoded = _decode(data)
    if decoded is None:
        raise SkipSample(path, "not UTF-8, UTF-16 or Windows-1252 text")
    text, encoding = decoded
    letters = sum(ch.isalpha() for ch in text[:20000])
    if letters < 0.3 * min(len(text), 20000):
        raise SkipSample(path, "does not look like prose (too few letters)")
    return text, encoding


def iter_sample_files(folder: Path) -> Iterator[Path | SkipSample]:
    """Every candidate sample file under ``folder``, or a skip for what cannot be visited.

    Symbolic links are followed, but each real directory is visited once, so a link to a parent
    cannot make the walk loop. The walk keeps its own stack (no recursion), so no depth of
    nesting can exhaust Python's recursion limit. Pipes, sockets and devices are skipped
    without being opened.
    """
    if not folder.exists():
        raise SamplesFolderError(f"samples folder not found: {folder}")
    if not folder.is_dir():
        raise SamplesFolderError(f"not a folder: {folder}")
    seen: set[tuple[int, int]] = set()
    errors: list[SkipSample] = []
    stack = [folder]
    while stack:
        root_path = stack.pop()
        try:
            st = root_path.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            errors.append(SkipSample(root_path, "symbolic link loop (folder already visited)"))
            continue
        seen.add(key)
        try:
            with os.scandir(root_path) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            errors.append(SkipSample(root_path, f"cannot list ({exc.strerror})"))
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = root_path / entry.name
            try:
                is_dir = entry.is_dir()  # follows symbolic links
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.name.startswith("."):
                    subdirs.append(path)
                continue
            if is_ignored_path(path):
                continue
            if path.suffix.lower() not in TEXT_SUFFIXES:
                yield SkipSample(path, f"not a text format InkMod reads ({path.suffix})")
                continue
            try:
                mode = os.stat(path).st_mode
            except FileNotFoundError:
                yield SkipSample(path, "broken symbolic link")
                continue
            except OSError as exc:
                yield SkipSample(path, f"cannot read ({exc.strerror or exc})")
                continue
            if not stat.S_ISREG(mode):
                yield SkipSample(path, NOT_REGULAR)
                continue
            yield path
        stack.extend(reversed(subdirs))  # depth-first, in name order, like os.walk
    yield from errors
