"""Test helpers for the training loop: a deterministic student and a real HTTP teacher.

- :class:`FakeStudent` implements the Backend protocol deterministically (formal, un-Maya-like
  prose that varies with the seed), so failure tests spend no minutes on a real model.
- :class:`FakeServer` is a real OpenAI-compatible HTTP server (``http.server`` in a thread): the
  ``openai`` client, its retries, timeouts and error classes all run for real against it. It
  answers teacher requests according to ``mode`` (valid feedback, invalid JSON, scores out of
  range, a slow answer, 401/429/500, or going away after N calls), and streams student
  completions (SSE) so the CLI's ``--backend openai:…`` student can use it too.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from inkmod.backends.base import BackendInfo, GenerationConfig, GenerationResult, Prompt

REPO = Path(__file__).resolve().parents[2]
MAYA = REPO / "examples" / "samples" / "maya"
PROMPTS = [
    "Write a paragraph about the first frost in the garden.",
    "Write a short post about saving seeds from this year's best tomatoes.",
]
SECRET = "sk-test-TOPSECRET0123456789abcdef"

FORMAL = [
    "We must utilize the garden thoroughly before the season concludes.",
    "Furthermore, the endeavour requires diligent preparation of the soil.",
    "Consequently, the harvest shall be documented with considerable precision.",
    "It is imperative that the seeds be preserved in optimal conditions.",
    "The committee will subsequently evaluate the results of this undertaking.",
    "Nevertheless, one must acknowledge the significance of adequate irrigation.",
]


class FakeStudent:
    """A deterministic chat "model": four formal sentences, the last three chosen by the seed."""

    family = "fake"

    def __init__(self) -> None:
        self.name = "fake-student"
        self.calls = 0
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        self._loaded = True

    def generate(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        *,
        on_token: Any = None,
        cancel: threading.Event | None = None,
    ) -> GenerationResult:
        config = config or GenerationConfig()
        self.calls += 1
        # Always the "utilize" sentence first (tests rely on that word), then three by seed.
        start = 1 + (config.seed or 0) % (len(FORMAL) - 1)
        others = [FORMAL[1 + (start + i - 1) % (len(FORMAL) - 1)] for i in range(3)]
        text = " ".join([FORMAL[0], *others])
        words = text.split()[: config.max_tokens]
        return GenerationResult(
            text=" ".join(words),
            prompt_tokens=len(str(prompt).split()),
            completion_tokens=len(words),
            seconds=0.001,
            finish_reason="stop",
        )

    def tokenize(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def info(self) -> BackendInfo:
        return BackendInfo(self.name, self.family, "fake", "none", 2048, None, True)

    def close(self) -> None:
        self._loaded = False


def valid_feedback(request: dict[str, Any]) -> dict[str, Any]:
    """A well-formed teacher answer for the drafts in ``request``."""
    user = request["messages"][1]["content"]
    n = len(re.findall(r"^Draft \d+ \(prompt:", user, flags=re.MULTILINE))
    excerpt = re.search(r"^\[1\] (.+)$", user, flags=re.MULTILINE)
    return {
        "scores": [
            {"id": i, "style_similarity": 0.3, "tone": 0.4, "structure": 0.5}
            for i in range(1, n + 1)
        ],
        "prefer": ["a little bit", "words nobody wrote"],
        "avoid": ["utilize", "the"],
        "sentence_length_target": 12,
        "openers": ["I", "Consequently"],
        "notes": ["Write like you talk to a neighbour over the fence"],
        "weakest_id": 1,
        "improved_version": excerpt.group(1) if excerpt else "",
    }


@dataclass
class FakeServer:
    """A real OpenAI-compatible HTTP server whose teacher behaviour tests choose.

    ``mode``: ``ok``, ``invalid``, ``out_of_range``, ``slow``, ``401``, ``429``, ``500``,
    ``reject_json_schema`` (422 for OpenAI's json_schema format, then ok). ``script``: modes
    for the next teacher requests, consumed first. ``go_away_after``: after this many teacher
    requests the server shuts down (connection refused from then on).
    """

    mode: str = "ok"
    script: list[str] = field(default_factory=list)
    go_away_after: int | None = None
    slow_seconds: float = 3.0
    usage: tuple[int, int] = (1000, 200)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    student_requests: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def teacher_calls(self) -> int:
        return len(self.requests)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def close(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._shutdown()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _gone(self) -> bool:
                """After going away, drop even requests on kept-alive connections."""
                if server._stopped:
                    self.close_connection = True
                    return True
                return False

            def do_GET(self) -> None:
                if self._gone():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200, {"object": "list", "data": [{"id": "fake-teacher", "object": "model"}]}
                    )
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self._gone():
                    return
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                if body.get("stream"):
                    server.student_requests += 1
                    self._stream_student(body)
                    return
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                mode = server.script.pop(0) if server.script else server.mode
                self._teacher(body, mode)
                if (
                    server.go_away_after is not None
                    and server.teacher_calls >= server.go_away_after
                ):
                    self.close_connection = True
                    server.stop()

            def _teacher(self, body: dict[str, Any], mode: str) -> None:
                key = self.headers.get("Authorization", "")
                if mode == "401":
                    # Like OpenAI: the error quotes the key it was given.
                    self._send(
                        401,
                        {
                            "error": {
                                "message": f"Incorrect API key provided: {key}",
                                "type": "invalid_request_error",
                            }
                        },
                    )
                    return
                if mode == "429":
                    self._send(
                        429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "0"}
                    )
                    return
                if mode == "500":
                    self._send(500, {"error": {"message": "the teacher crashed"}})
                    return
                if mode == "reject_json_schema":
                    fmt = body.get("response_format") or {}
                    if fmt.get("type") == "json_schema":
                        self._send(422, {"detail": "response_format.type: json_schema unknown"})
                        return
                if mode == "slow":
                    time.sleep(server.slow_seconds)
                if mode == "invalid":
                    content = "Sure! The drafts are quite good, keep going."
                elif mode == "out_of_range":
                    answer = valid_feedback(body)
                    for score in answer["scores"]:
                        score["style_similarity"] = 7
                    content = json.dumps(answer)
                else:
                    content = json.dumps(valid_feedback(body))
                prompt_tokens, completion_tokens = server.usage
                # The client may have given up already (timeout test).
                with suppress(BrokenPipeError, ConnectionResetError):
                    self._send(
                        200,
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body.get("model", "fake-teacher"),
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content},
                                }
                            ],
                            "usage": {
                                "prompt_tokens": prompt_tokens,
                                "completion_tokens": completion_tokens,
                                "total_tokens": prompt_tokens + completion_tokens,
                            },
                        },
                    )

            def _stream_student(self, body: dict[str, Any]) -> None:
                seed = int(body.get("seed") or 0)
                text = " ".join(FORMAL[(seed + i) % len(FORMAL)] for i in range(4))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [w + " " for w in text.split()][: int(body.get("max_tokens") or 64)]
                for piece in pieces:
                    chunk = {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "fake-student",
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                last = {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "fake-student",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        return Handler


@contextmanager
def fake_server(**options: Any) -> Iterator[FakeServer]:
    server = FakeServer(**options)
    try:
        yield server
    finally:
        server.close()


def all_text_under(folder: Path) -> str:
    """Every readable file under ``folder`` (reports, logs, checkpoints, profiles), joined."""
    parts = []
    for path in folder.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def make_config(
    tmp_path: Path, server: FakeServer | None = None, teacher: bool = True, **options: Any
) -> Any:
    """A small TrainingConfig: Maya's samples, two prompts, short drafts, k = 1."""
    from inkmod.training import TeacherConfig, TrainingConfig

    fields = set(TeacherConfig.__dataclass_fields__)
    teacher_options = {
        key[len("teacher_") :]: options.pop(key)
        for key in list(options)
        if key.startswith("teacher_") and key[len("teacher_") :] in fields
    }
    teacher_config = None
    if teacher:
        teacher_config = TeacherConfig(
            base_url=server.url if server else None,
            **{
                "timeout": 5.0,
                "max_retries": 0,
                "max_tokens": 300,
                "batch_size": 1,
                **teacher_options,
            },
        )
    return TrainingConfig(
        style_folder=MAYA,
        prompts=list(options.pop("prompts", PROMPTS)),
        backend="fake",
        iterations=options.pop("iterations", 2),
        profile=options.pop("profile", "maya"),
        teacher=teacher_config,
        report_dir=tmp_path / "report",
        max_tokens=48,
        max_k=1,
        **options,
    )
