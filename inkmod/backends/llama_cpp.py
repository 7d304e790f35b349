"""llama.cpp through llama-cpp-python: the default local backend.

Why we format chat prompts ourselves (with the GGUF's own Jinja chat template) and then run a raw
completion on the token list, instead of calling ``create_chat_completion``: one code path for
chat and raw text means one place where we know the exact prompt tokens, which is what lets us
report how many of them were *reused* from the KV cache.

KV-cache reuse: ``Llama`` remembers the tokens whose keys/values sit in its context. When the next
prompt starts with the same tokens (InkMod's long style prompt followed by a different
paragraph), llama-cpp-python evaluates only the new suffix. We keep that working by never
resetting the model between requests and by tokenising identically every time, and we report the
shared prefix as ``GenerationResult.reused_prefix_tokens``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inkmod.cores import usable_cores

from .base import (
    BackendInfo,
    ChatMessage,
    GenerationConfig,
    GenerationResult,
    LocalGeneration,
    Prompt,
    SampleTokenCallback,
    Stopwatch,
    TokenCallback,
    check_options,
    messages_as_text,
    samples_in_turn,
)
from .errors import CorruptModelFileError, GenerationError, MissingExtraError
from .gguf_files import GGUFMetadata, read_gguf_metadata
from .native_output import capture_native_output, load_failure_detail

if TYPE_CHECKING:
    from .llama_parallel import ParallelDecoder

OPTIONS = (
    "context_length",
    "threads",
    "gpu_layers",
    "seed",
    "batch_size",
    "lora_path",
    "batched_samples",
)


def default_threads() -> int:
    """Half the cores this process may use (at least one) -- roughly the physical cores.

    llama.cpp's worker threads meet at a barrier after every layer, spinning while they wait. If
    another process (the editor, a test run, a compiler) takes a core, one descheduled thread
    stalls all the others: on a busy 2-core machine we measured 32 tokens in 10-14 s with 2
    threads against 1.4-3.4 s with 1. InkMod always shares the machine with an editor, so we
    leave headroom, as llama.cpp itself advises (physical, not logical, cores). The ``threads``
    option overrides this for a dedicated machine.
    """
    cores = usable_cores()
    return max(1, cores // 2)


class LlamaCppBackend(LocalGeneration):
    """A GGUF model run in-process by llama.cpp."""

    family = "llama_cpp"
    extra: str | None = "llama"
    requires: tuple[str, ...] = ("llama_cpp",)

    def __init__(self, model: str, *, name: str | None = None, **options: Any) -> None:
        check_options(self.family, options, OPTIONS)
        self.path = Path(model)
        self.name = name or f"llama_cpp:{model}"
        self.options = options
        self.context_length = int(options.get("context_length", 2048))
        self.threads = int(options.get("threads") or default_threads())
        self.gpu_layers = int(options.get("gpu_layers", 0))
        self.seed: int | None = options.get("seed")
        self.batch_size = int(options.get("batch_size", 512))
        # A llama.cpp GGUF LoRA applied on load (the writer's personal adapter, issue 10).
        lora = options.get("lora_path")
        self.lora_path: Path | None = Path(lora) if lora else None
        # Best-of-k samples as parallel sequences of one batch (see generate_samples); off, they
        # are decoded in turn and no second context is made (for the lowest memory).
        self.batched_samples = bool(options.get("batched_samples", True))
        self._llm: Any = None
        self._meta: GGUFMetadata | None = None
        self._load_seconds: float | None = None
        self._lock = threading.RLock()
        self._formatter: Any = None
        self._evals: list[int] | None = None
        self._parallel: ParallelDecoder | None = None  # made on the first batched request

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def metadata(self) -> GGUFMetadata:
        """GGUF header facts (validates the file: legacy/corrupt files raise here)."""
        if self._meta is None:
            self._meta = read_gguf_metadata(self.path)
        return self._meta

    def load(self) -> None:
        with self._lock:
            if self._llm is not None:
                return
            meta = self.metadata()
            clock = Stopwatch()  # load time includes importing the runtime: users wait for both
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise MissingExtraError(self.family, "llama_cpp", "llama") from exc
            seed_kw: dict[str, Any] = {"seed": int(self.seed)} if self.seed is not None else {}
            lora_kw: dict[str, Any] = (
                {"lora_path": str(self.lora_path)} if self.lora_path is not None else {}
            )
            captured = None
            try:
                with capture_native_output("llama_cpp") as captured:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.context_length,
                        n_threads=self.threads,
                        n_threads_batch=self.threads,
                        n_gpu_layers=self.gpu_layers,
                        n_batch=min(self.batch_size, self.context_length),
                        verbose=False,
                        **seed_kw,
                        **lora_kw,
                    )
            except (ValueError, RuntimeError, OSError) as exc:
                detail = load_failure_detail(exc, captured)
                raise CorruptModelFileError(
                    self.path, f"llama.cpp could not load it ({detail})"
                ) from exc
            self._load_seconds = clock.elapsed
            self._count_evaluations()
            self._formatter = self._make_formatter(meta)

    def close(self) -> None:
        with self._lock:
            parallel, self._parallel = self._parallel, None
            if parallel is not None:
                parallel.close()
            llm, self._llm = self._llm, None
            if llm is not None and hasattr(llm, "close"):
                llm.close()

    # -- prompts -----------------------------------------------------------------------------

    def _make_formatter(self, meta: GGUFMetadata) -> Any:
        """A Jinja formatter for the model's own chat template (None for base models)."""
        template = meta.chat_template
        if not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        bos_id, eos_id = llm.token_bos(), llm.token_eos()
        bos = llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        return Jinja2ChatFormatter(
            template=template, eos_token=eos, bos_token=bos, stop_token_ids=[eos_id]
        )

    def _prompt_tokens(self, prompt: Prompt) -> tuple[list[int], list[str]]:
        """Tokens to evaluate plus extra stop strings (from the chat template)."""
        llm = self._llm
        if isinstance(prompt, str):
            return llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False), []
        messages: Sequence[ChatMessage] = prompt
        if self._formatter is None:
            text = messages_as_text(messages)
            return llm.tokenize(text.encode("utf-8"), add_bos=True, special=False), ["\nUser:"]
        result = self._formatter(messages=[dict(m) for m in messages])
        stops = [result.stop] if isinstance(result.stop, str) else list(result.stop or [])
        tokens = llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        return tokens, [s for s in stops if s]

    # -- generation --------------------------------------------------------------------------

    def _count_evaluations(self) -> None:
        """Record how many tokens each ``Llama.eval`` call decodes.

        ``Llama.generate`` decides internally how much of the prompt to reuse (it may also fall
        back to a full re-evaluation when the KV cache cannot be trimmed), so the only exact
        measure is what it actually evaluates: the first call decodes the non-reused prompt
        suffix, each later call one sampled token.
        """
        llm = self._llm
        original = llm.eval

        def counting_eval(tokens: Sequence[int]) -> None:
            if self._evals is not None:
                self._evals.append(len(tokens))
            original(tokens)

        llm.eval = counting_eval

    def _generate(
        self,
        prompt: Prompt,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        cancel: threading.Event | None,
    ) -> GenerationResult:
        llm = self._llm
        clock = Stopwatch()
        tokens, template_stops = self._prompt_tokens(prompt)
        room = self.context_length - len(tokens)
        if room <= 0:
            raise GenerationError(
                f"the prompt is {len(tokens)} tokens but the context window is "
                f"{self.context_length}; shorten it or raise the context_length option"
            )
        pieces: list[str] = []
        finish = "stop"
        evals: list[int] = []
        self._evals = evals
        seed_kw: dict[str, Any] = {"seed": config.seed} if config.seed is not None else {}
        with capture_native_output("llama_cpp") as captured:
            try:
                stream = llm.create_completion(
                    tokens,
                    max_tokens=min(config.max_tokens, room),
                    temperature=config.temperature,
                    top_k=config.top_k,
                    top_p=config.top_p,
                    stop=list(config.stop) + template_stops,
                    stream=True,
                    **seed_kw,
                )
                for chunk in stream:
                    choice = chunk["choices"][0]
                    piece = choice.get("text") or ""
                    if piece:
                        pieces.append(piece)
                        if on_token is not None:
                            with captured.released():
                                on_token(piece)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    if cancel is not None and cancel.is_set():
                        finish = "cancelled"
                        stream.close()
                        break
            except (RuntimeError, ValueError) as exc:
                raise GenerationError(f"llama.cpp generation failed: {exc}") from exc
            finally:
                self._evals = None
        # evals[0] is the prompt suffix actually decoded; every later evaluation is one sampled
        # token fed back, and the last sampled token is never fed back: so len(evals) tokens were
        # sampled in all.
        reused = len(tokens) - evals[0] if evals else 0
        sampled = len(evals)
        if finish not in ("stop", "length", "cancelled"):
            finish = "stop"
        return GenerationResult(
            text="".join(pieces),
            prompt_tokens=len(tokens),
            completion_tokens=sampled,
            seconds=clock.elapsed,
            finish_reason=finish,  # type: ignore[arg-type]
            reused_prefix_tokens=reused,
        )

    def generate_samples(
        self,
        prompt: Prompt,
        configs: Sequence[GenerationConfig],
        *,
        on_token: SampleTokenCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        """Several samples of one prompt, decoded as parallel sequences of one batch.

        Falls back to one sample after another when there is one config or when the prompt and
        all the answers would not fit the context together (see :mod:`.llama_parallel`).
        """
        self.load()
        with self._lock:
            batched = self.batched_samples and len(configs) > 1
            decoder = self._parallel_decoder() if batched else None
            tokens, template_stops = self._prompt_tokens(prompt)
            if decoder is None or not decoder.fits(len(tokens), configs):
                # generate() adds the template's stop strings itself.
                return samples_in_turn(self, prompt, configs, on_token=on_token, cancel=cancel)
            if template_stops:
                configs = [
                    dataclasses.replace(c, stop=tuple(c.stop) + tuple(template_stops))
                    for c in configs
                ]
            with capture_native_output("llama_cpp") as captured:
                return decoder.generate(
                    tokens, configs, on_token=on_token, cancel=cancel, released=captured.released
                )

    def _parallel_decoder(self) -> ParallelDecoder:
        """The batched-sampling context, made once per loaded model (None if it cannot be)."""
        if self._parallel is None:
            from .llama_parallel import ParallelDecoder

            with capture_native_output("llama_cpp"):
                self._parallel = ParallelDecoder(
                    self._llm,
                    context_length=self.context_length,
                    threads=self.threads,
                    batch_size=self.batch_size,
                    lora_path=self.lora_path,
                )
        return self._parallel

    # -- tokens and info ---------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        self.load()
        with self._lock:
            return list(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def info(self) -> BackendInfo:
        meta = self.metadata()
        return BackendInfo(
            name=self.name,
            family=self.family,
            model=str(self.path),
            file_format="gguf",
            context_length=self.context_length,
            n_params=meta.n_params or None,
            is_chat=meta.has_chat_template,
            options={
                "context_length": self.context_length,
                "threads": self.threads,
                "gpu_layers": self.gpu_layers,
                "seed": self.seed,
                "batch_size": self.batch_size,
                "lora_path": str(self.lora_path) if self.lora_path else None,
                "batched_samples": self.batched_samples,
                "architecture": meta.architecture,
                "trained_context_length": meta.context_length,
                "file_size": meta.file_size,
            },
            load_seconds=self._load_seconds,
        )
