"""gpt4all 2.8.2: runs GGUF files with the llama.cpp build bundled in the wheel.

That bundled llama.cpp (mid-2024) rejects GGUF files whose ``tokenizer.ggml.pre`` names a
pre-tokenizer added later -- the SmolLM2 file we ship says ``smollm`` -- with
``unknown pre-tokenizer type``. We read the header *before* loading and, when needed, write a
compatible copy into ``cache_dir()/gpt4all-compat/`` with ``tokenizer.ggml.pre = gpt-2`` (SmolLM2's
pre-tokenizer is GPT-2's regex). The copy is a full GGUF rewrite with the ``gguf`` package (every
key/value pair and tensor copied), keyed by the source's path, size and mtime so an updated source
gets a fresh copy, and announced once per source (a marker file remembers it was said).

Nothing is downloaded unless the user passes ``allow_download=True``: with it False, gpt4all
neither fetches its model list nor a model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .. import paths
from .base import (
    BackendInfo,
    GenerationConfig,
    GenerationResult,
    LocalGeneration,
    Prompt,
    StopMatcher,
    Stopwatch,
    TokenCallback,
    check_options,
    messages_as_text,
)
from .errors import (
    BackendError,
    CorruptModelFileError,
    GenerationError,
    MissingExtraError,
    ModelFileMissingError,
)
from .gguf_files import (
    FileFormat,
    GGUFMetadata,
    read_gguf_metadata,
    render_chat_template,
    require_gguf,
    sniff,
)
from .native_output import capture_native_output, load_failure_detail

log = logging.getLogger(__name__)

OPTIONS = ("allow_download", "top_k", "top_p", "context_length", "threads", "device")

# Pre-tokenizer names the llama.cpp inside gpt4all 2.8.2 accepts (read from the strings of its
# libllamamodel-mainline-*.so). Anything else makes it refuse the file.
GPT4ALL_KNOWN_PRE = frozenset(
    {
        "default", "llama3", "llama-v3", "llama-bpe", "deepseek-llm", "deepseek-coder",
        "falcon", "mpt", "starcoder", "gpt-2", "refact", "command-r", "stablelm2", "qwen2",
        "olmo", "dbrx", "smaug-bpe", "poro-chat", "jais", "chatglm-bpe", "viking", "codeshell",
        "bloom", "gpt3-finnish",
    }
)  # fmt: skip
# Newer names whose regex equals one gpt4all knows.
PRE_REPLACEMENTS = {"smollm": "gpt-2"}
FALLBACK_PRE = "gpt-2"


def compat_dir() -> Path:
    return paths.cache_dir() / "gpt4all-compat"


def needs_compat(meta: GGUFMetadata) -> str | None:
    """The replacement pre-tokenizer name when gpt4all would reject ``meta``, else None."""
    pre = meta.tokenizer_pre
    if pre is None or pre in GPT4ALL_KNOWN_PRE:
        return None
    return PRE_REPLACEMENTS.get(pre, FALLBACK_PRE)


def _compat_key(src: Path) -> str:
    st = src.stat()
    ident = f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def compat_path(src: Path) -> Path:
    """Where the compatible copy of ``src`` lives (whether or not it exists yet)."""
    return compat_dir() / f"{src.stem}.{_compat_key(src)}.gguf"


def rewrite_gguf(src: Path, dest: Path, overrides: dict[str, str]) -> None:
    """Copy a GGUF file with some string values replaced, through the ``gguf`` package.

    A string of a different length shifts every later byte, so this is a real rewrite
    (``GGUFReader`` -> ``GGUFWriter``), not a patch: all key/value pairs with their types, then
    all tensor descriptors and data, with the source's alignment.
    """
    try:
        import gguf
    except ImportError as exc:
        raise MissingExtraError("gpt4all", "gguf", "gpt4all") from exc

    reader = gguf.GGUFReader(src, "r")
    arch_field = reader.get_field(gguf.Keys.General.ARCHITECTURE)
    arch = arch_field.contents() if arch_field else "unknown"
    writer = gguf.GGUFWriter(dest, arch=arch, endianess=reader.endianess)
    align = reader.get_field(gguf.Keys.General.ALIGNMENT)
    if align is not None:
        writer.data_alignment = int(align.contents())
    for fld in reader.fields.values():
        if fld.name == gguf.Keys.General.ARCHITECTURE or fld.name.startswith("GGUF."):
            continue  # the writer emits these itself
        vtype = fld.types[0]
        sub_type = fld.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value = overrides.get(fld.name, fld.contents())
        writer.add_key_value(fld.name, value, vtype, sub_type=sub_type)
    for tensor in reader.tensors:
        writer.add_tensor_info(
            tensor.name,
            tensor.data.shape,
            tensor.data.dtype,
            tensor.data.nbytes,
            tensor.tensor_type,
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()


def ensure_compatible(src: Path) -> Path:
    """``src`` itself when gpt4all can read it, else a (cached) compatible copy."""
    meta = read_gguf_metadata(src)
    replacement = needs_compat(meta)
    if replacement is None:
        return src
    dest = compat_path(src)
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{src.stem}-", suffix=".partial", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            rewrite_gguf(src, tmp, {"tokenizer.ggml.pre": replacement})
            os.replace(tmp, dest)
        except (OSError, ValueError) as exc:
            raise BackendError(
                f"could not write a gpt4all-compatible copy of {src}: {exc}"
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
    marker = dest.with_suffix(".announced")
    if not marker.exists():
        log.warning(
            "gpt4all 2.8.2 does not know the pre-tokenizer %r of %s; using a compatible copy "
            "with %r at %s (made once, reused; delete %s to rebuild)",
            meta.tokenizer_pre, src.name, replacement, dest, compat_dir(),
        )  # fmt: skip
        marker.touch()
    return dest


class GPT4AllBackend(LocalGeneration):
    """A local model run by the gpt4all Python bindings (CPU)."""

    family = "gpt4all"
    extra: str | None = "gpt4all"
    requires: tuple[str, ...] = ("gpt4all", "gguf")

    def __init__(self, model: str, *, name: str | None = None, **options: Any) -> None:
        check_options(self.family, options, OPTIONS)
        self.model = model
        self.name = name or f"gpt4all:{model}"
        self.options = options
        self.allow_download = bool(options.get("allow_download", False))
        self.top_k: int | None = options.get("top_k")
        self.top_p: float | None = options.get("top_p")
        self.context_length = int(options.get("context_length", 2048))
        self.threads: int | None = options.get("threads")
        self.device = str(options.get("device", "cpu"))
        self._gpt: Any = None
        self._meta: GGUFMetadata | None = None
        self._file: Path | None = None
        self._load_seconds: float | None = None
        self._lock = threading.RLock()

    @property
    def loaded(self) -> bool:
        return self._gpt is not None

    def _source_file(self) -> Path | None:
        """The local file, or None when gpt4all should fetch ``self.model`` by name."""
        p = Path(self.model).expanduser()
        if p.exists():
            return p
        if self.allow_download and os.sep not in self.model:
            return None
        raise ModelFileMissingError(str(p), "no such file", "check the path")

    def load(self) -> None:
        with self._lock:
            if self._gpt is not None:
                return
            src = self._source_file()
            if src is not None:
                if sniff(src).format is FileFormat.GGUF:
                    self._meta = read_gguf_metadata(src, keep_arrays=("tokenizer.ggml.tokens",))
                else:
                    require_gguf(src)  # raises the legacy/corrupt error
                self._file = ensure_compatible(src)
            clock = Stopwatch()
            captured = None
            try:
                with capture_native_output("gpt4all") as captured:
                    try:
                        from gpt4all import GPT4All
                    except ImportError as exc:
                        raise MissingExtraError(self.family, "gpt4all", "gpt4all") from exc
                    kwargs: dict[str, Any] = {
                        "allow_download": self.allow_download,
                        "device": self.device,
                        "n_ctx": self.context_length,
                        "verbose": False,
                    }
                    if self.threads:
                        kwargs["n_threads"] = int(self.threads)
                    if self._file is not None:
                        kwargs["model_path"] = str(self._file.parent)
                        self._gpt = GPT4All(self._file.name, **kwargs)
                    else:
                        self._gpt = GPT4All(self.model, **kwargs)
            except (RuntimeError, ValueError, OSError) as exc:
                detail = load_failure_detail(exc, captured)
                raise CorruptModelFileError(
                    self._file or self.model, f"gpt4all could not load it ({detail})"
                ) from exc
            if not self._gpt.model or not getattr(self._gpt.model, "model", None):
                raise CorruptModelFileError(self._file or self.model, "gpt4all could not load it")
            self._load_seconds = clock.elapsed

    def close(self) -> None:
        with self._lock:
            gpt, self._gpt = self._gpt, None
            if gpt is not None:
                gpt.close()

    # -- prompts -----------------------------------------------------------------------------

    def _render(self, prompt: Prompt) -> tuple[str, bool, list[str]]:
        """(text, parse special tokens?, extra stops) for gpt4all's raw prompt API."""
        if isinstance(prompt, str):
            return prompt, False, []
        meta = self._meta
        if meta is None or not meta.chat_template:
            return messages_as_text(prompt), False, ["\nUser:"]
        eos = meta.token_text(meta.kv.get("tokenizer.ggml.eos_token_id"))
        bos = meta.token_text(meta.kv.get("tokenizer.ggml.bos_token_id"))
        try:
            text = render_chat_template(meta.chat_template, prompt, bos_token=bos, eos_token=eos)
        except ImportError:  # jinja2 comes with llama-cpp-python/transformers, not gpt4all
            log.warning("jinja2 is not installed; sending chat as plain text (pip install jinja2)")
            return messages_as_text(prompt), False, ["\nUser:"]
        return text, True, [eos] if eos else []

    # -- generation --------------------------------------------------------------------------

    def _generate(
        self,
        prompt: Prompt,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        cancel: threading.Event | None,
    ) -> GenerationResult:
        clock = Stopwatch()
        text, special, stops = self._render(prompt)
        matcher = StopMatcher([*config.stop, *stops])
        state = {"tokens": 0, "cancelled": False}
        model = self._gpt.model

        def emit(piece: str) -> None:
            if piece and on_token is not None:
                with captured.released():
                    on_token(piece)

        def callback(token_id: int, response: str) -> bool:
            state["tokens"] += 1
            emit(matcher.feed(response))
            if matcher.stopped:
                return False
            if cancel is not None and cancel.is_set():
                state["cancelled"] = True
                return False
            return True

        greedy = config.temperature <= 0
        with capture_native_output("gpt4all") as captured:
            try:
                model.prompt_model(
                    text,
                    "%1%2",
                    callback,
                    n_predict=config.max_tokens,
                    top_k=1 if greedy else (self.top_k or config.top_k),
                    top_p=self.top_p if self.top_p is not None else config.top_p,
                    temp=max(config.temperature, 0.0),
                    repeat_penalty=1.0,
                    n_batch=128,
                    reset_context=True,
                    special=special,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise GenerationError(f"gpt4all generation failed: {exc}") from exc
            emit(matcher.flush())
        n_past = int(model.context.n_past) if model.context is not None else 0
        completion = int(state["tokens"])
        if state["cancelled"]:
            finish = "cancelled"
        elif matcher.stopped or completion < config.max_tokens:
            finish = "stop"
        else:
            finish = "length"
        return GenerationResult(
            text=matcher.text,
            prompt_tokens=max(0, n_past - completion),
            completion_tokens=completion,
            seconds=clock.elapsed,
            finish_reason=finish,  # type: ignore[arg-type]
        )

    # -- tokens and info ---------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """Token ids, obtained by ingesting ``text`` with no generation.

        gpt4all 2.8.2 exposes no tokenizer; a prompt with ``n_predict=0`` leaves the prompt's
        tokens in the context, which we read back. It costs a prompt evaluation.
        """
        self.load()
        with self._lock, capture_native_output("gpt4all"):
            model = self._gpt.model
            model.prompt_model(text, "%1%2", lambda _t, _r: False, n_predict=0, reset_context=True)
            ctx = model.context
            return [int(ctx.tokens[i]) for i in range(int(ctx.tokens_size))]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def info(self) -> BackendInfo:
        if self._meta is None:
            src = Path(self.model).expanduser()
            if src.is_file() and sniff(src).format is FileFormat.GGUF:
                self._meta = read_gguf_metadata(src)
        meta = self._meta
        return BackendInfo(
            name=self.name,
            family=self.family,
            model=self.model,
            file_format=sniff(self.model).format.value if Path(self.model).exists() else "gpt4all",
            context_length=self.context_length,
            n_params=(meta.n_params or None) if meta else None,
            is_chat=bool(meta and meta.has_chat_template),
            options={
                "allow_download": self.allow_download,
                "top_k": self.top_k,
                "top_p": self.top_p,
                "context_length": self.context_length,
                "threads": self.threads,
                "device": self.device,
                "compat_copy": str(self._file)
                if self._file and str(self._file) != self.model
                else None,
            },
            load_seconds=self._load_seconds,
        )
