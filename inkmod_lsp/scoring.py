"""Who scores paragraphs: the daemon when it runs, this process when it cannot.

Why the daemon by default: scoring reads a general-English frequency table (~45 MB in memory,
half a second to load). The daemon holds it once for every editor window and the CLI, so the
language server stays small (see the RSS figure in ``benchmarks/bench_lsp.py``). When the daemon
is off or cannot start, :class:`LocalScorer` loads the profile and scores here: diagnostics must
keep working without it, only rewriting needs the daemon.

Both scorers take *blocks* (already extracted, see :mod:`inkmod.style.document`) and are called
only for hashes the score cache has not seen, so an edit costs one paragraph's scoring.
Calls block; the server runs them on its worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from inkmod.style.document import Block

from .paragraphs import Score

if TYPE_CHECKING:
    from inkmod.rpc.client import DaemonClient
    from inkmod.style.profile import StyleProfile


BATCH_BYTES = 2 * 1024 * 1024
"""Paragraph text per ``analyze`` request: a quarter of the daemon's 8 MiB frame limit, which
leaves room for the answer (a report per paragraph, larger than a short paragraph)."""
BATCH_PARAGRAPHS = 2000
TOO_LONG = "too long to score (one paragraph over the daemon's message limit)"


class Scorer(Protocol):
    """Scores extracted blocks against the current profile."""

    name: str

    def score(self, blocks: Sequence[Block]) -> list[Score]: ...


class DaemonScorer:
    """Scores through the daemon's ``analyze`` method: the blocks go as the server extracted
    them (``{hash, text, kind}``), so the daemon never parses them again."""

    name = "daemon"

    def __init__(self, client: DaemonClient, timeout: float = 30.0) -> None:
        self.client = client
        self.timeout = timeout
        self.revision: int | None = None
        """The daemon's profile revision the last answer was computed on."""

    def score(self, blocks: Sequence[Block]) -> list[Score]:
        """Scores in batches that keep each request (and its answer) well under the daemon's
        frame limit: one huge document must not become one oversized request, which the daemon
        would refuse. A paragraph too long to send at all is reported as such."""
        from inkmod.rpc.protocol import MAX_MESSAGE_BYTES

        out: list[Score] = []
        batch: list[Block] = []
        size = 0
        for block in blocks:
            length = len(block.text.encode("utf-8", "surrogatepass"))
            if length > MAX_MESSAGE_BYTES - 4096:
                out.extend(self._score_batch(batch))
                batch, size = [], 0
                out.append(Score(None, len(block.text.split()), (TOO_LONG,)))
                continue
            if batch and (size + length > BATCH_BYTES or len(batch) >= BATCH_PARAGRAPHS):
                out.extend(self._score_batch(batch))
                batch, size = [], 0
            batch.append(block)
            size += length
        out.extend(self._score_batch(batch))
        return out

    def _score_batch(self, blocks: Sequence[Block]) -> list[Score]:
        from inkmod.rpc.protocol import MESSAGE_TOO_LARGE
        from inkmod.rpc.session import RPCError

        if not blocks:
            return []
        try:
            return self._score_request(blocks)
        except RPCError as exc:  # the answer did not fit after all: halve the batch
            if exc.code != MESSAGE_TOO_LARGE:
                raise
            if len(blocks) == 1:
                return [Score(None, len(blocks[0].text.split()), (TOO_LONG,))]
            middle = len(blocks) // 2
            return self._score_batch(blocks[:middle]) + self._score_batch(blocks[middle:])

    def _score_request(self, blocks: Sequence[Block]) -> list[Score]:
        from inkmod.rpc.protocol import AnalyzeResult
        from inkmod.rpc.protocol import Block as WireBlock

        wire = [WireBlock(b.hash, b.text, b.kind) for b in blocks]
        result = AnalyzeResult.from_wire(self.client.analyze(blocks=wire, timeout=self.timeout))
        self.revision = result.revision
        by_index = {r.index: r for r in result.reports if r.index is not None}
        out: list[Score] = []
        for index in range(len(blocks)):
            report = by_index.get(index)
            out.append(
                Score.from_report(report)
                if report is not None
                else Score(None, 0, ("no prose to judge",))
            )
        return out


class LocalScorer:
    """Scores in this process with a profile loaded from disk (the fallback)."""

    name = "local"

    def __init__(self, profile: StyleProfile) -> None:
        self.profile = profile

    def score(self, blocks: Sequence[Block]) -> list[Score]:
        out: list[Score] = []
        for block in blocks:
            result = self.profile.score_text(block.text)
            out.append(
                Score(
                    result.score,
                    result.words,
                    result.reasons,
                    dict(result.components),
                    result.z,
                )
            )
        return out
