"""Rewriting a paragraph or a selection: ``codeAction/resolve`` (the actions are listed by
:mod:`.code_actions`) and the ``inkmod.rewrite`` command, for clients that cannot resolve.

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
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from inkmod.style.document import block_at
from inkmod.style.document import markup_format as document_format
from inkmod.style.document import parse as extract_blocks

from .. import convert
from ..constants import CONTENT_MODIFIED, INVALID_PARAMS, REQUEST_FAILED, REWRITE
from ..convert import RewriteRequest
from ..daemon_link import DaemonUnavailable, describe_rpc_error, wait_for_daemon
from ..documents import DocumentChange
from ..progress import Progress

# At run time, not only for type checking: pygls reads a command handler's annotations to
# parse its arguments, and an unresolvable name turns every call into "Invalid Params".
from ..server import InkmodLanguageServer

if TYPE_CHECKING:
    from inkmod.rpc.protocol import RewriteResult

log = logging.getLogger(__name__)


class RewriteError(Exception):
    """The rewrite cannot be offered; ``message`` is for the user, ``code`` for the response."""

    def __init__(self, message: str, code: int = REQUEST_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(eq=False)
class InFlight:
    """A rewrite running for one document version (see :func:`document_changed`)."""

    uri: str
    version: int | None
    task: asyncio.Task[Any] | None
    stale: bool = False


def document_changed(ls: InkmodLanguageServer, change: DocumentChange) -> None:
    """The writer edited a document (the server's ``document_changed`` event): rewrites
    computed for an older version can only be refused when they finish, so stop them now and
    say so at once (the model is freed too)."""
    if change.opened:
        return
    for entry in list(ls.rewrites.get(change.uri, ())):
        if entry.version != change.version and entry.task is not None and not entry.stale:
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
    model: str = "style prompt"
    """Which model wrote it, as the daemon says: ``personal model`` or ``style prompt``."""

    def summary(self) -> dict[str, Any]:
        """Scores before and after, as the server computed them (goes into ``data``)."""
        out: dict[str, Any] = {
            "version": self.version,
            "edits": self.edits,
            "paragraphs": self.paragraphs,
            "seconds": round(self.seconds, 2),
            "model": self.model,
        }
        if len(self.paragraphs) == 1:
            out["original"] = self.paragraphs[0]["original"]
            out["rewrite"] = self.paragraphs[0]["rewrite"]
        out["drift_change"] = self.drift_change
        return out

    @property
    def drift_change(self) -> str:
        """The daemon's drift change of the units that changed, as editors show it after "drift"
        ("0.83 → 0.41"; several units joined by "; "). Editors print this text and format no
        scores themselves, so they all show what the daemon decided."""
        changed = (p["drift_change"] for p in self.paragraphs if p["changed"])
        return "; ".join(change for change in changed if change)


async def resolve_code_action(ls: InkmodLanguageServer, action: lsp.CodeAction) -> lsp.CodeAction:
    """Compute the rewrite's edit (the model runs now, in the daemon)."""
    data = action.data
    if not (isinstance(data, dict) and data.get("kind") == REWRITE):
        return action
    try:
        request = RewriteRequest.from_data(data)
    except ValueError as exc:
        raise JsonRpcException(f"bad code action data: {exc}", code=INVALID_PARAMS) from exc
    try:
        outcome = await rewrite(ls, request)
    except RewriteError as exc:
        ls.show(f"InkMod: {exc.message}", "warning")
        raise JsonRpcException(exc.message, code=exc.code) from exc
    action.edit = outcome.edit
    action.data = {**data, "result": outcome.summary()}
    return action


async def rewrite_command(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.rewrite {uri, range, version?, mode?}`` (or ``uri, range``): rewrite and apply
    with ``workspace/applyEdit`` -- for clients that cannot resolve code actions."""
    options = convert.command_arguments(args, ("uri", "range", "version", "mode"))
    try:
        request = RewriteRequest.from_data(options)
    except ValueError as exc:
        raise JsonRpcException(f"inkmod.rewrite: {exc}", code=INVALID_PARAMS) from exc
    await ls.runtime.wait_ready()
    try:
        outcome = await rewrite(ls, request)
    except RewriteError as exc:
        ls.show(f"InkMod: {exc.message}", "warning")
        raise JsonRpcException(exc.message, code=exc.code) from exc
    applied = await ls.workspace_apply_edit_async(
        lsp.ApplyWorkspaceEditParams(edit=outcome.edit, label="InkMod: rewrite in my style")
    )
    if not applied.applied:
        reason = applied.failure_reason or "the document changed meanwhile"
        ls.show(
            f"InkMod: the editor did not apply the rewrite ({reason}); nothing was changed.",
            "warning",
        )
    return {"applied": applied.applied, **outcome.summary()}


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
        outcome = RewriteOutcome(
            edit, version, len(edits), paragraphs, time.monotonic() - started, result.model
        )
        shown = f"drift {outcome.drift_change}, " if outcome.drift_change else ""
        outcome_message = f"{len(edits)} edit(s) ready ({shown}written by your {result.model})"
        return outcome
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
    from inkmod.rpc.protocol import ProtocolError, RewriteResult

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
        raise RewriteError(f"the rewrite failed: {describe_rpc_error(exc)[1]}") from exc
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
            "drift_change": b.drift_change,
        }
        for b in result.blocks
    ]
    return output, report
