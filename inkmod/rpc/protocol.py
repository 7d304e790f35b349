"""The daemon's wire contract: names, shapes, error codes and the protocol version.

This module is the one place both ends of the socket agree on, so it imports nothing but the
standard library: the language server, the CLI and third-party editor plugins can read it without
pulling in the style engine, watchdog or a model runtime (the esbonio habit of keeping shared
types light).

Framing is msgpack-RPC exactly as Neovim speaks it::

    request       [0, msgid, method, params]
    response      [1, msgid, error, result]      error is None or [code, message]
    notification  [2, method, params]

``params`` is always a single map (never a positional array): named fields let the protocol grow
without breaking old clients. Responses may arrive in any order; the msgid pairs them up.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypedDict

PROTOCOL_VERSION: int = 1
"""Bumped on any incompatible change. A client that sees a different value in ``hello`` tells the
daemon to ``shutdown`` and starts a fresh one instead of speaking to it (dmypy/gopls habit).
Read it as ``protocol.PROTOCOL_VERSION`` at call time, not by ``from  import``: tests fake an
old daemon by changing this attribute inside the daemon process."""

SERVER_NAME: Final = "inkmod-daemon"

MAX_MESSAGE_BYTES: Final = 8 * 1024 * 1024
"""Upper bound for one encoded message in either direction. A 10k-word document is about 60 KB;
8 MiB leaves room for whole books while keeping one bad client from exhausting memory."""

# -- message type codes -----------------------------------------------------------------------

REQUEST: Final = 0
RESPONSE: Final = 1
NOTIFICATION: Final = 2

# -- methods (client -> daemon) -----------------------------------------------------------------

HELLO: Final = "hello"
STATUS: Final = "status"
ANALYZE: Final = "analyze"
REWRITE: Final = "rewrite"
TRAIN: Final = "train"
PROFILE_GET: Final = "profile.get"
PROFILE_RELOAD: Final = "profile.reload"
CANCEL: Final = "cancel"
SHUTDOWN: Final = "shutdown"
SUBSCRIBE: Final = "subscribe"

METHODS: Final = (
    HELLO,
    STATUS,
    ANALYZE,
    REWRITE,
    TRAIN,
    PROFILE_GET,
    PROFILE_RELOAD,
    CANCEL,
    SHUTDOWN,
    SUBSCRIBE,
)

STABLE_METHODS: Final = (HELLO, SHUTDOWN)
"""Methods whose shape never changes between protocol versions, so a client can still ask an
incompatible daemon who it is and tell it to go away."""

# -- notifications (daemon -> client) -----------------------------------------------------------

REWRITE_TOKEN: Final = "rewrite.token"
REWRITE_CANDIDATE: Final = "rewrite.candidate"
TRAIN_PROGRESS: Final = "train.progress"
PROFILE_CHANGED: Final = "profile.changed"
LOG: Final = "log"

NOTIFICATIONS: Final = (REWRITE_TOKEN, REWRITE_CANDIDATE, TRAIN_PROGRESS, PROFILE_CHANGED, LOG)

# Topics for ``subscribe``. Per-request notifications (tokens, candidates, progress) go to the
# requesting connection without a subscription; these broadcast ones need one.
TOPIC_PROFILE: Final = "profile"
TOPIC_LOG: Final = "log"
TOPICS: Final = (TOPIC_PROFILE, TOPIC_LOG)

# -- error codes ----------------------------------------------------------------------------------
# JSON-RPC's reserved range where the meaning is the same, so the numbers look familiar to anyone
# who has read an LSP trace; InkMod-specific failures below -32000.

PARSE_ERROR: Final = -32700
"""Bytes that are not msgpack. The stream cannot be resynchronised, so the connection closes."""
INVALID_REQUEST: Final = -32600
"""Valid msgpack that is not a well-formed message."""
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
"""A bug in a handler. The daemon logs the traceback and keeps running."""
REQUEST_CANCELLED: Final = -32800
"""The request was cancelled (``cancel``, a timeout on the client, or its client went away)."""
MESSAGE_TOO_LARGE: Final = -32001
"""A frame exceeded :data:`MAX_MESSAGE_BYTES`; the connection is closed after this reply."""
BACKEND_ERROR: Final = -32002
"""The model could not be loaded or failed while generating; the message says what to do."""
PROFILE_NOT_FOUND: Final = -32003
"""No profile file and no usable samples folder to train one from."""
PROFILE_UNUSABLE: Final = -32004
"""The profile file exists but cannot be used (corrupt, or from a newer InkMod); retrain it."""
SAMPLES_UNAVAILABLE: Final = -32005
SHUTTING_DOWN: Final = -32006

ERROR_NAMES: Final[dict[int, str]] = {
    PARSE_ERROR: "parse error",
    INVALID_REQUEST: "invalid request",
    METHOD_NOT_FOUND: "method not found",
    INVALID_PARAMS: "invalid params",
    INTERNAL_ERROR: "internal error",
    REQUEST_CANCELLED: "request cancelled",
    MESSAGE_TOO_LARGE: "message too large",
    BACKEND_ERROR: "backend error",
    PROFILE_NOT_FOUND: "profile not found",
    PROFILE_UNUSABLE: "profile unusable",
    SAMPLES_UNAVAILABLE: "samples folder unavailable",
    SHUTTING_DOWN: "daemon shutting down",
}

# -- parameter and result shapes ----------------------------------------------------------------
# TypedDicts document the maps on the wire; ``total=False`` marks optional keys.


class HelloParams(TypedDict, total=False):
    client: str
    """Free-form client name for the log, e.g. ``inkmod-lsp 0.1.0``."""
    version: str
    protocol: int


class HelloResult(TypedDict):
    server: str
    version: str
    """The daemon's ``inkmod.__version__``."""
    protocol: int
    pid: int
    profile: str
    compatible: bool
    """Whether the daemon speaks the protocol the client announced."""
    backend: str
    samples_dir: str | None


