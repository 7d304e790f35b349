"""The backend contract shared by every model family.

This module imports nothing heavy on purpose: the daemon, the language server and the style
engine type against these names without pulling in llama.cpp, torch or an HTTP client.

A plain ``str`` prompt means *raw completion* (what a base model is trained for); a list of
:class:`ChatMessage` means *chat*, and the backend applies the model's own chat template. Keeping
the two apart lets the caller decide, instead of every backend guessing from the model name.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

from .errors import BackendError

FinishReason = Literal["stop", "length", "cancelled"]
"""``stop``: the model ended or a stop string matched; ``length``: ``max_tokens`` reached;
``cancelled``: the caller's cancel event was set."""

TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings for one request.

    Frozen so a config can be shared between threads and used as a cache key.
    ``temperature == 0`` means greedy decoding; ``seed`` makes sampling repeatable where the
    backend supports it.
    """

    max_tokens: int = 256
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    stop: tuple[str, ...] = ()
    seed: int | None = None


class ChatMessage(TypedDict):
    """One chat turn, in the OpenAI shape every chat template understands."""

    role: Literal["system", "user", "assistant"]
    content: str


Prompt = str | Sequence[ChatMessage]


@dataclass
class GenerationResult:
    """What one request produced and what it cost.

    ``reused_prefix_tokens`` counts prompt tokens whose KV state was kept from the previous
    request instead of being evaluated again (llama.cpp); 0 where a backend cannot reuse.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finish_reason: FinishReason
    reused_prefix_tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        """Completion throughput; 0.0 when nothing was generated."""
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass
class BackendInfo:
    """A description of a loaded (or loadable) model, for ``inkmod backends --info``."""

    name: str
    family: str
    model: str
    """File path, model directory, hub id or remote model id."""
    file_format: str
    """``gguf``, ``safetensors``, ``remote``, ... (see :mod:`inkmod.backends.gguf_files`)."""
    context_length: int | None
    n_params: int | None
    is_chat: bool
    """True for an instruct model that carries a chat template."""
    options: dict[str, Any] = field(default_factory=dict)
    load_seconds: float | None = None


@runtime_checkable
class Backend(Protocol):
    """What the rest of InkMod may ask of a model.

    Backends are cheap to construct; :meth:`load` does the expensive work (and
    :meth:`generate` calls it on first use). One backend instance serves one request at a time;
    callers that share an instance between threads serialise calls themselves.
    """

    name: str
    family: str

    def load(self) -> None:
        """Load weights now (idempotent). Raises a :class:`~.errors.BackendError`."""

    @property
    def loaded(self) -> bool:
        """Whether :meth:`load` has completed."""

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: TokenCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        """Produce text, streaming each piece through ``on_token``.

        ``config=None`` means ``GenerationConfig()``.

        When ``cancel`` is set the backend stops before the next token and returns what it has
        with ``finish_reason == "cancelled"``.
        """

    def tokenize(self, text: str) -> list[int]:
        """The model's token ids for ``text`` (no BOS added)."""

    def count_tokens(self, text: str) -> int:
        """``len(tokenize(text))``, possibly cheaper."""

    def info(self) -> BackendInfo:
        """Describe the model; loads it if that is needed to answer."""

    def close(self) -> None:
        """Free the model's memory; the backend may be loaded again afterwards."""


class BackendFamily(Protocol):
    """What an ``inkmod.backends`` entry point resolves to (usually a Backend class).

    ``requires`` lists importable module names the family needs, checked with
    :func:`importlib.util.find_spec` (no import) so ``inkmod backends --list`` stays instant;
    ``extra`` is the pip extra that installs them, quoted in the error message.
    """

    family: str
    extra: str | None
    requires: tuple[str, ...]

    def __call__(self, model: str, *, name: str | None = None, **options: Any) -> Backend:
        """Construct (not load) a backend for ``model`` (a path, directory or model id)."""
        ...


class Stopwatch:
    """Tiny helper so every backend measures time the same way (monotonic clock)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


OptionType = type | tuple[type, ...]

OPTION_TYPES: dict[str, OptionType] = {
    "context_length": int,
    "threads": int,
    "gpu_layers": int,
    "seed": int,
    "batch_size": int,
    "top_k": int,
    "max_retries": int,
    "top_p": (int, float),
    "timeout": (int, float),
    "allow_download": bool,
    "use_half_precision": bool,
    "send_top_k": bool,
    "batched_samples": bool,
    "base_url": str,
    "model": str,
    "api_key": str,
    "device": str,
}
"""The declared type of every backend option a family accepts (``-o KEY=VALUE`` values arrive
parsed as JSON: ``threads=4`` is an int, ``threads=abc`` a string)."""


def check_option_types(options: dict[str, Any]) -> None:
    """Reject an option whose value is not of its declared type, in one line that says which."""
    for key, value in options.items():
        expected = OPTION_TYPES.get(key)
        if expected is None:
            continue
        kinds = expected if isinstance(expected, tuple) else (expected,)
        if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
            continue
        if float in kinds:
            word = "a number"
        elif int in kinds:
            word = "an integer"
        elif bool in kinds:
            word = "true or false"
        else:
            word = "a string"
        raise BackendError(f"backend option {key} must be {word}, not {value!r}")


def check_options(family: str, options: dict[str, Any], allowed: Sequence[str]) -> None:
    """Reject unknown options with the valid ones listed (a typo should not be silently
    ignored), and values not of their declared type (:data:`OPTION_TYPES`)."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise BackendError(
            f"unknown option(s) {', '.join(unknown)} for the {family} backend; "
            f"valid: {', '.join(sorted(allowed))}"
        )
    check_option_types(options)


