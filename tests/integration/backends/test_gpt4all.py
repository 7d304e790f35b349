"""gpt4all 2.8.2 on the embedded SmolLM2 file, through the automatic compatibility copy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inkmod.backends import Backend, GenerationConfig, create_backend
from inkmod.backends.gguf_files import read_gguf_metadata
from inkmod.backends.gpt4all import GPT4AllBackend, compat_dir, compat_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gpt4all_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home of its own, so this module sees the compat copy being created."""
    home = tmp_path_factory.mktemp("gpt4all-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INKMOD_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def compat_log(gpt4all_home: Path) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("inkmod.backends.gpt4all")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture(scope="module")
def smollm2_gpt4all(
    gpt4all_home: Path, compat_log: list[logging.LogRecord]
) -> Iterator[GPT4AllBackend]:
    assert not compat_dir().exists()
    backend = create_backend("gpt4all:smollm2")
    assert isinstance(backend, GPT4AllBackend)
    backend.load()
    yield backend
    backend.close()


def test_compat_copy_is_created_once_and_reused(
    smollm2_gpt4all: GPT4AllBackend, compat_log: list[logging.LogRecord], smollm2_file: Path
) -> None:
    copy = compat_path(smollm2_file)
    assert copy.is_file()
    warnings = [r for r in compat_log if "compatible copy" in r.getMessage()]
    assert len(warnings) == 1 and "smollm" in warnings[0].getMessage()
    mtime = copy.stat().st_mtime_ns

    again = create_backend("smollm2", family="gpt4all")
    again.load()
    try:
        assert again.info().options["compat_copy"] == str(copy)
        assert again.generate("Hi", GenerationConfig(max_tokens=2)).completion_tokens > 0
    finally:
        again.close()
    assert copy.stat().st_mtime_ns == mtime
    assert len([r for r in compat_log if "compatible copy" in r.getMessage()]) == 1
    assert len(list(compat_dir().glob("*.gguf"))) == 1


def test_compat_copy_changes_only_the_pre_tokenizer(
    smollm2_gpt4all: GPT4AllBackend, smollm2_file: Path
) -> None:
    original = read_gguf_metadata(smollm2_file)
    copy = read_gguf_metadata(compat_path(smollm2_file))
    assert original.tokenizer_pre == "smollm" and copy.tokenizer_pre == "gpt-2"
    assert copy.n_params == original.n_params and copy.tensor_count == original.tensor_count
    assert copy.array_lengths == original.array_lengths
    differing = {k for k in original.kv if original.kv[k] != copy.kv.get(k)}
    assert differing == {"tokenizer.ggml.pre"}


def test_chat_and_raw_generation(smollm2_gpt4all: GPT4AllBackend) -> None:
    assert isinstance(smollm2_gpt4all, Backend)
    pieces: list[str] = []
    chat = smollm2_gpt4all.generate(
        [{"role": "user", "content": "Write one short sentence about rain."}],
        GenerationConfig(max_tokens=24, temperature=0),
        on_token=pieces.append,
    )
    assert chat.text.strip() and "".join(pieces) == chat.text
    assert "<|im_" not in chat.text
    raw = smollm2_gpt4all.generate(
        "The three primary colours are", GenerationConfig(max_tokens=10, temperature=0)
    )
    assert raw.text and raw.completion_tokens == 10 and raw.finish_reason == "length"
    assert raw.prompt_tokens == smollm2_gpt4all.count_tokens("The three primary colours are")


def test_cancel(smollm2_gpt4all: GPT4AllBackend) -> None:
    cancel = threading.Event()
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 2:
            cancel.set()

    result = smollm2_gpt4all.generate(
        [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
        GenerationConfig(max_tokens=200, temperature=0),
        on_token=on_token,
        cancel=cancel,
    )
    assert result.finish_reason == "cancelled" and result.completion_tokens < 10


def test_load_failure_is_one_line(tmp_path: Path) -> None:
    from inkmod.backends import CorruptModelFileError

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 16)  # valid header, no tensors
    backend = GPT4AllBackend(str(broken))
    with pytest.raises(CorruptModelFileError) as excinfo:
        backend.load()
    assert "\n" not in str(excinfo.value) and "broken.gguf" in str(excinfo.value)
