"""General-English word frequencies: the yardstick a writer's vocabulary is measured against.

Why a background model: whether a paragraph "sounds like you" cannot be judged from your own texts
alone — a paragraph full of everyday words looks close to every profile. Comparing how often *you*
use a word with how often English in general does (a likelihood ratio, as speaker verification does
with a universal background model) separates your habits from the language's. The frequencies come
from the `wordfreq` package's English list, read straight from its data file so that importing the
engine stays cheap (wordfreq's own import pulls in heavy tokenisers we do not need).
"""

from __future__ import annotations

import gzip
import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import msgpack

# Rates for punctuation marks, which word lists do not cover: per word, typical of edited prose.
PUNCTUATION_RATES: dict[str, float] = {
    ".": 0.050,
    ",": 0.050,
    ";": 0.002,
    ":": 0.002,
    "!": 0.003,
    "?": 0.004,
    '"': 0.010,
    "—": 0.002,
    "(": 0.001,
    ")": 0.001,
    "-": 0.003,
}
_WORD_SHARE = 0.85  # words vs punctuation tokens in the joint distribution
_lock = threading.Lock()


class BackgroundUnavailableError(RuntimeError):
    """The wordfreq data file could not be found."""


def _data_file(wordlist: str) -> Path:
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise BackgroundUnavailableError(
            "the 'wordfreq' package is missing; reinstall InkMod: pip install inkmod"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{wordlist}_en.msgpack.gz"
    if not path.is_file():
        raise BackgroundUnavailableError(f"wordfreq data file not found: {path}")
    return path


@lru_cache(maxsize=2)
def _load(wordlist: str) -> tuple[dict[str, float], float]:
    with _lock:
        raw = msgpack.unpackb(gzip.decompress(_data_file(wordlist).read_bytes()), raw=False)
    header, buckets = raw[0], raw[1:]
    if not isinstance(header, dict) or header.get("format") != "cB":
        raise BackgroundUnavailableError("unexpected wordfreq data format")
    freqs: dict[str, float] = {}
    for centibels, words in enumerate(buckets):
        value = 10.0 ** (-centibels / 100.0)
        for word in words:
            freqs[word] = value
    total = sum(freqs.values())
    scale = _WORD_SHARE / total
    table = {word: value * scale for word, value in freqs.items()}
    floor = min(table.values())
    for mark, rate in PUNCTUATION_RATES.items():
        table[mark] = rate
    return table, floor


class Background:
    """Probability of a token (lower-case word or punctuation mark) in general English."""

    def __init__(self, wordlist: str = "large") -> None:
        self._table, self.floor = _load(wordlist)

    def __call__(self, token: str) -> float:
        found = self._table.get(token)
        if found is not None:
            return found
        if "'" in token:
            found = self._table.get(token.replace("'", ""))
            if found is not None:
                return found
        return self.floor

    def __contains__(self, token: str) -> bool:
        return token in self._table


@lru_cache(maxsize=1)
def default_background() -> Background:
    """The shared background instance (loaded once per process, about half a second)."""
    return Background()
