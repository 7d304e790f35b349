"""A model paraphraser's pairs are kept: a second run, a resumed run, pays only for new passages."""

from __future__ import annotations

import threading
from pathlib import Path

from inkmod.generation.personal.neutral_cache import CACHE_FILE, NeutralCache
from inkmod.generation.personal.pairs import SampleDocument, build_pairs


class CountingNeutraliser:
    """Upper-cases a passage and counts its calls (stands in for a slow model)."""

    name = "counting"
    cache_key = "counting|v1"

    def __init__(self, cancel_after: int | None = None, cancel: threading.Event | None = None):
        self.calls = 0
        self.cancel_after = cancel_after
        self.cancel = cancel

    def __call__(self, text: str) -> str:
        self.calls += 1
        if self.cancel is not None and self.calls == self.cancel_after:
            self.cancel.set()
        return text.upper()


def documents(n: int) -> list[SampleDocument]:
    paragraph = "word " * 60
    return [
        SampleDocument(f"doc{i}", f"d{i}", (f"Passage {i}. {paragraph.strip()}.",))
        for i in range(n)
    ]


def test_a_second_run_reuses_every_paraphrase(tmp_path: Path) -> None:
    docs = documents(5)
    first = CountingNeutraliser()
    pairs = build_pairs(docs, first, cache=NeutralCache(tmp_path, first.cache_key))
    assert first.calls == 5 and (tmp_path / CACHE_FILE).is_file()
    again = CountingNeutraliser()
    cache = NeutralCache(tmp_path, again.cache_key)
    assert build_pairs(docs, again, cache=cache) == pairs
    assert again.calls == 0 and cache.hits == 5


def test_another_key_does_not_reuse(tmp_path: Path) -> None:
    docs = documents(2)
    build_pairs(docs, CountingNeutraliser(), cache=NeutralCache(tmp_path, "counting|v1"))
    other = CountingNeutraliser()
    build_pairs(docs, other, cache=NeutralCache(tmp_path, "counting|v2"))
    assert other.calls == 2


def test_cancel_keeps_what_was_done_and_the_next_run_resumes(tmp_path: Path) -> None:
    docs = documents(6)
    cancel = threading.Event()
    stopping = CountingNeutraliser(cancel_after=3, cancel=cancel)
    seen: list[tuple[int, int]] = []
    partial = build_pairs(
        docs,
        stopping,
        cache=NeutralCache(tmp_path, stopping.cache_key),
        on_passage=lambda done, total: seen.append((done, total)),
        cancel=cancel,
    )
    # The passage whose call saw the cancel is not cached (a cancelled model answer may be cut).
    assert stopping.calls == 3 and len(partial) == 3 and seen[-1] == (3, 6)
    resumed = CountingNeutraliser()
    cache = NeutralCache(tmp_path, resumed.cache_key)
    pairs = build_pairs(docs, resumed, cache=cache)
    assert cache.hits == 2 and resumed.calls == 4 and len(pairs) == 6


def test_passages_no_longer_in_the_samples_are_dropped(tmp_path: Path) -> None:
    docs = documents(4)
    build_pairs(docs, CountingNeutraliser(), cache=NeutralCache(tmp_path, "counting|v1"))
    build_pairs(docs[:2], CountingNeutraliser(), cache=NeutralCache(tmp_path, "counting|v1"))
    assert len(NeutralCache(tmp_path, "counting|v1").entries) == 2
