"""Recognise model files by their first bytes and read GGUF metadata cheaply.

Why sniff instead of trusting the extension: gpt4all's old models end in ``.bin`` whether they are
legacy GGML (unloadable today) or something else, and a truncated download still ends in
``.gguf``. Reading a few bytes lets us give the user the right one-line fix before native code
prints a C++ error or crashes.

The GGUF header parser below reads only the key/value section and the tensor descriptors (not the
weights), so it costs milliseconds and needs neither numpy nor the ``gguf`` package. Rewriting a
file (the gpt4all compatibility copy) does use ``gguf``, imported lazily.
"""

from __future__ import annotations

import enum
import json
import os
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .errors import CorruptModelFileError, LegacyGGMLError, ModelFileMissingError

GGUF_MAGIC = b"GGUF"

# Pre-GGUF containers. The C code wrote the uint32 magic little-endian, so 'ggml' (0x67676d6c)
# appears on disk as b"lmgg". Big-endian spellings are included for the rare byte-swapped file.
LEGACY_MAGICS: dict[bytes, str] = {
    b"lmgg": "GGML",
    b"fmgg": "GGMF",
    b"tjgg": "GGJT",
    b"algg": "GGLA (LoRA adapter)",
    b"ggml": "GGML",
    b"ggmf": "GGMF",
    b"ggjt": "GGJT",
}


class FileFormat(str, enum.Enum):
    """What a model path holds, judged by content."""

    GGUF = "gguf"
    LEGACY_GGML = "legacy-ggml"
    SAFETENSORS = "safetensors"
    PYTORCH = "pytorch-zip"
    HF_DIRECTORY = "hf-directory"
    TRUNCATED = "truncated"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sniffed:
    """Result of :func:`sniff`: the format plus a human detail (legacy variant, reason...)."""

    format: FileFormat
    detail: str = ""


def sniff(path: str | os.PathLike[str]) -> Sniffed:
    """Identify ``path`` from its first bytes. Never raises for a readable path."""
    p = Path(path)
    if p.is_dir():
        if (p / "config.json").is_file():
            return Sniffed(FileFormat.HF_DIRECTORY)
        return Sniffed(FileFormat.UNKNOWN, "directory without config.json")
    if not p.exists():
        return Sniffed(FileFormat.MISSING)
    size = p.stat().st_size
    with p.open("rb") as f:
        head = f.read(64)
    if len(head) < 4:
        return Sniffed(FileFormat.TRUNCATED, f"only {size} bytes")
    magic = head[:4]
    if magic == GGUF_MAGIC:
        # magic + version + tensor count + kv count = 24 bytes in GGUF v2/v3.
        if size < 24:
            return Sniffed(FileFormat.TRUNCATED, f"GGUF header cut short at {size} bytes")
        return Sniffed(FileFormat.GGUF, f"version {struct.unpack_from('<I', head, 4)[0]}")
    if magic in LEGACY_MAGICS:
        return Sniffed(FileFormat.LEGACY_GGML, LEGACY_MAGICS[magic])
    if magic == b"PK\x03\x04":
        return Sniffed(FileFormat.PYTORCH)
    if len(head) >= 9 and head[8:9] == b"{":
        (header_len,) = struct.unpack_from("<Q", head, 0)
        if 8 + header_len > size:
            return Sniffed(FileFormat.TRUNCATED, "safetensors header longer than the file")
        return Sniffed(FileFormat.SAFETENSORS)
    return Sniffed(FileFormat.UNKNOWN, f"unrecognised magic bytes {magic!r}")


def require_gguf(path: str | os.PathLike[str]) -> None:
    """Raise the most helpful error unless ``path`` is a complete-looking GGUF file."""
    found = sniff(path)
    if found.format is FileFormat.GGUF:
        return
    if found.format is FileFormat.LEGACY_GGML:
        raise LegacyGGMLError(path, found.detail)
    if found.format is FileFormat.MISSING:
        raise ModelFileMissingError(str(path), "no such file", "check the path")
    if found.format is FileFormat.TRUNCATED:
        raise CorruptModelFileError(path, f"file is truncated ({found.detail}); download it again")
    what = f"{found.format.value} file" + (f" ({found.detail})" if found.detail else "")
    raise CorruptModelFileError(path, f"{what}, expected GGUF")


# --- GGUF header parsing -------------------------------------------------------------------

_SCALARS: dict[int, str] = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING, _ARRAY = 8, 9


