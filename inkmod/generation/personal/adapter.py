"""Where a personal adapter lives, what it was trained for, and whether it may be used.

Why a manifest: an adapter is only right for the base model file, prompt format and samples it
was trained on. A LoRA applied to another base model's weights, or prompted in another format,
produces fluent nonsense with no error anywhere, so every mismatch is detected here, reported in
words, and the adapter is not used.

Why samples may drift a little: a writer edits their samples all the time. Refusing the adapter
after every typo would leave them without one for the 15 minutes a retrain takes, so the adapter
stays usable (and says by how much the samples changed) until :data:`RETRAIN_FRACTION` of the
words changed; from there it is stale, and the daemon retrains in the background.

Layout, beside the profile ``<profiles>/<name>.inkprofile``::

    <profiles>/<name>.adapter/
        adapter.gguf       llama.cpp LoRA (what rewrites load)
        manifest.json      what it was trained for (written last: its presence means "complete")
        status.json        progress of a running training (pid, step, total)
        checkpoint/        optimizer + adapter state of an interrupted run (resumed next time)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inkmod.atomic import atomic_write_text, pid_alive
from inkmod.generation.personal.format import PROMPT_FORMAT_VERSION
from inkmod.paths import cache_dir, profiles_dir

ADAPTER_FILE = "adapter.gguf"
MANIFEST_FILE = "manifest.json"
STATUS_FILE = "status.json"
CHECKPOINT_DIR = "checkpoint"
MANIFEST_VERSION = 1
# Share of the samples' words that may change before the adapter is stale (and retrained).
RETRAIN_FRACTION = 0.20

AdapterKind = Literal["absent", "training", "ready", "stale"]
DocumentDigests = Mapping[str, tuple[str, int]]  # doc id -> (sha256 of the file's text, words)


def adapter_dir(profile_name: str) -> Path:
    """The adapter folder beside the profile file (names validated like profile names)."""
    from inkmod.style.storage import validate_name

    return profiles_dir() / f"{validate_name(profile_name)}.adapter"


# --- revisions --------------------------------------------------------------------------------


def revision_of(documents: DocumentDigests) -> str:
    """A short, order-independent digest of a set of sample documents."""
    h = hashlib.sha256()
    for doc_id in sorted(documents):
        h.update(doc_id.encode("utf-8", "surrogatepass") + b"\0")
        h.update(documents[doc_id][0].encode("ascii") + b"\n")
    return h.hexdigest()[:12]


def profile_documents(profile: Any) -> dict[str, tuple[str, int]]:
    """``{doc id: (digest, words)}`` of a :class:`~inkmod.style.profile.StyleProfile`.

    The profile already stores a SHA-256 per document, so this costs nothing.
    """
    return {doc_id: (e.digest, int(e.words)) for doc_id, e in profile.documents.items()}


@dataclass(frozen=True)
class SampleChange:
    """How much of the samples changed between two revisions."""

    fraction: float
    added: int
    removed: int
    changed: int

    def describe(self) -> str:
        parts = [
            f"{n} {what}"
            for n, what in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.removed, "removed"),
            )
            if n
        ]
        files = ", ".join(parts) if parts else "no files"
        return f"samples changed since training: {files} ({self.fraction:.0%} of the words)"


def sample_change(old: DocumentDigests, new: DocumentDigests) -> SampleChange:
    """Share of words in documents that were added, removed or edited (the larger side counts)."""
    added = removed = changed = 0
    moved = 0
    for doc_id in old.keys() | new.keys():
        before, after = old.get(doc_id), new.get(doc_id)
        if before is not None and after is not None and before[0] == after[0]:
            continue
        if before is None:
            added += 1
        elif after is None:
            removed += 1
        else:
            changed += 1
        moved += max(before[1] if before else 0, after[1] if after else 0)
    total = max(sum(w for _, w in old.values()), sum(w for _, w in new.values()), 1)
    return SampleChange(min(1.0, moved / total), added, removed, changed)


def changed_enough(old: DocumentDigests, new: DocumentDigests) -> bool:
    """The daemon's rule for a background retrain: at least RETRAIN_FRACTION of words changed."""
    return sample_change(old, new).fraction >= RETRAIN_FRACTION


# --- base model hash (cached: the file is 100 MB) ---------------------------------------------


