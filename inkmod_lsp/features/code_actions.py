"""Code actions: offered instantly, computed only when chosen.

Why two phases (the ruff server habit): editors ask for code actions whenever the cursor moves,
so listing must cost a lookup -- no model, no scoring, no waiting for an analysis in flight.
The rewrite itself runs in ``codeAction/resolve`` (or the ``inkmod.rewrite`` command for
clients that cannot resolve), with progress and cancellation: see :mod:`.rewrite`.

Offered:

* ``Rewrite paragraph in my style`` (``refactor.rewrite``) where the cursor is in a paragraph of
  prose -- an empty range, as Neovim sends, means the paragraph at the cursor;
* ``Rewrite selection in my style`` (``refactor.rewrite``) for a non-empty selection;
* on each drift diagnostic under the cursor or selection, the quick fixes ``Rewrite paragraph in
  my style`` (instead of the refactoring: one action per intent) and ``Ignore this paragraph``
  (which runs ``inkmod.ignoreParagraph``: no resolve needed).

Always in that order: paragraph, selection, ignore.

When rewriting is impossible (no daemon) the actions are still listed, marked ``disabled`` with
the reason for clients that show that, and with the reason in the title for the others, so the
writer learns why instead of wondering where the action went.
"""

from __future__ import annotations

import logging
import time

from lsprotocol import types as lsp

from inkmod.style.document import block_at

from .. import convert
from ..constants import IGNORE_PARAGRAPH as COMMAND_IGNORE
from ..constants import REWRITE as COMMAND_REWRITE
from ..convert import RewriteRequest
from ..documents import DocState, state_positions
from ..server import InkmodLanguageServer

log = logging.getLogger(__name__)

TITLE_PARAGRAPH = "Rewrite paragraph in my style"
TITLE_SELECTION = "Rewrite selection in my style"
TITLE_FIX = TITLE_PARAGRAPH
"""The quick fix on a drift diagnostic does what the refactoring does, so it has its title."""
TITLE_IGNORE = "Ignore this paragraph"

KINDS = [lsp.CodeActionKind.RefactorRewrite, lsp.CodeActionKind.QuickFix]


OPTIONS = lsp.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True)
"""What the server advertises for ``textDocument/codeAction`` (resolved by :mod:`.rewrite`)."""


def _wanted(kind: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(kind == o or kind.startswith(f"{o}.") for o in only)


def code_action(
    ls: InkmodLanguageServer, params: lsp.CodeActionParams
) -> list[lsp.CodeAction] | None:
    """List the actions for the cursor/selection; never computes anything expensive."""
    started = time.perf_counter()
    try:
        return _code_actions(ls, params)
    finally:
        ls.record("codeAction", time.perf_counter() - started)


def _code_actions(
    ls: InkmodLanguageServer, params: lsp.CodeActionParams
) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    state = ls.documents.get(uri)
    if state is None or not ls.checks(state.language_id):
        return None
    document = ls.workspace.get_text_document(uri)
    version = document.version
    only = [str(getattr(k, "value", k)) for k in params.context.only or []]
    unavailable = ls.runtime.link.unavailable_reason()

    def rewrite_action(
        title: str, kind: str, request: RewriteRequest, diagnostics: list[lsp.Diagnostic] | None
    ) -> lsp.CodeAction:
        action = lsp.CodeAction(
            title=title, kind=kind, diagnostics=diagnostics, data=request.to_data()
        )
        if unavailable:
            if ls.shows_disabled_actions:
                action.disabled = lsp.CodeActionDisabled(reason=unavailable)
            else:
                action.title = f"{title} (unavailable: {unavailable})"
        elif not ls.resolves_edits:
            action.command = lsp.Command(
                title=title, command=COMMAND_REWRITE, arguments=[request.to_data()]
            )
            action.data = None
        return action

    rng = params.range
    empty = rng.start == rng.end
    # One action per intent, always in this order: rewrite the paragraph (the quick fix on its
    # diagnostic, else the refactoring), rewrite the selection, ignore the paragraph.
    paragraph: list[lsp.CodeAction] = []
    selection: list[lsp.CodeAction] = []
    ignore: list[lsp.CodeAction] = []
    fixed_at_cursor = False
    fix_kind = lsp.CodeActionKind.QuickFix.value
    if _wanted(fix_kind, only):
        for diag in params.context.diagnostics:
            # Clients send the diagnostics of the line or of the whole document; only those
            # under the cursor or selection are about this paragraph.
            if not convert.is_drift_diagnostic(diag) or not _overlaps(diag.range, rng):
                continue
            fixed_at_cursor = fixed_at_cursor or _contains(diag.range, rng.start)
            data = diag.data if isinstance(diag.data, dict) else {}
            request = RewriteRequest(uri, diag.range, version, "paragraph")
            paragraph.append(rewrite_action(TITLE_FIX, fix_kind, request, [diag]))
            digest = data.get("hash")
            if isinstance(digest, str):
                ignore.append(
                    lsp.CodeAction(
                        title=TITLE_IGNORE,
                        kind=fix_kind,
                        diagnostics=[diag],
                        command=lsp.Command(
                            title=TITLE_IGNORE,
                            command=COMMAND_IGNORE,
                            arguments=[{"uri": uri, "hash": digest}],
                        ),
                    )
                )
    refactor_kind = lsp.CodeActionKind.RefactorRewrite.value
    if _wanted(refactor_kind, only):
        if not fixed_at_cursor and _cursor_in_prose(ls, state, document.version, rng.start):
            request = RewriteRequest(uri, lsp.Range(rng.start, rng.start), version, "paragraph")
            paragraph.append(rewrite_action(TITLE_PARAGRAPH, refactor_kind, request, None))
        if not empty:
            request = RewriteRequest(uri, rng, version, "selection")
            selection.append(rewrite_action(TITLE_SELECTION, refactor_kind, request, None))
    return [*paragraph, *selection, *ignore]


def _before(a: lsp.Position, b: lsp.Position) -> bool:
    return (a.line, a.character) < (b.line, b.character)


def _contains(rng: lsp.Range, at: lsp.Position) -> bool:
    return not _before(at, rng.start) and not _before(rng.end, at)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return not _before(a.end, b.start) and not _before(b.end, a.start)


def _cursor_in_prose(
    ls: InkmodLanguageServer, state: DocState, version: int | None, at: lsp.Position
) -> bool:
    """True when the last analysis (of this very version) has a paragraph under the cursor;
    also True when there is no up-to-date analysis to ask -- resolve checks again."""
    if state.text is None or state.version != version:
        return True
    offset = state_positions(ls, state).offset(at)
    return block_at(state.blocks, offset) is not None
