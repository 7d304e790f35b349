"""Hugging Face transformers + torch on the CPU (or a GPU when present).

Slower and hungrier than llama.cpp for the same model, but it runs anything transformers can
load: a hub id, a local model directory, or a GGUF file (dequantised to fp32 on load, which needs
``gguf``). Useful for models llama.cpp does not support and as a reference implementation.

Every import of torch/transformers happens inside methods: importing ``inkmod.backends`` must
stay cheap for the language server. Downloads happen only with ``allow_download=True``; otherwise
``local_files_only=True`` makes a missing model a clear error instead of a silent network call.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
from pathlib import Path
from typing import Any

from inkmod.cores import usable_cores

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
from .gguf_files import FileFormat, read_gguf_metadata, read_hf_config, sniff
from .native_output import capture_native_output

log = logging.getLogger(__name__)

OPTIONS = ("use_half_precision", "device_map", "allow_download", "threads")


def _cores() -> int:
    return usable_cores()


class HFBackend(LocalGeneration):
    """A causal language model loaded with ``AutoModelForCausalLM``."""

    family = "hf"
    extra: str | None = "hf"
    requires: tuple[str, ...] = ("torch", "transformers")

    def __init__(self, model: str, *, name: str | None = None, **options: Any) -> None:
        check_options(self.family, options, OPTIONS)
        self.model_ref = model
        self.name = name or f"hf:{model}"
        self.options = options
        self.use_half_precision = bool(options.get("use_half_precision", False))
        self.device_map: Any = options.get("device_map")
        self.allow_download = bool(options.get("allow_download", False))
        self.threads: int | None = options.get("threads")
        self._model: Any = None
        self._tok: Any = None
        self._device = "cpu"
        self._dtype = "float32"
        self._load_seconds: float | None = None
        self._lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _source(self) -> tuple[str, dict[str, Any], str]:
        """(path or id for from_pretrained, extra kwargs, format) for the reference."""
        p = Path(self.model_ref).expanduser()
        if p.is_file():
            found = sniff(p)
            if found.format is not FileFormat.GGUF:
                from .gguf_files import require_gguf

                require_gguf(p)  # legacy/corrupt files raise with the right message
            return str(p.parent), {"gguf_file": p.name}, "gguf"
        if p.is_dir():
            return str(p), {}, "hf-directory"
        if p.is_absolute() or self.model_ref.startswith((".", "~")):
            raise ModelFileMissingError(str(p), "no such file or directory", "check the path")
        return self.model_ref, {}, "hf-hub"

    def _configure_torch(self, torch: Any) -> None:
        """Threads and precision. torch defaults to every *physical* core of the host, which in a
        container can exceed the cores we may use; oversubscription makes it slower, not faster."""
        threads = int(self.threads) if self.threads else min(torch.get_num_threads(), _cores())
        torch.set_num_threads(max(1, threads))
        if torch.cuda.is_available():
            self._device = "cuda"
        if self.use_half_precision and self._device == "cuda":
            self._dtype = "float16"
        elif self.use_half_precision:
            log.warning("use_half_precision needs a GPU (fp16 is slow or unsupported on CPU); "
                        "using fp32")  # fmt: skip

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            ref, extra, _fmt = self._source()
            clock = Stopwatch()  # includes importing torch/transformers (seconds, not ms)
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise MissingExtraError(self.family, exc.name or "transformers", "hf") from exc
            self._configure_torch(torch)
            kwargs: dict[str, Any] = {"local_files_only": not self.allow_download, **extra}
            model_kwargs: dict[str, Any] = {"dtype": getattr(torch, self._dtype)}
            if self.device_map is not None:
                model_kwargs["device_map"] = self.device_map
            captured = None
            try:
                # transformers draws progress bars on stderr while converting GGUF tensors.
                with capture_native_output("hf") as captured:
                    tok: Any = AutoTokenizer.from_pretrained(ref, **kwargs)
                    model: Any = AutoModelForCausalLM.from_pretrained(ref, **kwargs, **model_kwargs)
            except OSError as exc:
                if not extra and not Path(ref).exists():
                    raise ModelFileMissingError(
                        self.model_ref,
                        "not in the local Hugging Face cache",
                        "run: inkmod models pull NAME, or pass allow_download=True",
                    ) from exc
                raise CorruptModelFileError(ref, f"transformers could not load it ({exc})") from exc
            except (ValueError, RuntimeError, KeyError, ImportError) as exc:
                detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise CorruptModelFileError(
                    self.model_ref, f"transformers could not load it ({detail})"
                ) from exc
            finally:
                if captured is not None and captured.last_line:
                    log.debug("hf load output ended with: %s", captured.last_line)
            if self.device_map is None and self._device != "cpu":
                model = model.to(self._device)
            model.eval()
            self._model, self._tok = model, tok
            self._load_seconds = clock.elapsed

    def close(self) -> None:
        with self._lock:
            self._model = self._tok = None
            gc.collect()

    # -- generation --------------------------------------------------------------------------

    def _encode(self, prompt: Prompt) -> Any:
        tok = self._tok
        if isinstance(prompt, str):
            return tok(prompt, return_tensors="pt")
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(
                [dict(m) for m in prompt],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
        return tok(messages_as_text(prompt), return_tensors="pt")

    def _generate(
        self,
        prompt: Prompt,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        cancel: threading.Event | None,
    ) -> GenerationResult:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Cancelled(StoppingCriteria):
            """Checked after every token: the only safe point to stop ``generate``."""

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                flag = cancel is not None and cancel.is_set()
                return torch.full((input_ids.shape[0],), flag, dtype=torch.bool)

        clock = Stopwatch()
        tok, model = self._tok, self._model
        inputs = self._encode(prompt).to(model.device)
        n_prompt = int(inputs["input_ids"].shape[1])
        streamer = TextIteratorStreamer(
            tok, skip_prompt=True, skip_special_tokens=True, timeout=0.2
        )
        sample = config.temperature > 0
        gen_kwargs: dict[str, Any] = {
            **inputs,
            "streamer": streamer,
            "max_new_tokens": config.max_tokens,
            "do_sample": sample,
            "stopping_criteria": StoppingCriteriaList([_Cancelled()]),
            "pad_token_id": tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        }
        if sample:
            gen_kwargs.update(
                temperature=config.temperature, top_k=config.top_k, top_p=config.top_p
            )
        if config.stop:
            gen_kwargs.update(stop_strings=list(config.stop), tokenizer=tok)
        if config.seed is not None:
            torch.manual_seed(config.seed)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                with torch.inference_mode():
                    outcome["output"] = model.generate(**gen_kwargs)
            except Exception as exc:  # re-raised in the caller's thread below
                outcome["error"] = exc
                streamer.end()

        worker = threading.Thread(target=work, name="inkmod-hf-generate", daemon=True)
        worker.start()
        matcher = StopMatcher(config.stop)
        while True:
            try:
                piece = next(streamer)
            except StopIteration:
                break
            except queue.Empty:
                if not worker.is_alive():
                    break
                continue
            out = matcher.feed(piece)
            if out and on_token is not None:
                on_token(out)
        worker.join()
        if "error" in outcome:
            raise GenerationError(f"transformers generation failed: {outcome['error']}")
        tail = matcher.flush()
        if tail and on_token is not None:
            on_token(tail)
        output = outcome.get("output")
        n_new = int(output.shape[1]) - n_prompt if output is not None else 0
        if cancel is not None and cancel.is_set():
            finish = "cancelled"
        elif n_new >= config.max_tokens and not matcher.stopped:
            finish = "length"
        else:
            finish = "stop"
        return GenerationResult(
            text=matcher.text,
            prompt_tokens=n_prompt,
            completion_tokens=max(0, n_new),
            seconds=clock.elapsed,
            finish_reason=finish,  # type: ignore[arg-type]
        )

    # -- tokens and info ---------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        self.load()
        return [int(t) for t in self._tok.encode(text, add_special_tokens=False)]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def info(self) -> BackendInfo:
        try:
            ref, extra, fmt = self._source()
        except BackendError:
            ref, extra, fmt = self.model_ref, {}, "unknown"
        n_params: int | None = None
        context: int | None = None
        is_chat = False
        if self._model is not None:
            n_params = int(sum(p.numel() for p in self._model.parameters()))
            context = getattr(self._model.config, "max_position_embeddings", None)
            is_chat = bool(getattr(self._tok, "chat_template", None))
        elif fmt == "gguf":
            meta = read_gguf_metadata(Path(ref) / extra["gguf_file"])
            n_params, context, is_chat = (
                meta.n_params or None,
                meta.context_length,
                meta.has_chat_template,
            )
        elif fmt == "hf-directory":
            context = read_hf_config(ref).get("max_position_embeddings")
        return BackendInfo(
            name=self.name,
            family=self.family,
            model=self.model_ref,
            file_format=fmt,
            context_length=context,
            n_params=n_params,
            is_chat=is_chat,
            options={
                "use_half_precision": self.use_half_precision,
                "device_map": self.device_map,
                "allow_download": self.allow_download,
                "threads": self.threads,
                "device": self._device,
                "dtype": self._dtype,
            },
            load_seconds=self._load_seconds,
        )
