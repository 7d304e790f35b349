"""Any OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, LM Studio, OpenAI itself.

This is how InkMod scales past one machine: run a model server on a GPU box and point InkMod at
it. What leaves this machine is exactly the request: the model name, the prompt or chat messages
(InkMod's style prompt, the exemplar passages from your samples, and the paragraph to rewrite),
and the sampling settings; plus the API key in the ``Authorization`` header. The key is never
logged and is scrubbed from error messages.

Configuration: options ``base_url``/``model``/``api_key``, else the environment
(``INKMOD_OPENAI_BASE_URL``, ``INKMOD_OPENAI_MODEL``, ``OPENAI_API_KEY``). Local servers usually
ignore the key, so a placeholder is used when none is set -- except for api.openai.com, where a
missing key is an error up front.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import urllib.error
import urllib.request
from typing import Any

from .base import (
    BackendInfo,
    GenerationConfig,
    GenerationResult,
    Prompt,
    Stopwatch,
    TokenCallback,
    check_options,
)
from .errors import BackendError, GenerationError, MissingExtraError

log = logging.getLogger(__name__)

OPTIONS = ("base_url", "model", "api_key", "timeout", "max_retries", "send_top_k")
OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "sk-no-key-required"


class OpenAIBackend:
    """A model behind an OpenAI-compatible HTTP API."""

    family = "openai"
    extra: str | None = "openai"
    requires: tuple[str, ...] = ("openai",)

    def __init__(self, model: str = "", *, name: str | None = None, **options: Any) -> None:
        check_options(self.family, options, OPTIONS)
        self.model = str(options.get("model") or model or os.environ.get("INKMOD_OPENAI_MODEL", ""))
        if not self.model:
            raise BackendError(
                "no model name for the openai backend; use openai:MODEL or set INKMOD_OPENAI_MODEL"
            )
        self.base_url = str(
            options.get("base_url") or os.environ.get("INKMOD_OPENAI_BASE_URL") or OPENAI_URL
        ).rstrip("/")
        key = options.get("api_key") or os.environ.get("OPENAI_API_KEY")
        if not key and self.base_url == OPENAI_URL:
            raise BackendError(
                "the OpenAI API needs a key: set OPENAI_API_KEY (or INKMOD_OPENAI_BASE_URL for a "
                "local server)"
            )
        self._api_key = str(key or PLACEHOLDER_KEY)
        self.timeout = float(options.get("timeout", 60.0))
        self.max_retries = int(options.get("max_retries", 1))
        # top_k is not part of the OpenAI API; vLLM and llama.cpp accept it as an extra field.
        self.send_top_k = bool(options.get("send_top_k", self.base_url != OPENAI_URL))
        self.name = name or f"openai:{self.model}"
        self._client: Any = None
        self._load_seconds: float | None = None
        self._tokenize_path: str | None = None
        self._tokenize_unsupported = False

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._client is not None

    def load(self) -> None:
        """Create the client and check the server answers (``GET /models``)."""
        if self._client is not None:
            return
        try:
            import openai
        except ImportError as exc:
            raise MissingExtraError(self.family, "openai", "openai") from exc
        clock = Stopwatch()
        client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        log.info("using OpenAI-compatible server %s, model %s", self.base_url, self.model)
        try:
            client.models.list()
        except Exception as exc:
            raise self._translate(exc) from exc
        self._client = client
        self._load_seconds = clock.elapsed

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- errors ------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _translate(self, exc: Exception) -> BackendError:
        """One actionable line per failure class; the key never appears in it."""
        import openai

        where = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            msg = f"the server at {where} did not answer within {self.timeout:g}s (timeout option)"
        elif isinstance(exc, openai.APIConnectionError):
            msg = (
                f"cannot connect to the OpenAI-compatible server at {where} (connection refused "
                "or unreachable); start it or set INKMOD_OPENAI_BASE_URL"
            )
        elif isinstance(exc, openai.AuthenticationError):
            msg = f"the server at {where} rejected the API key (401); check OPENAI_API_KEY"
        elif isinstance(exc, openai.PermissionDeniedError):
            msg = f"the server at {where} refused access (403); check the key's permissions"
        elif isinstance(exc, openai.NotFoundError):
            msg = f"model {self.model!r} or endpoint not found at {where} (404); check the name"
        elif isinstance(exc, openai.RateLimitError):
            msg = f"rate limited by {where} (429); wait and retry, or lower concurrency"
        elif isinstance(exc, openai.InternalServerError):
            msg = f"the server at {where} failed ({exc.status_code}): {_first_line(exc)}"
        elif isinstance(exc, openai.APIStatusError):
            msg = (
                f"the server at {where} rejected the request ({exc.status_code}): "
                f"{_first_line(exc)}"
            )
        else:
            msg = f"request to {where} failed: {type(exc).__name__}: {_first_line(exc)}"
        return GenerationError(self._scrub(msg))

    # -- generation --------------------------------------------------------------------------

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
        clock = Stopwatch()
        common: dict[str, Any] = {
            "model": self.model,
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "stream": True,
        }
        if config.stop:
            common["stop"] = list(config.stop)
        if config.seed is not None:
            common["seed"] = config.seed
        if self.send_top_k:
            common["extra_body"] = {"top_k": config.top_k}
        chat = not isinstance(prompt, str)
        pieces: list[str] = []
        finish = "stop"
        chunks = 0
        usage: Any = None
        try:
            if isinstance(prompt, str):
                stream = self._client.completions.create(prompt=prompt, **common)
            else:
                stream = self._client.chat.completions.create(
                    messages=[dict(m) for m in prompt], **common
                )
            try:
                for chunk in stream:
                    if getattr(chunk, "usage", None):
                        usage = chunk.usage
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    piece = (choice.delta.content if chat else choice.text) or ""
                    if piece:
                        chunks += 1
                        pieces.append(piece)
                        if on_token is not None:
                            on_token(piece)
                    if choice.finish_reason:
                        finish = "length" if choice.finish_reason == "length" else "stop"
                    if cancel is not None and cancel.is_set():
                        finish = "cancelled"
                        break
            finally:
                stream.close()  # closing the response tells the server to stop generating
        except BackendError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        text = "".join(pieces)
        if usage is not None:
            prompt_tokens, completion_tokens = usage.prompt_tokens, usage.completion_tokens
        else:
            # Servers that send no usage while streaming: count what we can.
            prompt_tokens = self._count_prompt(prompt)
            completion_tokens = chunks
        return GenerationResult(
            text=text,
            prompt_tokens=int(prompt_tokens or 0),
            completion_tokens=int(completion_tokens or 0),
            seconds=clock.elapsed,
            finish_reason=finish,  # type: ignore[arg-type]
        )

    def _count_prompt(self, prompt: Prompt) -> int:
        if isinstance(prompt, str):
            return self.count_tokens(prompt)
        return sum(self.count_tokens(m["content"]) for m in prompt)

    # -- tokens and info ---------------------------------------------------------------------

    def _server_root(self) -> str:
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url

    def tokenize(self, text: str) -> list[int]:
        """Token ids from the server's non-standard tokenize endpoint.

        llama-cpp-python serves ``/extras/tokenize``, llama.cpp's server and vLLM ``/tokenize``;
        the OpenAI API has none, which raises :class:`BackendError`.
        """
        self.load()
        candidates = [
            ("/extras/tokenize", {"input": text, "model": self.model}),
            ("/tokenize", {"content": text, "model": self.model, "prompt": text}),
        ]
        if self._tokenize_path:
            candidates = [c for c in candidates if c[0] == self._tokenize_path]
        if not self._tokenize_unsupported:
            for path, body in candidates:
                tokens = self._post_json(path, body)
                if isinstance(tokens, dict) and isinstance(tokens.get("tokens"), list):
                    self._tokenize_path = path
                    return [int(t) for t in tokens["tokens"]]
            self._tokenize_unsupported = True
        raise BackendError(f"the server at {self.base_url} offers no tokenize endpoint")

    def _post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST to a non-OpenAI endpoint with the stdlib (None on an HTTP error status)."""
        request = urllib.request.Request(
            self._server_root() + path,
            data=json.dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self._api_key}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError:
            return None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GenerationError(
                self._scrub(f"tokenize request to {self.base_url} failed: {exc}")
            ) from exc

    def count_tokens(self, text: str) -> int:
        """Exact when the server can tokenize, else an estimate of 4 characters per token."""
        try:
            return len(self.tokenize(text))
        except BackendError:
            return math.ceil(len(text) / 4)

    def info(self) -> BackendInfo:
        return BackendInfo(
            name=self.name,
            family=self.family,
            model=self.model,
            file_format="remote",
            context_length=None,
            n_params=None,
            is_chat=True,
            options={
                "base_url": self.base_url,
                "model": self.model,
                "api_key": "set" if self._api_key != PLACEHOLDER_KEY else "placeholder",
                "timeout": self.timeout,
                "max_retries": self.max_retries,
                "send_top_k": self.send_top_k,
            },
            load_seconds=self._load_seconds,
        )


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return str(message).strip().splitlines()[0][:300] if message else type(exc).__name__
