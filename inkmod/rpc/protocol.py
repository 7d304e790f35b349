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

Every map on the wire has a dataclass here with ``to_wire()`` and ``from_wire()``; ``from_wire``
checks every field's type (and a few ranges) and raises :class:`ProtocolError`, which the daemon
answers with ``INVALID_PARAMS``. Unknown keys are ignored, so a newer peer may add fields.
Version 2 (this one): ``analyze`` takes the blocks the client extracted (``{hash, text, kind}``)
instead of bare paragraph texts, and ``rewrite`` returns the daemon's verdict per block (the
client applies ``text`` iff ``changed``) instead of candidates for the client to choose from.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar, Union, get_args, get_origin

PROTOCOL_VERSION: int = 3
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
TUNE: Final = "tune"

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
    TUNE,
)

STABLE_METHODS: Final = (HELLO, SHUTDOWN)
"""Methods whose shape never changes between protocol versions, so a client can still ask an
incompatible daemon who it is and tell it to go away."""

# -- notifications (daemon -> client) -----------------------------------------------------------

REWRITE_TOKEN: Final = "rewrite.token"
REWRITE_CANDIDATE: Final = "rewrite.candidate"
TRAIN_PROGRESS: Final = "train.progress"
TUNE_PROGRESS: Final = "tune.progress"
PROFILE_CHANGED: Final = "profile.changed"
LOG: Final = "log"

NOTIFICATIONS: Final = (
    REWRITE_TOKEN,
    REWRITE_CANDIDATE,
    TRAIN_PROGRESS,
    TUNE_PROGRESS,
    PROFILE_CHANGED,
    LOG,
)

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

# -- typed messages ---------------------------------------------------------------------------


class ProtocolError(ValueError):
    """A map on the wire does not have the shape its message type needs (INVALID_PARAMS)."""


M = TypeVar("M", bound="Message")

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    return found


def _encode(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_wire()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin is list:
        return f"a list of {_describe(get_args(tp)[0])}"
    if origin is dict:
        return "a map"
    if tp is type(None):
        return "nil"
    if isinstance(tp, type) and issubclass(tp, Message):
        return "a map"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        tp, str(tp)
    )


