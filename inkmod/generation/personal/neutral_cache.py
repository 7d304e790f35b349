"""Neutral versions a model already wrote, kept beside the adapter so no run pays for them twice.

Why: the rule-based neutralisers take milliseconds, but a model paraphraser takes seconds per
passage (the 1.5B model about 20 minutes for a 20,000-word folder). A Ctrl-C, a crash or the
next retraining after one new sample must not throw that work away, so each paraphrase is
stored by a digest of the passage and of the neutraliser's ``cache_key`` (its name, model and
prompt: change any of them and the old entries no longer match), written atomically every few
passages. Only neutralisers that declare a ``cache_key`` are cached: a rule-based one changes
with the code and is cheaper to recompute than to trust.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from inkmod.atomic import atomic_write_text

CACHE_FILE = "neutral-cache.json"
SAVE_EVERY = 8


class NeutralCache:
    """``passage -> neutral`` for one neutraliser's ``cache_key``, persisted in ``folder``."""

    def __init__(self, folder: Path, key: str) -> None:
        self.path = folder / CACHE_FILE
        self.key = key
        self.entries: dict[str, str] = {}
        self.hits = 0
        self._used: set[str] = set()
        self._unsaved = 0
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        if isinstance(stored, dict) and stored.get("key") == key:
            entries = stored.get("entries")
            if isinstance(entries, dict):
                self.entries = {str(k): str(v) for k, v in entries.items()}

    @staticmethod
    def _digest(passage: str) -> str:
        return hashlib.sha256(passage.encode("utf-8")).hexdigest()

    def get(self, passage: str) -> str | None:
        digest = self._digest(passage)
        found = self.entries.get(digest)
        if found is not None:
            self.hits += 1
            self._used.add(digest)
        return found

    def put(self, passage: str, neutral: str) -> None:
        digest = self._digest(passage)
        self.entries[digest] = neutral
        self._used.add(digest)
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY:
            self.save()

    def finish(self) -> None:
        """Save, keeping only the passages this run used (a deleted sample's go with it)."""
        if len(self._used) < len(self.entries):
            self.entries = {k: v for k, v in self.entries.items() if k in self._used}
            self._unsaved += 1
        self.save()

    def save(self) -> None:
        if not self._unsaved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"key": self.key, "entries": self.entries}
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False))
        self._unsaved = 0