def is_chat_prompt(prompt: Prompt) -> bool:
    """True when ``prompt`` is a message list rather than raw text."""
    return not isinstance(prompt, str)


def messages_as_text(messages: Sequence[ChatMessage]) -> str:
    """A plain-text rendering of a conversation, for models without a chat template.

    Used as a last resort so a chat request to a base model still produces something sensible
    rather than failing.
    """
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    lines.append("Assistant:")
    return "\n\n".join(lines)


class StopMatcher:
    """Applies ``GenerationConfig.stop`` to a token stream.

    Backends that cannot pass stop strings to the runtime (or that stream) need to hold back
    text that might be the start of a stop string, so the caller never sees a partial stop.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self._pending = ""
        self.text = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Add ``piece``; return the text that is now safe to emit."""
        if self.stopped:
            return ""
        self._pending += piece
        for stop in self.stops:
            idx = self._pending.find(stop)
            if idx >= 0:
                out = self._pending[:idx]
                self._pending = ""
                self.stopped = True
                self.text += out
                return out
        hold = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(self._pending)), 0, -1):
                if self._pending.endswith(stop[:k]):
                    hold = max(hold, k)
                    break
        out = self._pending[: len(self._pending) - hold]
        self._pending = self._pending[len(out) :]
        self.text += out
        return out

    def flush(self) -> str:
        """Emit whatever was held back once the stream ends without a stop match."""
        out, self._pending = self._pending, ""
        if self.stopped:
            return ""
        self.text += out
        return out


SampleTokenCallback = Callable[[int, str], None]
"""Streams a piece of text of sample ``index`` (several samples may stream interleaved)."""


@runtime_checkable
class BatchedSampling(Protocol):
    """A backend that can decode several samples of one prompt together (llama.cpp)."""

    def generate_samples(
        self,
        prompt: Prompt,
        configs: Sequence[GenerationConfig],
        *,
        on_token: SampleTokenCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]: ...


def generate_samples(
    backend: Backend,
    prompt: Prompt,
    configs: Sequence[GenerationConfig],
    *,
    on_token: SampleTokenCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[GenerationResult]:
    """One sample per config of the same prompt: together where the backend can, else in turn.

    Why one function: best-of-k callers (the rewrite) need not know which backends batch. A
    batched sample's ``seconds`` runs from the start of the batch to the end of that sample, so
    batched samples' times overlap; a caller that wants the time it waited measures it itself.
    A cancelled sample ends the samples.
    """
    if isinstance(backend, BatchedSampling):
        return backend.generate_samples(prompt, configs, on_token=on_token, cancel=cancel)
    return samples_in_turn(backend, prompt, configs, on_token=on_token, cancel=cancel)


def samples_in_turn(
    backend: Backend,
    prompt: Prompt,
    configs: Sequence[GenerationConfig],
    *,
    on_token: SampleTokenCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[GenerationResult]:
    """One sample per config, one after another (what a backend that cannot batch does)."""
    results: list[GenerationResult] = []
    for index, config in enumerate(configs):
        if cancel is not None and cancel.is_set():
            break
        callback = (lambda piece, i=index: on_token(i, piece)) if on_token else None
        result = backend.generate(prompt, config, on_token=callback, cancel=cancel)
        results.append(result)
        if result.finish_reason == "cancelled":
            break
    return results


class LocalGeneration(abc.ABC):
    """Shared ``generate`` of the in-process backends: load on first use, one request at a time.

    A local model holds one KV cache and one sampler, so concurrent requests on one instance would
    corrupt each other; the reentrant lock serialises them. Subclasses set ``_lock`` and implement
    ``load`` and ``_generate``.
    """

    _lock: threading.RLock

    @abc.abstractmethod
    def load(self) -> None:
        """Load the weights (idempotent)."""

    @abc.abstractmethod
    def _generate(
        self,
        prompt: Prompt,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        cancel: threading.Event | None,
    ) -> GenerationResult:
        """One generation; called with the lock held and the model loaded."""

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: TokenCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        config = config or GenerationConfig()
        self.load()
        with self._lock:
            return self._generate(prompt, config, on_token, cancel)
