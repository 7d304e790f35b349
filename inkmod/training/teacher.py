"""The teacher: any OpenAI-compatible endpoint that critiques the local model's drafts.

What is sent (and nothing else): the writer's style figures, a few excerpts from their samples
(the same ones every call, so providers' prompt caching applies), the test prompts, and the
local model's drafts. The API key travels only in the ``Authorization`` header; it is never
logged, stored or printed, and anything the server echoes back is scrubbed.

Why ask for JSON the way we do: servers differ. OpenAI takes
``{"type": "json_schema", ...}``; llama.cpp's server takes ``{"type": "json_object", "schema": …}``
and enforces it with a grammar (so even a 135M model answers in valid JSON); others know only
``json_object`` or nothing. In ``auto`` mode the teacher starts with the most precise form and
steps down whenever the server rejects the request format (HTTP 400/422), remembering what
worked. An answer that still does not validate is retried ``parse_retries`` times with the
error quoted back, then that batch is skipped; it is never guessed at.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from inkmod.generation.prompt import distinct_phrases, style_summary
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import words_of
from inkmod.training.costs import Budget, Usage, estimate_tokens
from inkmod.training.feedback import (
    RETRY_TEXT,
    TEACHER_TASK,
    Feedback,
    FeedbackError,
    feedback_schema,
    improved_chars_for,
    parse_feedback,
)
from inkmod.training.secrets import register_secret, scrub

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
BASE_URL_ENV = "INKMOD_TEACHER_BASE_URL"
PLACEHOLDER_KEY = "sk-no-key-required"
JsonMode = Literal["auto", "json_schema", "json_object_schema", "json_object", "prompt"]
LADDER: tuple[JsonMode, ...] = ("json_schema", "json_object_schema", "json_object", "prompt")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

SYSTEM_PROMPT = (
    "You are an exacting writing coach. You compare drafts with a writer's own style and answer "
    "with one JSON object only, no prose around it."
)


class TeacherError(Exception):
    """The teacher cannot be used right now; ``kind`` says why, the message what to do.

    Kinds: ``auth`` (401/403), ``rate_limit`` (429), ``server`` (5xx), ``timeout``,
    ``connection``, ``request`` (other 4xx), ``config``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(scrub(message))
        self.kind = kind


@dataclass
class TeacherConfig:
    """Where the teacher is and how to talk to it. The API key is read from the environment."""

    model: str | None = None
    """Model id; default ``gpt-4o-mini`` on OpenAI, else the server's first model."""
    base_url: str | None = None
    """Default: ``$INKMOD_TEACHER_BASE_URL``, else OpenAI."""
    timeout: float = 60.0
    """Seconds per HTTP request."""
    max_retries: int = 2
    """Retries of 429/5xx/timeouts inside the client (exponential backoff, honours Retry-After)."""
    max_tokens: int = 1024
    """Upper bound of one answer; also what the budget check assumes an answer costs."""
    json_mode: JsonMode = "auto"
    parse_retries: int = 1
    """Extra attempts when an answer does not validate (each attempt is billed)."""
    excerpt_words: int = 250
    """Words of the writer's samples sent as the style reference."""
    batch_size: int = 4
    """Drafts judged per call: fewer calls vs. a smaller context for small teachers."""
    temperature: float = 0.2
    seed: int | None = 0
    """Sent where supported, so a local teacher's answers are repeatable."""

    def resolved_base_url(self) -> str:
        return (self.base_url or os.environ.get(BASE_URL_ENV) or OPENAI_URL).rstrip("/")

    def is_local(self) -> bool:
        """True when the teacher runs on this machine (nothing leaves it)."""
        return (urlparse(self.resolved_base_url()).hostname or "") in LOCAL_HOSTS

    def to_dict(self) -> dict[str, Any]:
        """For reports and checkpoints: no key, by construction (the config holds none)."""
        return {
            "model": self.model,
            "base_url": self.resolved_base_url(),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
            "parse_retries": self.parse_retries,
            "excerpt_words": self.excerpt_words,
            "batch_size": self.batch_size,
        }


@dataclass(frozen=True)
class Draft:
    """One local output to be judged, with the prompt it answers."""

    prompt: str
    text: str


@dataclass
class TeacherReply:
    """The outcome of judging one batch: feedback (or why there is none) and what it cost."""

    feedback: Feedback | None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    usage_estimated: bool = False
    json_mode: str = ""


def writer_excerpts(profile: StyleProfile, max_words: int) -> list[str]:
    """Paragraphs of the writer's own, one per document in turn, up to ``max_words``.

    Deterministic, so every call starts with the same bytes (cheaper with prompt caching).
    """
    by_doc: dict[str, list[str]] = {}
    for doc_id, text in profile.exemplars():
        by_doc.setdefault(doc_id, []).append(text)
    chosen: list[str] = []
    used = 0
    depth = 0
    while any(len(v) > depth for v in by_doc.values()):
        for texts in by_doc.values():
            if depth < len(texts):
                size = len(words_of(texts[depth]))
                if used + size > max_words and chosen:
                    return chosen
                chosen.append(texts[depth])
                used += size
        depth += 1
    return chosen