def _decode(value: Any, tp: Any, path: str) -> Any:
    """``value`` checked (and converted, for nested messages) against the annotation ``tp``."""
    if tp is Any:
        return value
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        concrete = [o for o in options if o is not type(None)]
        if value is not None and len(concrete) == 1:
            return _decode(value, concrete[0], path)  # its own error says what is wrong
        if value is None:
            if type(None) in options:
                return None
        else:
            for option in options:
                if option is type(None):
                    continue
                try:
                    return _decode(value, option, path)
                except ProtocolError:
                    continue
        raise ProtocolError(f"{path!r} must be {_describe(tp)}")
    if origin is Literal:
        if value in get_args(tp):
            return value
    elif origin is list:
        if isinstance(value, (list, tuple)):
            (item,) = get_args(tp)
            return [_decode(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            key_type, item = get_args(tp)
            out = {}
            for k, v in value.items():
                if key_type is str and not isinstance(k, str):
                    raise ProtocolError(f"{path!r} must have string keys")
                out[k] = _decode(v, item, f"{path}.{k}")
            return out
    elif isinstance(tp, type) and issubclass(tp, Message):
        return tp.from_wire(value, path)
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    else:  # pragma: no cover - a type this module does not use
        raise TypeError(f"no wire decoding for {tp!r}")
    raise ProtocolError(f"{path!r} must be {_describe(tp)}")


class Message:
    """Base of the wire dataclasses: ``to_wire()`` gives the msgpack map, ``from_wire()`` checks
    and parses one (raising :class:`ProtocolError`)."""

    def to_wire(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_wire(cls: type[M], data: Any, path: str = "") -> M:
        if not isinstance(data, dict):
            raise ProtocolError(f"{path or cls.__name__!r} must be a map")
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            key = f"{path}.{f.name}" if path else f.name
            if f.name in data:
                values[f.name] = _decode(data[f.name], hints[f.name], key)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ProtocolError(f"{key!r} is required")
        message = cls(**values)
        message.check()
        return message

    def check(self) -> None:
        """Constraints beyond types; raise :class:`ProtocolError`."""


# -- hello, status, cancel, subscribe, shutdown


@dataclass
class HelloParams(Message):
    client: str | None = None
    """Free-form client name for the log, e.g. ``inkmod-lsp 0.1.0``."""
    version: str | None = None
    protocol: int | None = None


@dataclass
class HelloResult(Message):
    server: str
    version: str
    """The daemon's ``inkmod.__version__``."""
    protocol: int
    pid: int
    profile: str
    compatible: bool
    """Whether the daemon speaks the protocol the client announced."""
    backend: str
    samples_dir: str | None = None


@dataclass
class BackendStatus(Message):
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    loaded: bool = False
    error: str | None = None
    load_seconds: float | None = None


@dataclass
class AdapterStatus(Message):
    """The personal adapter of the profile, as the daemon sees it (``status`` and ``tune``)."""

    kind: str
    """``absent``, ``training``, ``ready``, ``stale`` (or ``unavailable`` without the package)."""
    usable: bool = False
    """Whether rewrites use it (a previous valid adapter stays usable while a new one trains)."""
    in_use: bool = False
    """Whether the loaded model has it applied right now."""
    description: str = ""
    """One line for people: "ready, trained on revision 3f2a…", "training 40 %", "stale: …"."""
    path: str | None = None
    revision: str | None = None
    percent: float | None = None
    reason: str | None = None
    validation_loss: float | None = None


@dataclass
class StatusResult(Message):
    pid: int
    version: str
    protocol: int
    profile: str
    socket: str
    log: str
    samples_dir: str | None
    samples_status: str
    """``ok``, ``missing`` or ``none``."""
    started: float
    uptime: float
    clients: int
    requests: int
    """Requests running now, over all connections."""
    idle_timeout: float
    memory_rss: int | None
    profile_state: Literal["ready", "loading", "error"]
    profile_error: str | None
    revision: int
    documents: int
    last_refresh: float | None
    backend: BackendStatus
    adapter: AdapterStatus | None = None
    """The personal model: absent, training N %, ready (trained on revision …) or stale."""


@dataclass
class CancelParams(Message):
    id: int
    """The msgid of a request sent earlier on the same connection."""


@dataclass
class CancelResult(Message):
    cancelled: bool


@dataclass
class SubscribeParams(Message):
    topics: list[str] = field(default_factory=lambda: [TOPIC_PROFILE])
    """Any of :data:`TOPICS`; replaces the connection's previous subscription."""

    def check(self) -> None:
        if not all(t in TOPICS for t in self.topics):
            raise ProtocolError(f"'topics' must be a list of {list(TOPICS)}")


@dataclass
class SubscribeResult(Message):
    topics: list[str]


# -- analyze

BLOCK_KINDS: Final = ("paragraph", "quote", "list")
"""The kinds of prose block that are scored and rewritten."""


@dataclass
class Block(Message):
    """One prose block as the client extracted it."""

    hash: str
    """The client's content hash of :attr:`text`; echoed in the report, never trusted for
    caching (the daemon keys its own cache)."""
    text: str
    """The prose with markup removed: what is scored."""
    kind: str = "paragraph"

    def check(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ProtocolError(f"'kind' must be one of {list(BLOCK_KINDS)}")


@dataclass
class AnalyzeParams(Message):
    blocks: list[Block] | None = None
    """Blocks already extracted by the client (the language server): each is scored as it is."""
    text: str | None = None
    """Alternatively a whole document in ``fmt``; the daemon extracts its blocks and the
    reports carry ranges relative to it."""
    fmt: str | None = None
    """``markdown`` (default for ``text``), ``plaintext``, ``restructuredtext``, ``latex`` ..."""
    threshold: float | None = None
    """Override the drift threshold (``drifting`` is ``score > threshold``)."""
    ignored: list[str] = field(default_factory=list)
    """Block hashes the writer asked to ignore: reported with no score."""

    def check(self) -> None:
        if (self.text is None) == (self.blocks is None):
            raise ProtocolError("give exactly one of 'text' or 'blocks'")


@dataclass
class Position(Message):
    line: int
    character: int
    """UTF-16 code units, as LSP counts them."""


@dataclass
class BlockReport(Message):
    """One block's drift."""

    hash: str
    kind: str
    words: int
    score: float | None
    """0-1 (None: too short to judge, or ignored)."""
    drifting: bool
    reasons: list[str]
    components: dict[str, float] = field(default_factory=dict)
    surprise: float | None = None
    """The standardised surprise behind :attr:`score`; keeps ordering blocks after the score
    saturates at 1.0."""
    index: int | None = None
    """Position in ``AnalyzeParams.blocks`` (the ``blocks`` form)."""
    start: Position | None = None
    """Range in ``AnalyzeParams.text`` (the ``text`` form)."""
    end: Position | None = None
    start_offset: int | None = None
    end_offset: int | None = None


@dataclass
class AnalyzeResult(Message):
    profile: str
    revision: int
    """Increments on every profile change; lets a client drop results computed on stale data."""
    reports: list[BlockReport]
    seconds: float


# -- rewrite


@dataclass
class RewriteParams(Message):
    text: str
    kind: str | None = None
    """With a kind, ``text`` is the source of exactly one block of that kind (as the client
    extracted it) and is rewritten as one unit -- a list item by item, keeping each marker.
    Without one, ``text`` is a document (or a selection) in ``fmt`` whose prose blocks are
    each rewritten (headings, code and other non-prose kept byte for byte)."""
    k: int = 1
    """Best-of-k candidates per paragraph (1-16)."""
    fmt: str | None = None
    """Markup of ``text`` (default ``plaintext``)."""
    only_drifting: bool = False
    """Rewrite only blocks whose drift is above ``threshold``."""
    threshold: float | None = None
    stream: bool = True
    """Send ``rewrite.token`` notifications."""

    def check(self) -> None:
        if not self.text:
            raise ProtocolError("'text' is required")
        if not 1 <= self.k <= 16:
            raise ProtocolError("'k' must be between 1 and 16")
        if self.kind is not None and self.kind not in BLOCK_KINDS:
            raise ProtocolError(f"'kind' must be one of {list(BLOCK_KINDS)}")


@dataclass
class CandidateReport(Message):
    """A generated candidate, for display; the daemon has already chosen."""

    text: str
    drift: float | None
    preservation: float
    rank_score: float
    tokens: int
    seconds: float
    finish_reason: str
    z: float | None = None
    rejected: list[str] = field(default_factory=list)
    """Why the faithfulness rules reject this candidate (empty: faithful); the daemon never
    chooses a rejected candidate."""


@dataclass
class BlockVerdict(Message):
    """The daemon's decision for one rewritten unit (a paragraph, a quote, one list item).

    The client puts :attr:`text` in place of ``[source_start, source_end)`` iff :attr:`changed`;
    it never re-judges the candidates."""

    changed: bool
    text: str
    """What to put in place: the chosen candidate, or the original when unchanged."""
    original: str
    source_start: int
    """Offsets of the unit in ``RewriteParams.text``."""
    source_end: int
    original_drift: float | None
    drift: float | None
    """Drift of :attr:`text` (the original's when unchanged)."""
    preservation: float
    """Share of the original's content :attr:`text` keeps (1.0 when unchanged)."""
    original_surprise: float | None = None
    surprise: float | None = None
    reason: str | None = None
    """When unchanged, why, in a sentence for the user."""
    candidates: list[CandidateReport] = field(default_factory=list)
    drift_change: str = ""
    """The drift change as the writer is shown it ("0.83 → 0.41", or with the surprise when
    both ends round alike), formatted once by the daemon so every editor shows what was decided
    (:attr:`inkmod.generation.rewrite.ParagraphRewrite.drift_change`)."""


@dataclass
class RewriteResult(Message):
    text: str
    """``RewriteParams.text`` with every changed unit replaced."""
    blocks: list[BlockVerdict]
    cancelled: bool = False
    seconds: float = 0.0
    revision: int | None = None
    model: str = "style prompt"
    """How the candidates were written: ``personal model`` (the writer's adapter) or ``style
    prompt`` (the in-context description and exemplars), so editors can say which."""

    @property
    def changed(self) -> bool:
        return any(b.changed for b in self.blocks)


# -- train and the profile


@dataclass
class TeacherParams(Message):
    model: str | None = None
    base_url: str | None = None


@dataclass
class TrainParams(Message):
    samples: str | None = None
    """Folder to (re)build the profile from; defaults to the profile's own samples folder."""
    iterations: int = 0
    """Teacher-loop iterations after the rebuild (``train-enhanced``); 0: none."""
    prompts: list[str] = field(default_factory=list)
    """Test prompts for the loop (required when ``iterations`` > 0)."""
    teacher: TeacherParams | None = None
    """OpenAI-compatible teacher; nil: the drift score is the critic. The key comes from the
    daemon's environment (``OPENAI_API_KEY``), never from the request."""
    budget_usd: float | None = None
    resume: bool = False


@dataclass
class ProfileGetParams(Message):
    documents: bool = True
    """Include the document ids."""
    figures: bool = False
    """Include the writer's style figures (what hover shows beside a paragraph's)."""


@dataclass
class ProfileInfo(Message):
    """``profile.get``, ``profile.reload`` and ``train`` results."""

    profile: str
    revision: int
    samples_dir: str | None = None
    summary: dict[str, Any] | None = None
    documents: list[str] | None = None
    figures: dict[str, float] | None = None


@dataclass
class TrainResult(ProfileInfo):
    skipped: list[dict[str, str]] = field(default_factory=list)
    """``{"path", "reason"}`` for files the engine refused (binary, too large ...)."""
    training: dict[str, Any] | None = None
    """The teacher loop's result, when ``iterations`` > 0."""


@dataclass
class TuneParams(Message):
    """Train the personal model (``inkmod tune``) on the profile's samples folder."""

    max_minutes: float | None = 15.0
    neutraliser: str | None = None

    def check(self) -> None:
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ProtocolError("'max_minutes' must be positive")


@dataclass
class TuneResult(Message):
    status: str
    """``trained`` or ``cancelled`` (the checkpoint is kept; the next run resumes)."""
    steps: int
    total_steps: int
    seconds: float
    words: int = 0
    validation_loss: float | None = None
    base_validation_loss: float | None = None
    adapter: AdapterStatus | None = None


# -- notifications


@dataclass
class TokenNotification(Message):
    id: int
    """msgid of the ``rewrite`` request."""
    paragraph: int
    """Which rewritten unit (0-based, in the order they are rewritten)."""
    candidate: int
    """Candidate number within that unit (best-of-k)."""
    text: str


@dataclass
class CandidateNotification(CandidateReport):
    """A finished candidate and where it belongs."""

    id: int = 0
    paragraph: int = 0
    index: int = 0


@dataclass
class TrainProgressNotification(Message):
    id: int
    done: int = 0
    total: int = 0
    file: str = ""
    loop: dict[str, Any] | None = None
    """A teacher-loop progress event instead of a file (``train`` with iterations)."""


@dataclass
class TuneProgressNotification(Message):
    id: int
    """msgid of the ``tune`` request (0 for an automatic run the daemon started itself)."""
    phase: str
    """``load``, ``train`` or ``validate``."""
    step: int = 0
    total: int = 0
    loss: float | None = None
    seconds_left: float | None = None


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


@dataclass
class ProfileChangedNotification(Message):
    profile: str
    revision: int
    event: ProfileEvent
    changed: list[str] = field(default_factory=list)
    """Document ids (paths relative to the samples folder) added or replaced."""
    removed: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    documents: int = 0
    samples_dir: str | None = None
    samples_status: str = "none"
    """``ok``, ``missing`` or ``none`` (the profile has no samples folder)."""


@dataclass
class LogNotification(Message):
    level: str
    logger: str
    message: str


def error_object(code: int, message: str) -> list[Any]:
    """The ``error`` slot of a response: ``[code, message]`` (Neovim's two-element shape)."""
    return [code, message]
