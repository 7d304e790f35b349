"""The one place where engine results become lsprotocol types (and LSP positions become offsets).

Why a single converter: ranges, severities and edits are where language servers get subtly
wrong (UTF-16 columns, ``\\r\\n``, stale versions). Keeping every conversion here means each rule
is written, and tested, once; the feature modules only decide *what* to say.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lsprotocol import types as lsp

from inkmod.style.markup import LineIndex

from .config import Settings
from .constants import REWRITE
from .paragraphs import Scored

SOURCE = "inkmod"
DRIFT_CODE = "drift"

SEVERITY: dict[str, lsp.DiagnosticSeverity] = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "information": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}


class Positions:
    """Offsets (code points) <-> LSP positions for one text, in the negotiated encoding.

    The engine's :class:`~inkmod.style.markup.LineIndex` knows LSP's line breaks and UTF-16;
    UTF-32 is plain code points and UTF-8 is computed per line (no client we know of asks for
    it, but pygls may negotiate it).
    """

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        self.index = LineIndex(text)

    def position(self, offset: int) -> lsp.Position:
        if self.encoding == "utf-8":
            line, column = self.index.position(offset, utf16=False)
            start = self.index.offset(line, 0, utf16=False)
            prefix = self.text[start : start + column]
            return lsp.Position(line, len(prefix.encode("utf-8", "surrogatepass")))
        line, character = self.index.position(offset, utf16=self.encoding != "utf-32")
        return lsp.Position(line, character)

    def offset(self, position: lsp.Position) -> int:
        if self.encoding == "utf-8":
            line_start = self.index.offset(position.line, 0, utf16=False)
            line_end = self.index.offset(position.line, 1 << 30, utf16=False)
            encoded = self.text[line_start:line_end].encode("utf-8", "surrogatepass")
            prefix = encoded[: position.character].decode("utf-8", "ignore")
            return line_start + len(prefix)
        return self.index.offset(position.line, position.character, utf16=self.encoding != "utf-32")

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(self.position(start), self.position(end))

    def offsets(self, rng: lsp.Range) -> tuple[int, int]:
        start, end = self.offset(rng.start), self.offset(rng.end)
        return (start, end) if start <= end else (end, start)


# -- diagnostics --------------------------------------------------------------------------------


def diagnostic_data(item: Scored, threshold: float) -> dict[str, Any]:
    """What a drift diagnostic carries in ``data``: the scores, for code actions and clients."""
    return {
        "hash": item.block.hash,
        "score": item.score.score,
        "threshold": threshold,
        "words": item.score.words,
        "reasons": list(item.score.reasons),
        "components": {k: round(v, 3) for k, v in item.score.components.items()},
    }


def drift_message(item: Scored, max_reasons: int) -> str:
    score = item.score.score
    head = f"Drifts from your style ({score:.2f})" if score is not None else "Drifts"
    reasons = list(item.score.reasons[:max_reasons])
    return f"{head}: " + "; ".join(reasons) if reasons else head


def diagnostic(
    item: Scored, positions: Positions, settings: Settings, threshold: float
) -> lsp.Diagnostic:
    """One drift diagnostic spanning the whole paragraph."""
    return lsp.Diagnostic(
        range=positions.range(item.block.start, item.block.end),
        message=drift_message(item, settings.maxReasons),
        severity=SEVERITY[settings.severity],
        source=SOURCE,
        code=DRIFT_CODE,
        data=diagnostic_data(item, threshold),
    )


def diagnostics(
    items: Sequence[Scored], positions: Positions, settings: Settings, threshold: float
) -> list[lsp.Diagnostic]:
    return [diagnostic(i, positions, settings, threshold) for i in items if i.drifting]


def is_drift_diagnostic(diag: lsp.Diagnostic) -> bool:
    return diag.source == SOURCE and diag.code == DRIFT_CODE


# -- edits --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
SIMILAR = 0.5
"""Below this difflib ratio a rewrite is treated as new text (one edit), above it as an edit
of the old text (one edit per changed run of words)."""


@dataclass(frozen=True)
class Replacement:
    """Replace ``text[start:end]`` (code-point offsets) with ``new``."""

    start: int
    end: int
    new: str


def minimal_replacements(old: str, new: str, base: int = 0) -> list[Replacement]:
    """The smallest word-level replacements turning ``old`` into ``new``.

    difflib opcodes, as jedi-language-server does for code, but over words, spaces and
    punctuation rather than characters: prose edits then line up with words, so a client's
    preview reads "tidy → neat", not a scatter of single letters. Applying the result to
    ``old`` gives exactly ``new``.
    """
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    starts = [0]
    for token in a:
        starts.append(starts[-1] + len(token))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR:
        # Mostly new text: word-level opcodes would interleave dozens of fragments of the old
        # and new sentences. One edit over the span that differs reads (and undoes) better.
        head = 0
        while head < min(len(a), len(b)) and a[head] == b[head]:
            head += 1
        tail = 0
        while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
            tail += 1
        if head == len(a) == len(b):
            return []
        return [
            Replacement(
                base + starts[head], base + starts[len(a) - tail], "".join(b[head : len(b) - tail])
            )
        ]
    out: list[Replacement] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out.append(Replacement(base + starts[i1], base + starts[i2], "".join(b[j1:j2])))
    return out


def text_edits(replacements: Sequence[Replacement], positions: Positions) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(positions.range(r.start, r.end), r.new) for r in replacements]


def workspace_edit(
    uri: str, version: int | None, edits: list[lsp.TextEdit], document_changes: bool
) -> lsp.WorkspaceEdit:
    """A workspace edit pinned to the document version it was computed for.

    With ``documentChanges`` the client itself refuses to apply the edit to a newer version of
    the document; clients that only understand ``changes`` get that form, and the server's own
    version check (before answering) is their protection.
    """
    if document_changes:
        identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return lsp.WorkspaceEdit(
            document_changes=[lsp.TextDocumentEdit(text_document=identifier, edits=list(edits))]
        )
    return lsp.WorkspaceEdit(changes={uri: list(edits)})


# -- command arguments and rewrite requests -------------------------------------------------------


def command_arguments(args: Sequence[Any], positional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A command's single-object argument, or its positional form mapped onto ``positional``
    names (what a user types in Neovim's ``:lua vim.lsp.buf.execute_command{...}``)."""
    if len(args) == 1 and isinstance(args[0], dict):
        return dict(args[0])
    return {name: value for name, value in zip(positional, args, strict=False)}


Mode = Literal["paragraph", "selection"]


@dataclass(frozen=True)
class RewriteRequest:
    """What to rewrite: carried in a code action's ``data`` and in command arguments."""

    uri: str
    range: lsp.Range
    version: int | None
    mode: Mode = "paragraph"

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": REWRITE,
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


# -- hover --------------------------------------------------------------------------------------


def hover(markdown: str, positions: Positions, start: int, end: int, plain: bool) -> lsp.Hover:
    kind = lsp.MarkupKind.PlainText if plain else lsp.MarkupKind.Markdown
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=kind, value=markdown),
        range=positions.range(start, end),
    )


# -- messages -----------------------------------------------------------------------------------


def message(text: str, kind: str = "info") -> lsp.ShowMessageParams:
    types = {
        "error": lsp.MessageType.Error,
        "warning": lsp.MessageType.Warning,
        "info": lsp.MessageType.Info,
    }
    return lsp.ShowMessageParams(type=types[kind], message=text)