@dataclass
class GGUFMetadata:
    """The facts InkMod needs from a GGUF header."""

    path: Path
    version: int
    tensor_count: int
    kv: dict[str, Any]
    """Scalar and string values; arrays are summarised as ``("array", length)``."""
    n_params: int
    file_size: int
    array_lengths: dict[str, int] = field(default_factory=dict)
    arrays: dict[str, list[Any]] = field(default_factory=dict)
    """Contents of the arrays requested with ``keep_arrays``."""

    def token_text(self, token_id: int | None) -> str:
        """Text of a vocabulary entry (needs ``keep_arrays=("tokenizer.ggml.tokens",)``)."""
        tokens = self.arrays.get("tokenizer.ggml.tokens", [])
        if token_id is None or not 0 <= int(token_id) < len(tokens):
            return ""
        return str(tokens[int(token_id)])

    @property
    def architecture(self) -> str | None:
        value = self.kv.get("general.architecture")
        return str(value) if value is not None else None

    @property
    def name(self) -> str | None:
        value = self.kv.get("general.name")
        return str(value) if value is not None else None

    @property
    def context_length(self) -> int | None:
        arch = self.architecture
        value = self.kv.get(f"{arch}.context_length") if arch else None
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        value = self.kv.get("tokenizer.chat_template")
        return str(value) if value else None

    @property
    def has_chat_template(self) -> bool:
        return self.chat_template is not None

    @property
    def tokenizer_pre(self) -> str | None:
        value = self.kv.get("tokenizer.ggml.pre")
        return str(value) if value is not None else None

    @property
    def size_label(self) -> str | None:
        value = self.kv.get("general.size_label")
        return str(value) if value is not None else None


class _Reader:
    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f = f
        self.path = path

    def take(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise CorruptModelFileError(self.path, "GGUF header is truncated")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > 1 << 28:
            raise CorruptModelFileError(self.path, "implausible string length in GGUF header")
        return self.take(length).decode("utf-8", errors="replace")

    def skip(self, n: int) -> None:
        self.f.seek(n, os.SEEK_CUR)

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        raise CorruptModelFileError(self.path, f"unknown GGUF value type {vtype}")

    def read_array(self) -> list[Any]:
        etype = self.unpack("<I")
        count = self.unpack("<Q")
        if etype == _ARRAY:
            return [self.read_array() for _ in range(count)]
        return [self.value(etype) for _ in range(count)]

    def skip_array(self) -> int:
        etype = self.unpack("<I")
        count = self.unpack("<Q")
        if etype in _SCALARS:
            self.skip(count * struct.calcsize(_SCALARS[etype]))
        elif etype == _STRING:
            for _ in range(count):
                self.skip(self.unpack("<Q"))
        elif etype == _ARRAY:
            for _ in range(count):
                self.skip_array()
        else:
            raise CorruptModelFileError(self.path, f"unknown GGUF array type {etype}")
        return int(count)


def read_gguf_metadata(
    path: str | os.PathLike[str], *, keep_arrays: Collection[str] = ()
) -> GGUFMetadata:
    """Parse the key/value section and tensor shapes of a GGUF file (not its weights).

    Arrays (the vocabulary, merges...) are skipped unless named in ``keep_arrays``: they are
    most of the header and rarely needed.
    """
    p = Path(path)
    require_gguf(p)
    size = p.stat().st_size
    with p.open("rb") as f:
        r = _Reader(f, p)
        r.take(4)
        version = r.unpack("<I")
        if version < 2:
            raise CorruptModelFileError(p, f"GGUF v{version} is obsolete; re-convert the model")
        tensor_count = r.unpack("<Q")
        kv_count = r.unpack("<Q")
        kv: dict[str, Any] = {}
        arrays: dict[str, int] = {}
        kept: dict[str, list[Any]] = {}
        for _ in range(kv_count):
            key = r.string()
            vtype = r.unpack("<I")
            if vtype == _ARRAY and key in keep_arrays:
                kept[key] = r.read_array()
                arrays[key] = len(kept[key])
                kv[key] = ("array", arrays[key])
            elif vtype == _ARRAY:
                arrays[key] = r.skip_array()
                kv[key] = ("array", arrays[key])
            else:
                kv[key] = r.value(vtype)
        n_params = 0
        for _ in range(tensor_count):
            r.skip(r.unpack("<Q"))  # tensor name
            n_dims = r.unpack("<I")
            count = 1
            for _ in range(n_dims):
                count *= r.unpack("<Q")
            r.skip(4 + 8)  # type + offset
            n_params += count
    return GGUFMetadata(
        path=p,
        version=version,
        tensor_count=tensor_count,
        kv=kv,
        n_params=n_params,
        file_size=size,
        array_lengths=arrays,
        arrays=kept,
    )


def read_hf_config(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """``config.json`` of a transformers model directory ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(directory) / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def render_chat_template(
    template: str,
    messages: Sequence[Any],
    *,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """Render a model's Jinja chat template the way transformers does.

    For runtimes that take only raw text (gpt4all 2.8 has no Jinja support). A sandboxed
    environment, because a chat template is code that came with a downloaded file.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise ValueError(f"chat template error: {message}")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(
        messages=[dict(m) for m in messages],
        bos_token=bos_token,
        eos_token=eos_token,
        add_generation_prompt=add_generation_prompt,
    )