class AnalyzeParams(TypedDict, total=False):
    text: str
    """A whole document; ranges in the result are relative to it."""
    paragraphs: list[str]
    """Alternatively, separate texts; each report carries ``index`` into this list."""
    fmt: str
    """``markdown`` (default), ``text``, ``rst`` ... as the style engine understands it."""
    threshold: float
    """Override the profile's calibrated drift threshold."""
    ignored: list[str]
    """Paragraph hashes (``hash`` of a report) the writer asked to ignore: no score."""


class AnalyzeResult(TypedDict):
    profile: str
    revision: int
    """Increments on every profile change; lets a client drop results computed on stale data."""
    reports: list[dict[str, Any]]
    """``ParagraphReport.to_dict()``: start/end ``{line, character}``, words, score, drifting,
    reasons ..."""
    seconds: float


class RewriteParams(TypedDict, total=False):
    text: str
    k: int
    """Best-of-k candidates per paragraph (default 1, at most 16)."""
    fmt: str
    """Markup of ``text`` (default ``plaintext``); non-prose blocks are kept byte for byte."""
    only_drifting: bool
    """Rewrite only paragraphs whose drift is above ``threshold``."""
    threshold: float
    stream: bool
    """Send ``rewrite.token`` notifications (default True)."""


class CancelParams(TypedDict):
    id: int
    """The msgid of a request sent earlier on the same connection."""


class TeacherParams(TypedDict, total=False):
    model: str
    base_url: str


class TrainParams(TypedDict, total=False):
    samples: str
    """Folder to (re)build the profile from; defaults to the profile's own samples folder."""
    iterations: int
    """Teacher-loop iterations after the rebuild (``train-enhanced``); 0 or absent: none."""
    prompts: list[str]
    """Test prompts for the loop (required when ``iterations`` > 0)."""
    teacher: TeacherParams | None
    """OpenAI-compatible teacher; nil: the drift score is the critic. The key comes from the
    daemon's environment (``OPENAI_API_KEY``), never from the request."""
    budget_usd: float
    resume: bool


class SubscribeParams(TypedDict, total=False):
    topics: list[str]
    """Any of :data:`TOPICS`; replaces the connection's previous subscription."""


class TokenNotification(TypedDict):
    id: int
    """msgid of the ``rewrite`` request."""
    paragraph: int
    """Position among the paragraphs rewritten so far (0-based)."""
    candidate: int
    """Candidate number within that paragraph (best-of-k)."""
    text: str


class CandidateNotification(TypedDict, total=False):
    """A finished candidate: ``Candidate.to_dict()`` plus where it belongs."""

    id: int
    paragraph: int
    index: int
    text: str
    drift: float | None
    preservation: float
    rank_score: float
    tokens: int
    seconds: float
    finish_reason: str


class TrainProgressNotification(TypedDict):
    id: int
    done: int
    total: int
    file: str


ProfileEvent = Literal[
    "updated",
    "recalibrated",
    "reloaded",
    "trained",
    "samples_missing",
    "samples_restored",
]
"""``updated``: documents changed (statistics live at once); ``recalibrated``: the drift
calibration caught up a moment later (scores shift slightly again); ``reloaded``/``trained``: a
whole new profile; ``samples_missing``/``samples_restored``: the folder itself."""


class ProfileChangedNotification(TypedDict, total=False):
    profile: str
    revision: int
    event: ProfileEvent
    changed: list[str]
    """Document ids (paths relative to the samples folder) added or replaced."""
    removed: list[str]
    skipped: list[dict[str, str]]
    """``{"path", "reason"}`` for files the engine refused (binary, too large ...)."""
    documents: int
    samples_dir: str | None
    samples_status: str
    """``ok``, ``missing`` or ``none`` (the profile has no samples folder)."""


class LogNotification(TypedDict):
    level: str
    logger: str
    message: str


def error_object(code: int, message: str) -> list[Any]:
    """The ``error`` slot of a response: ``[code, message]`` (Neovim's two-element shape)."""
    return [code, message]
