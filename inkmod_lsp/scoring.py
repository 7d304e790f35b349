"""Who scores paragraphs: the daemon when it runs, this process when it cannot.

Why the daemon by default: scoring reads a general-English frequency table (~45 MB in memory,
half a second to load). The daemon holds it once for every editor window and the CLI, so the
language server stays small (see the RSS figure in ``benchmarks/bench_lsp.py``). When the daemon
is off or cannot start, :class:`LocalScorer` loads the profile and scores here: diagnostics must
keep working without it, only rewriting needs the daemon.

Both scorers take *paragraph texts* (already extracted, see :mod:`.paragraphs`) and are called
only for hashes :class:`ScoreCache` has not seen, so an edit costs one paragraph's scoring.
Calls block; the server runs them on its worker thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

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
    """Scores plain paragraph texts against the current profile."""

    name: str

    def score(self, texts: Sequence[str]) -> list[Score]: ...


class DaemonScorer:
    """Scores through the daemon's ``analyze`` method (``paragraphs`` form)."""

    name = "daemon"

    def __init__(self, client: DaemonClient, timeout: float = 30.0) -> None:
        self.client = client
        self.timeout = timeout
        self.revision: int | None = None
        """The daemon's profile revision the last answer was computed on."""

    def score(self, texts: Sequence[str]) -> list[Score]:
        """Scores in batches that keep each request (and its answer) well under the daemon's
        frame limit: one huge document must not become one oversized request, which the daemon
        would refuse. A paragraph too long to send at all is reported as such."""
        from inkmod.rpc.protocol import MAX_MESSAGE_BYTES

        out: list[Score] = []
        batch: list[str] = []
        size = 0
        for text in texts:
            length = len(text.encode("utf-8", "surrogatepass"))
            if length > MAX_MESSAGE_BYTES - 4096:
                out.extend(self._score_batch(batch))
                batch, size = [], 0
                out.append(Score(None, len(text.split()), (TOO_LONG,)))
                continue
            if batch and (size + length > BATCH_BYTES or len(batch) >= BATCH_PARAGRAPHS):
                out.extend(self._score_batch(batch))
                batch, size = [], 0
            batch.append(text)
            size += length
        out.extend(self._score_batch(batch))
        return out

    def _score_batch(self, texts: Sequence[str]) -> list[Score]:
        from inkmod.rpc.protocol import MESSAGE_TOO_LARGE
        from inkmod.rpc.session import RPCError

        if not texts:
            return []
        try:
            return self._score_request(texts)
        except RPCError as exc:  # the answer did not fit after all: halve the batch
            if exc.code != MESSAGE_TOO_LARGE:
                raise
            if len(texts) == 1:
                return [Score(None, len(texts[0].split()), (TOO_LONG,))]
            middle = len(texts) // 2
            return self._score_batch(texts[:middle]) + self._score_batch(texts[middle:])

    def _score_request(self, texts: Sequence[str]) -> list[Score]:
        result = self.client.analyze(paragraphs=list(texts), fmt="plaintext", timeout=self.timeout)
        revision = result.get("revision")
        self.revision = revision if isinstance(revision, int) else None
        grouped: dict[int, list[dict[str, Any]]] = {}
        for report in result.get("reports", []):
            index = report.get("index")
            if isinstance(index, int):
                grouped.setdefault(index, []).append(report)
        out: list[Score] = []
        for index in range(len(texts)):
            reports = grouped.get(index)
            if not reports:
                out.append(Score(None, 0, ("no prose to judge",)))
                continue
            # An extracted paragraph re-extracts as exactly one paragraph; should the plain-text
            # parser ever split one, the longest part speaks for it.
            best = max(reports, key=lambda r: int(r.get("words") or 0))
            out.append(Score.from_report(best))
        return out


class LocalScorer:
    """Scores in this process with a profile loaded from disk (the fallback)."""

    name = "local"

    def __init__(self, profile: StyleProfile) -> None:
        self.profile = profile

    def score(self, texts: Sequence[str]) -> list[Score]:
        out: list[Score] = []
        for text in texts:
            result = self.profile.score_text(text)
            out.append(Score(result.score, result.words, result.reasons, dict(result.components)))
        return out


class ScoreCache:
    """Scores by paragraph hash for the current profile revision. Thread-safe, bounded LRU.

    Cleared whenever the profile changes (retraining, a sample edited, another profile
    chosen), so a cached score is always one the current profile would give.
    """

    def __init__(self, capacity: int = 8192) -> None:
        self._items: OrderedDict[str, Score] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self.generation = 0
        """Incremented by :meth:`clear`; work started under an older generation is discarded."""

    def get_many(self, hashes: Sequence[str]) -> dict[str, Score]:
        with self._lock:
            found = {}
            for digest in hashes:
                score = self._items.get(digest)
                if score is not None:
                    self._items.move_to_end(digest)
                    found[digest] = score
            return found

    def put_many(self, items: dict[str, Score], generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            for digest, score in items.items():
                self._items[digest] = score
                self._items.move_to_end(digest)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.generation += 1

    def __len__(self) -> int:
        return len(self._items)
