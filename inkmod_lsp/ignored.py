"""Paragraphs the writer asked InkMod to stop flagging, persisted as a small JSON file.

Why content hashes: a paragraph is identified by what it says, not where it is, so an ignored
paragraph stays ignored when text is added above it, and comes back the moment it is edited
(an edited paragraph is a new paragraph that deserves a fresh look).

Where: ``<workspace>/.inkmod/ignored.json`` when the editor opened a folder -- the decision
belongs to the project and can be committed with it -- else ``<state dir>/ignored.json``
(``inkmod.paths.state_dir()``). The file is rewritten atomically; a damaged file is reported
and treated as empty rather than stopping diagnostics.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from inkmod.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

FILE_VERSION = 1


def ignore_file(workspace_root: Path | None) -> Path:
    """Where the ignore list of this workspace lives (see the module docstring)."""
    if workspace_root is not None:
        return workspace_root / ".inkmod" / "ignored.json"
    from inkmod.paths import state_dir

    return state_dir() / "ignored.json"


class IgnoreList:
    """The set of ignored paragraph hashes, loaded lazily and written on every change."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path = path
        self.mode = 0o644 if shared else 0o600
        """Readable by all in a workspace (it may be committed), private in the state dir."""
        self._entries: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self.problem: str | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for item in data.get("paragraphs", []):
                if isinstance(item, dict) and isinstance(item.get("hash"), str):
                    entries[item["hash"]] = item
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            self.problem = f"{self.path} is not readable ({exc}); starting a new ignore list"
            log.warning("%s", self.problem)
        self._entries = entries
        return entries

    def hashes(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._load())

    def add(self, digest: str, excerpt: str = "", uri: str = "") -> bool:
        """Ignore a paragraph; False when it already was."""
        with self._lock:
            entries = self._load()
            if digest in entries:
                return False
            entries[digest] = {
                "hash": digest,
                "excerpt": excerpt[:80],
                "uri": uri,
                "added": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            self._save(entries)
            return True

    def remove(self, digest: str) -> bool:
        with self._lock:
            entries = self._load()
            if entries.pop(digest, None) is None:
                return False
            self._save(entries)
            return True

    def _save(self, entries: dict[str, dict[str, Any]]) -> None:
        payload = {"version": FILE_VERSION, "paragraphs": list(entries.values())}
        data = json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        atomic_write_bytes(self.path, data, self.mode)
