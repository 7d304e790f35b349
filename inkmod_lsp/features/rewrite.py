"""Computing a rewrite for a paragraph or a selection: the work behind the code actions and
the ``inkmod.rewrite`` command.

The rules, and why:

* **the model runs in the daemon**, never here (this process must not import a backend);
* **the edit is pinned to the version it was computed from**: the document is re-checked when
  the model is done; if the writer typed meanwhile nothing is returned but an explanation, and
  the edit itself carries the version so the client refuses it if the text moves on later;
* **never make it less like the writer, never unfaithful**: the *daemon* decides. It generates
  k candidates per unit and returns a verdict for each (``changed``, the ``text`` to put in
  place, the drift before and after, and when unchanged a ``reason``); this server puts ``text``
  in place iff ``changed`` and re-judges nothing, so the rules (closer to the writer, faithful
  to the original) live once, in :func:`inkmod.generation.rewrite.choose`;
* **one block, one unit**: for "rewrite paragraph" the server sends the block it extracted
  (its source slice and kind), so the daemon rewrites exactly that block -- a list item by
  item, keeping its markers -- and never re-parses a slice without its context;
* **minimal edits** (:func:`convert.minimal_replacements`), so an editor's undo, cursor and
  marks survive and a preview shows only what changed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from lsprotocol import types as lsp

from inkmod.style.document import block_at
from inkmod.style.document import markup_format as document_format
from inkmod.style.document import parse as extract_blocks

from . import convert
from .daemon_link import DaemonUnavailable, describe_rpc_error
from .progress import Progress

if TYPE_CHECKING:
    from inkmod.rpc.client import PendingCall
    from inkmod.rpc.protocol import RewriteResult

    from .server import InkmodLanguageServer

log = logging.getLogger(__name__)

Mode = Literal["paragraph", "selection"]

CONTENT_MODIFIED = -32801
REQUEST_FAILED = -32803


class RewriteError(Exception):
    """The rewrite cannot be offered; ``message`` is for the user, ``code`` for the response."""

    def __init__(self, message: str, code: int = REQUEST_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class RewriteRequest:
    """What to rewrite: carried in a code action's ``data`` and in command arguments."""

    uri: str
    range: lsp.Range
    version: int | None
    mode: Mode = "paragraph"

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": "inkmod.rewrite",
            "uri": self.uri,
            "version": self.version,
            "mode": self.mode,
            "range": {
                "start": {"line": self.range.start.line, "character": self.range.start.character},
                "end": {"line": self.range.end.line, "character": self.range.end.character},
            },
        }

    @classmethod
    def from_data(cls, data: Any) -> RewriteRequest:
        """Parse ``to_data``'s shape (also accepted as ``inkmod.rewrite`` arguments)."""
        if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
            raise ValueError("expected an object with 'uri' and 'range'")
        rng = data.get("range") or {}
        try:
            start, end = rng["start"], rng["end"]
            parsed = lsp.Range(
                lsp.Position(int(start["line"]), int(start["character"])),
                lsp.Position(int(end["line"]), int(end["character"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad 'range': {rng!r}") from exc
        version = data.get("version")
        mode = data.get("mode", "paragraph")
        if mode not in ("paragraph", "selection"):
            raise ValueError(f"bad 'mode': {mode!r}")
        return cls(data["uri"], parsed, version if isinstance(version, int) else None, mode)


@dataclass(eq=False)
class InFlight:
    """A rewrite running for one document version (see :func:`document_changed`)."""

    uri: str
    version: int | None
    task: asyncio.Task[Any] | None
    stale: bool = False


def document_changed(ls: InkmodLanguageServer, uri: str, version: int | None) -> None:
    """The writer edited ``uri``: rewrites computed for an older version can only be refused
    when they finish, so stop them now and say so at once (the model is freed too)."""
    for entry in list(ls.rewrites.get(uri, ())):
        if entry.version != version and entry.task is not None and not entry.stale:
            entry.stale = True
            entry.task.cancel()


@dataclass
class RewriteOutcome:
    """A computed rewrite, ready to apply."""

    edit: lsp.WorkspaceEdit
    version: int | None
    edits: int
    paragraphs: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Scores before and after, as the server computed them (goes into ``data``)."""
        out: dict[str, Any] = {
            "version": self.version,
            "edits": self.edits,
            "paragraphs": self.paragraphs,
            "seconds": round(self.seconds, 2),
        }
        if len(self.paragraphs) == 1:
            out["original"] = self.paragraphs[0]["original"]
            out["rewrite"] = self.paragraphs[0]["rewrite"]
        return out


async def rewrite(ls: InkmodLanguageServer, request: RewriteRequest) -> RewriteOutcome:
    """Rewrite what ``request`` points at (see the module docstring for the rules)."""
    started = time.monotonic()
    state = ls.documents.get(request.uri)
    if state is None:
        raise RewriteError("InkMod can only rewrite documents open in the editor")
    document = ls.workspace.get_text_document(request.uri)
    version = document.version
    if request.version is not None and version is not None and request.version != version:
        raise _stale()
    text = document.source
    positions = ls.positions(text)
    start, end = positions.offsets(request.range)
    kind: str | None = None
    if request.mode == "selection" and start != end:
        target = (start, end)
    else:
        blocks = (
            state.blocks
            if state.text == text
            else await ls.in_worker(extract_blocks, text, state.language_id)
        )
        block = block_at(blocks, start)
        if block is None:
            raise RewriteError("there is no paragraph of prose at the cursor to rewrite")
        target = (block.start, block.end)
        kind = block.kind
    original = text[target[0] : target[1]]
    if not original.strip():
        raise RewriteError("the selection holds no prose to rewrite")
    try:
        ls.runtime.link.require()
    except DaemonUnavailable as exc:
        raise RewriteError(f"cannot rewrite: {exc}") from None

    progress = await Progress.open(ls, "InkMod: rewriting in your style", message="starting")
    outcome_message = "cancelled"
    entry = InFlight(request.uri, version, asyncio.current_task())
    ls.rewrites.setdefault(request.uri, set()).add(entry)
    try:
        result = await _generate(ls, original, kind, state.language_id, progress)
        new_text, paragraphs = apply_verdicts(original, result)
        current = ls.workspace.get_text_document(request.uri).version
        if current != version:
            raise _stale()
        if new_text == original:
            reasons = [b.reason for b in result.blocks if b.reason]
            why = reasons[0] if reasons else "no rewrite was closer to your style"
            raise RewriteError(
                f"{why}, so nothing was changed (try again, or raise inkmod.candidates)"
            )
        replacements = convert.minimal_replacements(original, new_text, base=target[0])
        edits = convert.text_edits(replacements, positions)
        edit = convert.workspace_edit(request.uri, version, edits, ls.document_changes)
        outcome_message = f"{len(edits)} edit(s) ready"
        return RewriteOutcome(edit, version, len(edits), paragraphs, time.monotonic() - started)
    except RewriteError as exc:
        outcome_message = exc.message
        raise
    except asyncio.CancelledError:
        if not entry.stale:
            raise
        stale = _stale()
        outcome_message = stale.message
        raise stale from None
    finally:
        ls.rewrites.get(request.uri, set()).discard(entry)
        progress.end(outcome_message)


async def wait_for_daemon(ls: InkmodLanguageServer, pending: PendingCall) -> Any:
    """Await a daemon request; if the awaiting task is cancelled, cancel it in the daemon too.

    Not ``asyncio.wrap_future``: cancelling that would cancel the local future first, and a
    request whose local future is already done can no longer be cancelled in the daemon.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Any] = loop.create_future()

    def copy(source: concurrent.futures.Future[Any]) -> None:
        if waiter.done():
            return
        if source.cancelled():
            waiter.cancel()
        elif source.exception() is not None:
            waiter.set_exception(source.exception())  # type: ignore[arg-type]
        else:
            waiter.set_result(source.result())

    pending.future.add_done_callback(lambda f: loop.call_soon_threadsafe(copy, f))
    try:
        return await waiter
    except asyncio.CancelledError:
        await asyncio.shield(ls.in_io(pending.cancel))
        raise


def _stale() -> RewriteError:
    return RewriteError(
        "the document changed while InkMod was rewriting, so nothing was changed; "
        "run the rewrite again on the current text",
        CONTENT_MODIFIED,
    )


async def _generate(
    ls: InkmodLanguageServer,
    text: str,
    kind: str | None,
    language_id: str,
    progress: Progress,
) -> RewriteResult:
    """Run the daemon's ``rewrite`` with progress; cancelling the task cancels it there."""
    from inkmod.rpc.protocol import REQUEST_CANCELLED, ProtocolError, RewriteResult

    link = ls.runtime.link
    k = ls.settings.candidates
    try:
        status = await ls.in_io(link.status)
        backend = status.get("backend") or {}
        if not backend.get("loaded"):
            progress.report(f"loading model {backend.get('name') or ''}…", force=True)
    except Exception as exc:  # status is advisory; the rewrite itself will say what is wrong
        log.info("daemon status failed: %s", exc)
    tokens = [0]

    def on_token(_paragraph: int, candidate: int, _piece: str) -> None:
        tokens[0] += 1
        progress.report(f"candidate {candidate + 1}/{k}: {tokens[0]} tokens")

    def on_candidate(found: dict[str, Any]) -> None:
        drift = found.get("drift")
        shown = f"{drift:.2f}" if isinstance(drift, (int, float)) else "—"
        index = int(found.get("index", 0))
        progress.report(f"candidate {index + 1}/{k} done (drift {shown})", force=True)

    try:
        pending = await ls.in_io(
            lambda: link.start_rewrite(
                text,
                kind=kind,
                k=k,
                fmt=document_format(language_id),
                on_token=on_token,
                on_candidate=on_candidate,
            )
        )
    except DaemonUnavailable as exc:
        raise RewriteError(f"cannot rewrite: {exc}") from None
    except Exception as exc:
        raise RewriteError(f"cannot rewrite: {describe_rpc_error(exc)[1]}") from exc
    try:
        wire = await wait_for_daemon(ls, pending)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        code, message = describe_rpc_error(exc)
        if code == REQUEST_CANCELLED:
            raise asyncio.CancelledError() from exc
        raise RewriteError(f"the rewrite failed: {message}") from exc
    try:
        result = RewriteResult.from_wire(wire)
    except ProtocolError as exc:
        raise RewriteError(f"the daemon answered the rewrite oddly: {exc}") from exc
    if result.cancelled:
        raise asyncio.CancelledError()
    if not result.blocks:
        raise RewriteError("there is no paragraph of prose here to rewrite")
    return result


def apply_verdicts(original: str, result: RewriteResult) -> tuple[str, list[dict[str, Any]]]:
    """Put each changed unit's ``text`` in place (the daemon's verdict, applied as given);
    returns the new text and, per unit, the scores behind the decision (for ``data``)."""
    output = original
    for block in sorted(result.blocks, key=lambda b: -b.source_start):
        if block.changed:
            output = output[: block.source_start] + block.text + output[block.source_end :]
    report = [
        {
            "original": {"score": b.original_drift, "surprise": b.original_surprise},
            "rewrite": {"score": b.drift, "surprise": b.surprise} if b.changed else None,
            "candidates": len(b.candidates),
            "changed": b.changed,
            "preservation": b.preservation,
            "reason": b.reason,
        }
        for b in result.blocks
    ]
    return output, report