def build_messages(
    profile: StyleProfile, drafts: Sequence[Draft], excerpts: Sequence[str], include_schema: bool
) -> list[dict[str, str]]:
    """The chat request: a stable prefix (writer reference), then the drafts and the task."""
    s = style_summary(profile)
    phrases = ", ".join(f'"{p}"' for p in distinct_phrases(s["common_phrases"])[:6]) or "none"
    reference = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(excerpts, start=1))
    drafts_text = "\n\n".join(
        f"Draft {i} (prompt: {d.prompt})\n{d.text}" for i, d in enumerate(drafts, start=1)
    )
    task = TEACHER_TASK
    if include_schema:
        task += "\n\nJSON schema of the answer:\n" + json.dumps(feedback_schema(len(drafts)))
    user = (
        f"THE WRITER\nAverage sentence length: {s['avg_sentence_length']:.0f} words. "
        f"Tone: {s['tone']}. Common phrases: {phrases}.\n\n"
        f"Excerpts from the writer's samples:\n\n{reference}\n\n"
        f"DRAFTS (written by a small model imitating the writer)\n\n{drafts_text}\n\n"
        f"TASK\n{task}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def response_format(mode: JsonMode, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": "style_feedback", "schema": schema, "strict": False},
        }
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


class Teacher:
    """A client for one teacher endpoint. Construct cheaply; :meth:`connect` before judging."""

    def __init__(self, config: TeacherConfig) -> None:
        self.config = config
        self.base_url = config.resolved_base_url()
        key = os.environ.get("OPENAI_API_KEY")
        # Checked in connect(), not here: --dry-run must work before a key is set up.
        self._missing_key = not key and self.base_url == OPENAI_URL
        self._api_key = key or PLACEHOLDER_KEY
        register_secret(self._api_key if key else None)
        self.model = config.model or (DEFAULT_OPENAI_MODEL if self.base_url == OPENAI_URL else "")
        self._modes: list[JsonMode] = (
            list(LADDER) if config.json_mode == "auto" else [config.json_mode]
        )
        self._client: Any = None
        self._proven = config.json_mode != "auto"

    def __repr__(self) -> str:  # never show the key
        return f"Teacher(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def json_mode(self) -> JsonMode:
        return self._modes[0]

    # -- connection --------------------------------------------------------------------------

    def connect(self) -> None:
        """Create the client; without a model name, ask the server which models it serves."""
        if self._client is not None:
            return
        if self._missing_key:
            raise TeacherError(
                "config",
                "the OpenAI teacher needs OPENAI_API_KEY; or point --teacher-base-url / "
                f"{BASE_URL_ENV} at another OpenAI-compatible server; or use --teacher none",
            )
        try:
            import openai
        except ImportError:
            raise TeacherError(
                "config", "the teacher needs the openai package: pip install 'inkmod[teacher]'"
            ) from None
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=self.config.timeout,
            max_retries=self.config.max_retries,
        )
        if not self.model:
            try:
                models = self._client.models.list()
                self.model = next(iter(m.id for m in models), "")
            except Exception as exc:
                raise self._translate(exc) from None
            if not self.model:
                raise TeacherError(
                    "config", f"the server at {self.base_url} lists no models; use --teacher-model"
                )
        log.info("teacher: model %s at %s", self.model, self.base_url)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- requests ----------------------------------------------------------------------------

    def request_body(self, messages: list[dict[str, str]], n_drafts: int) -> dict[str, Any]:
        """The JSON body of one call, exactly as it would be sent (for ``--dry-run`` too)."""
        schema = feedback_schema(n_drafts, improved_chars_for(n_drafts, self.config.max_tokens))
        body: dict[str, Any] = {
            "model": self.model or "(first model the server lists)",
            "messages": messages,
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
        }
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        fmt = response_format(self.json_mode, schema)
        if fmt is not None:
            body["response_format"] = fmt
        return body

    def describe(self, messages: list[dict[str, str]], n_drafts: int) -> dict[str, Any]:
        """What ``--dry-run`` prints: endpoint, headers (key masked) and the body."""
        return {
            "method": "POST",
            "url": f"{self.base_url}/chat/completions",
            "headers": {"Authorization": "Bearer ***", "Content-Type": "application/json"},
            "json": self.request_body(messages, n_drafts),
        }

    def critique(
        self,
        profile: StyleProfile,
        drafts: Sequence[Draft],
        excerpts: Sequence[str],
        *,
        offset: int = 0,
        budget: Budget | None = None,
    ) -> TeacherReply:
        """Judge ``drafts`` (global indices start at ``offset``).

        Raises :class:`TeacherError` when the teacher is unusable (the loop stops, resumable)
        and :class:`~inkmod.training.costs.BudgetExceededError` before a call that might not
        fit the budget. An answer that never validates gives ``feedback=None`` (batch skipped).
        """
        self.connect()
        reply = TeacherReply(feedback=None)
        messages = build_messages(profile, drafts, excerpts, include_schema=False)
        attempts_left = 1 + max(0, self.config.parse_retries)
        while attempts_left > 0:
            mode = self.json_mode
            if mode == "prompt" and not any("JSON schema" in m["content"] for m in messages):
                messages = build_messages(profile, drafts, excerpts, include_schema=True)
            body = self.request_body(messages, len(drafts))
            prompt_text = "".join(m["content"] for m in messages)
            if budget is not None:
                budget.check(prompt_text, self.config.max_tokens)
            try:
                response = self._send(body)
            except _FormatRejectedError:
                self._modes.pop(0)
                log.info("teacher rejected response_format %s; trying %s", mode, self.json_mode)
                continue
            reply.attempts += 1
            reply.json_mode = mode
            attempts_left -= 1
            text, prompt_tokens, completion_tokens, estimated = _read(response, prompt_text)
            reply.usage.add(prompt_tokens, completion_tokens)
            reply.usage_estimated = reply.usage_estimated or estimated
            if budget is not None:
                reply.cost_usd += budget.charge(prompt_tokens, completion_tokens)
            try:
                reply.feedback = parse_feedback(text, len(drafts), offset)
                return reply
            except FeedbackError as exc:
                reply.errors.append(scrub(str(exc)))
                log.warning("teacher answer rejected: %s", scrub(str(exc)))
                messages = [
                    *messages[:2],
                    {"role": "assistant", "content": text[:400]},
                    {"role": "user", "content": RETRY_TEXT.format(error=exc)},
                ]
        return reply

    def _send(self, body: dict[str, Any]) -> Any:
        """One request. While the JSON mode is unproven, the first try is made without the
        client's retries: a server that rejects the format (400/422, or llama-cpp-python's 500
        naming ``response_format``) must not be asked three times with backoff."""
        import openai

        if self._proven or "response_format" not in body or len(self._modes) == 1:
            return self._create(self._client, body)
        retries = self.config.max_retries
        try:
            response = self._client.with_options(max_retries=0).chat.completions.create(**body)
        except openai.APIStatusError as exc:
            text = f"{exc} {getattr(exc, 'body', '')}"
            if exc.status_code in (400, 422) or "response_format" in text:
                raise _FormatRejectedError from None
            retryable = exc.status_code in (408, 409, 429) or exc.status_code >= 500
            if not (retryable and retries > 0):
                raise self._translate(exc) from None
            time.sleep(_retry_delay(exc))
            response = self._create(self._client.with_options(max_retries=retries - 1), body)
        except openai.APIConnectionError as exc:  # includes timeouts
            if retries <= 0:
                raise self._translate(exc) from None
            time.sleep(0.5)
            response = self._create(self._client.with_options(max_retries=retries - 1), body)
        except Exception as exc:
            raise self._translate(exc) from None
        self._proven = True
        return response

    def _create(self, client: Any, body: dict[str, Any]) -> Any:
        try:
            return client.chat.completions.create(**body)
        except Exception as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> TeacherError:
        """One actionable line per failure class; the key never appears in it."""
        import openai

        where = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return TeacherError(
                "timeout",
                f"the teacher at {where} did not answer within {self.config.timeout:g}s "
                f"(after {self.config.max_retries} retries); raise --teacher-timeout",
            )
        if isinstance(exc, openai.APIConnectionError):
            return TeacherError(
                "connection",
                f"cannot reach the teacher at {where} (refused or unreachable); "
                f"check --teacher-base-url / {BASE_URL_ENV}",
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return TeacherError(
                "auth",
                f"the teacher at {where} rejected the API key ({exc.status_code}): "
                f"{_first_line(exc)}; check OPENAI_API_KEY",
            )
        if isinstance(exc, openai.RateLimitError):
            return TeacherError(
                "rate_limit",
                f"the teacher at {where} is rate limiting (429) after "
                f"{self.config.max_retries} retries; wait, then run again with --resume",
            )
        if isinstance(exc, openai.APIStatusError):
            kind = "server" if exc.status_code >= 500 else "request"
            return TeacherError(
                kind, f"the teacher at {where} failed ({exc.status_code}): {_first_line(exc)}"
            )
        return TeacherError(
            "request", f"request to the teacher at {where} failed: {type(exc).__name__}: {exc}"
        )


class _FormatRejectedError(Exception):
    """The server refused our response_format; the next mode of the ladder is tried."""


def _read(response: Any, prompt_text: str) -> tuple[str, int, int, bool]:
    """Answer text and token usage; usage is estimated (and flagged) when the server sends none."""
    choices = getattr(response, "choices", None) or []
    text = ""
    if choices:
        text = getattr(choices[0].message, "content", None) or ""
    usage = getattr(response, "usage", None)
    if usage is not None and getattr(usage, "prompt_tokens", None) is not None:
        return text, int(usage.prompt_tokens), int(usage.completion_tokens or 0), False
    return text, estimate_tokens(prompt_text), estimate_tokens(text), True


def _retry_delay(exc: Exception) -> float:
    """The server's Retry-After (seconds) when it sent one, else half a second; at most 10."""
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, min(10.0, float(value))) if value is not None else 0.5
    except ValueError:
        return 0.5


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    line = str(message).strip().splitlines()[0][:300] if message else type(exc).__name__
    return scrub(line)
