"""Warming a profile fills its scoring caches, and the daemon's store warms what it loads.

The store's ``open`` never called ``StyleProfile.warm`` (its docstring said the daemon did), so
the first document an editor opened paid for every cache: about 30 ms more than the next one
on a 10,000-word document (benchmarks/bench_lsp.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from inkmod.daemon.store import ProfileStore
from inkmod.style.profile import StyleProfile

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "samples"


def _memo_sizes(profile: StyleProfile) -> tuple[int, int]:
    view = profile._view
    if view is None:
        return 0, 0
    model = view.cache.get("shape_model")
    return len(view.cache.get("vocabulary") or ()), len(model.gains) if model else 0


def test_warm_scores_the_writers_own_paragraphs() -> None:
    profile = StyleProfile("w")
    for path in sorted((SAMPLES / "maya").glob("*.md")):
        profile.add_document(path.name, path.read_text(encoding="utf-8"), "markdown")
    profile.recalibrate()
    assert _memo_sizes(profile) == (0, 0)
    profile.warm()
    words, gains = _memo_sizes(profile)
    assert words > 500 and gains > 1000  # far more than the one warm-up sentence holds
    before = profile.score_text(profile.exemplars()[0][1])
    fresh = StyleProfile.from_dict(profile.to_dict())
    assert fresh.score_text(profile.exemplars()[0][1]) == before  # warming changes no score


def test_the_daemon_store_warms_the_profile_it_opens(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES / "maya", samples)
    store = ProfileStore("warm", tmp_path / "manifest.json", samples)
    store.open()
    assert store.profile is not None
    words, gains = _memo_sizes(store.profile)
    assert words > 500 and gains > 1000