def _hash_cache_file() -> Path:
    return cache_dir() / "file-sha256.json"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, cached by resolved path + size + mtime (hashing 100 MB takes ~0.3 s)."""
    real = path.resolve()
    st = real.stat()
    key = str(real)
    stamp = [st.st_size, st.st_mtime_ns]
    cache_path = _hash_cache_file()
    try:
        cache: dict[str, Any] = json.loads(cache_path.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    hit = cache.get(key)
    if isinstance(hit, dict) and hit.get("stamp") == stamp and isinstance(hit.get("sha256"), str):
        return str(hit["sha256"])
    h = hashlib.sha256()
    with real.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    cache[key] = {"stamp": stamp, "sha256": digest}
    with contextlib.suppress(OSError):  # a read-only cache only costs the next caller a hash
        atomic_write_text(cache_path, json.dumps(cache, indent=1, sort_keys=True))
    return digest


# --- manifest ---------------------------------------------------------------------------------


@dataclass
class Manifest:
    """What an adapter was trained for and how well it did (``manifest.json``)."""

    profile: str
    revision: str
    documents: dict[str, tuple[str, int]]
    base_model: str
    base_sha256: str
    prompt_format: int
    neutraliser: str
    steps: int
    epochs: float
    validation_loss: float | None
    base_validation_loss: float | None
    train_pairs: int
    validation_pairs: int
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    created_at: float = field(default_factory=time.time)
    version: int = MANIFEST_VERSION

    def to_json(self) -> str:
        data = dict(self.__dict__)
        data["documents"] = {k: list(v) for k, v in self.documents.items()}
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["documents"] = {k: (str(v[0]), int(v[1])) for k, v in data["documents"].items()}
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def write_manifest(folder: Path, manifest: Manifest) -> None:
    atomic_write_text(folder / MANIFEST_FILE, manifest.to_json(), mode=0o644)


def read_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest.from_json((folder / MANIFEST_FILE).read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


# --- training status --------------------------------------------------------------------------


def write_status(folder: Path, *, step: int, total: int, loss: float | None) -> None:
    """Progress of the running training, read by ``adapter_state`` in other processes."""
    status = {
        "pid": os.getpid(),
        "step": step,
        "total": total,
        "loss": loss,
        "updated_at": time.time(),
    }
    atomic_write_text(folder / STATUS_FILE, json.dumps(status), mode=0o644)


def clear_status(folder: Path) -> None:
    (folder / STATUS_FILE).unlink(missing_ok=True)


def read_status(folder: Path) -> dict[str, Any] | None:
    """The running training's status, or None (no file, unreadable, or its process is gone)."""
    try:
        status = json.loads((folder / STATUS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or not pid_alive(int(status.get("pid", -1))):
        return None
    return status


# --- state ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdapterState:
    """What ``inkmod profile show`` and ``daemon status`` report, and what rewrites obey.

    ``usable`` is the single rule every caller applies: only then is ``path`` loaded. While a
    new adapter trains, a previous one that is still valid stays usable.
    """

    kind: AdapterKind
    path: Path | None = None
    manifest: Manifest | None = None
    percent: float | None = None
    reason: str | None = None
    change: SampleChange | None = None
    usable: bool = False

    @property
    def revision(self) -> str | None:
        return self.manifest.revision if self.manifest else None

    def describe(self) -> str:
        if self.kind == "absent":
            return "absent"
        if self.kind == "training":
            pct = f" {self.percent:.0f} %" if self.percent is not None else ""
            extra = f" (using the adapter trained on {self.revision})" if self.usable else ""
            return f"training{pct}{extra}"
        if self.kind == "ready":
            note = f"; {self.change.describe()}" if self.change and self.change.fraction else ""
            return f"ready, trained on revision {self.revision}{note}"
        return f"stale: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "usable": self.usable,
            "path": str(self.path) if self.path else None,
            "revision": self.revision,
            "percent": self.percent,
            "reason": self.reason,
            "changed_fraction": self.change.fraction if self.change else None,
            "validation_loss": self.manifest.validation_loss if self.manifest else None,
            "description": self.describe(),
        }


def check_manifest(
    manifest: Manifest,
    documents: DocumentDigests | None,
    base_model: Path | None,
) -> tuple[str | None, SampleChange | None]:
    """``(reason it is stale or None, sample change)`` for a complete adapter."""
    if manifest.version != MANIFEST_VERSION:
        return f"manifest version {manifest.version} is not {MANIFEST_VERSION}; retrain", None
    if manifest.prompt_format != PROMPT_FORMAT_VERSION:
        return (
            f"trained for prompt format {manifest.prompt_format}, this InkMod uses "
            f"{PROMPT_FORMAT_VERSION}; retrain",
            None,
        )
    if base_model is None or not base_model.is_file():
        return "the base model file is not installed", None
    if file_sha256(base_model) != manifest.base_sha256:
        return f"the base model file differs from the one it was trained on ({base_model})", None
    change = None
    if documents is not None:
        change = sample_change(manifest.documents, documents)
        if change.fraction >= RETRAIN_FRACTION:
            return change.describe(), change
    return None, change


def adapter_state(
    profile_name: str,
    *,
    documents: DocumentDigests | None = None,
    base_model: Path | None = None,
) -> AdapterState:
    """The adapter's state for ``profile_name``.

    ``documents`` defaults to the saved profile's documents (``profile_documents``), and
    ``base_model`` to the embedded SmolLM2 file; pass them when they are already at hand (the
    daemon has the live profile in memory).
    """
    folder = adapter_dir(profile_name)
    if base_model is None:
        from inkmod.backends.models import smollm2_path

        base_model = smollm2_path()
    if documents is None:
        documents = _saved_profile_documents(profile_name)
    status = read_status(folder)
    manifest = read_manifest(folder)
    gguf = folder / ADAPTER_FILE
    reason: str | None = None
    change: SampleChange | None = None
    if manifest is not None and gguf.is_file():
        reason, change = check_manifest(manifest, documents, base_model)
    elif manifest is not None:
        manifest, reason = None, None
    usable = manifest is not None and reason is None
    if status is not None:
        total = max(1, int(status.get("total") or 1))
        percent = 100.0 * min(1.0, int(status.get("step") or 0) / total)
        return AdapterState(
            "training",
            path=gguf if usable else None,
            manifest=manifest,
            percent=percent,
            reason=reason,
            change=change,
            usable=usable,
        )
    if manifest is None:
        return AdapterState("absent")
    if reason is not None:
        return AdapterState("stale", path=gguf, manifest=manifest, reason=reason, change=change)
    return AdapterState("ready", path=gguf, manifest=manifest, change=change, usable=True)


def _saved_profile_documents(profile_name: str) -> dict[str, tuple[str, int]] | None:
    from inkmod.style.storage import ProfileError, load_profile

    try:
        return profile_documents(load_profile(profile_name))
    except ProfileError:
        return None


def usable_adapter(profile_name: str, **kwargs: Any) -> Path | None:
    """The adapter file to load for rewrites, or None (absent, stale, or still training)."""
    state = adapter_state(profile_name, **kwargs)
    return state.path if state.usable else None
