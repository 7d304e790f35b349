"""The daemon's copy of the style profile, kept in step with the samples folder and the disk.

Why a store in front of :class:`~inkmod.style.profile.StyleProfile`:

* **one lock**: the watcher thread mutates the profile while request threads score against it;
  every access goes through :attr:`ProfileStore.lock`;
* **a revision number** that increments on every change, so a client (the language server) can
  tell that diagnostics it computed belong to an older profile;
* **a manifest** of the sample files' ``(mtime_ns, size)`` as last synchronised, persisted next
  to the profile, so a daemon starting after the folder changed offline re-reads only the files
  that changed -- the same incremental promise the watcher keeps while it runs;
* **atomic, deferred persistence**: profile and manifest are written with :mod:`inkmod.atomic`
  (temp file, fsync, rename), so a crash leaves the old or the new version, never a torn one.
  Writing waits until the folder is quiet (:meth:`ProfileStore.settle`); a crash before that
  loses nothing, because the manifest on disk is as old as the profile on disk and the next
  start re-reads exactly the files that changed since.

Document ids are paths relative to the samples folder in POSIX form, the same ids training uses,
so a profile trained by ``inkmod train`` is updated in place rather than duplicated.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from inkmod.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from inkmod.style.profile import StyleProfile

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


@dataclass
class ChangeSet:
    """What one synchronisation did to the profile (the body of ``profile.changed``)."""

    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed)

    def merge(self, other: ChangeSet) -> None:
        self.changed += other.changed
        self.removed += other.removed
        self.skipped += other.skipped


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


class ProfileStore:
    """The live profile of one daemon. All public methods are thread-safe."""

    def __init__(self, name: str, manifest_path: Path, samples_dir: Path | None = None) -> None:
        self.name = name
        self.manifest_path = manifest_path
        self.requested_samples = samples_dir.expanduser().resolve() if samples_dir else None
        self.lock = threading.RLock()
        self.profile: StyleProfile | None = None
        self.samples_dir: Path | None = self.requested_samples
        self.revision = 0
        self.error: str | None = None
        self.error_code: str | None = None
        """``not_found`` or ``unusable`` while :attr:`profile` is None after :meth:`open`."""
        self.last_refresh: float | None = None
        self.dirty = False
        """The profile changed since it was last written."""
        self.calibration_stale = False
        self._persist_lock = threading.Lock()
        self._manifest: dict[str, tuple[int, int]] = {}
        self._snapshot: tuple[int, StyleProfile] | None = None

    # -- opening -----------------------------------------------------------------------------

    def open(self) -> ChangeSet:
        """Load the profile (or train it from the samples folder if it does not exist yet) and
        bring it up to date with the folder. Errors are recorded, not raised: the daemon keeps
        serving ``hello``/``status``/``train`` without a profile."""
        changes = self._open_locked()
        if self.dirty and not self.calibration_stale:
            self.persist()  # a freshly trained profile; a reconciled one waits for settle()
        self.warm()
        return changes

    def warm(self) -> None:
        """Fill the live profile's scoring caches (see ``StyleProfile.warm``), so that the first
        document an editor opens is not also the one that builds them. Under the lock, like
        ``analyze``: both write the same caches."""
        with self.lock:
            if self.profile is not None:
                self.profile.warm()

    def _open_locked(self) -> ChangeSet:
        from inkmod.style.build import NoSamplesError
        from inkmod.style.ingest import SamplesFolderError
        from inkmod.style.storage import ProfileError, ProfileNotFoundError, load_profile

        with self.lock:
            self.profile = None
            self._snapshot = None
            try:
                profile = load_profile(self.name)
            except ProfileNotFoundError as exc:
                if self.requested_samples is None:
                    self.error, self.error_code = str(exc), "not_found"
                    return ChangeSet()
                try:
                    return self._install(*self._build(self.requested_samples))
                except (SamplesFolderError, NoSamplesError) as build_error:
                    self.error, self.error_code = str(build_error), "not_found"
                    return ChangeSet()
            except (ProfileError, OSError) as exc:
                self.error, self.error_code = str(exc), "unusable"
                return ChangeSet()
            self.profile = profile
            if self.requested_samples is not None:
                self.samples_dir = self.requested_samples
            elif profile.samples_dir:
                self.samples_dir = Path(profile.samples_dir)
            self._manifest = self._read_manifest()
            self.error = self.error_code = None
            changes = self.reconcile()
            self.revision += 1
            return changes

    def _build(
        self, samples: Path, progress: Any = None, cancel: threading.Event | None = None
    ) -> tuple[StyleProfile, list[Any], Path]:
        """Train a new profile from ``samples`` (no lock needed: touches nothing shared)."""
        from inkmod.style.build import build_profile

        samples = samples.expanduser().resolve()
        profile, skipped = build_profile(samples, self.name, progress=progress)
        if cancel is not None and cancel.is_set():
            raise InterruptedError("training cancelled")
        return profile, skipped, samples

    def _install(self, profile: StyleProfile, skipped: list[Any], samples: Path) -> ChangeSet:
        """Make a freshly trained profile the live one and persist it (lock held)."""
        profile.samples_dir = str(samples)
        self.profile = profile
        self.samples_dir = samples
        self._manifest = {}
        for doc_id in profile.document_ids():
            fp = _fingerprint(samples / doc_id)
            if fp is not None:
                self._manifest[doc_id] = fp
        self.error = self.error_code = None
        self.calibration_stale = False  # build_profile calibrated it
        self.dirty = True  # the caller persists once the lock is released
        self._touch()
        return ChangeSet(
            changed=profile.document_ids(),
            skipped=[{"path": str(s.path), "reason": str(s.reason)} for s in skipped],
        )

    def train(
        self, samples: Path, progress: Any = None, cancel: threading.Event | None = None
    ) -> ChangeSet:
        """Rebuild the profile from ``samples`` from scratch (the ``train`` method).

        The new profile is built without the lock -- ``analyze`` keeps answering from the old
        one meanwhile -- and swapped in at the end."""
        built = self._build(samples, progress, cancel)
        with self.lock:
            changes = self._install(*built)
        self.persist()
        self.warm()
        return changes

    def reload(self) -> ChangeSet:
        """Re-read the profile from disk (someone ran ``inkmod train``) and re-synchronise.
        Run it on the refresh thread, like every other mutation of the documents."""
        with self.lock:
            self.requested_samples = self.samples_dir or self.requested_samples
        return self.open()

    # -- synchronising -------------------------------------------------------------------------

    def doc_id(self, path: Path) -> str | None:
        """The document id for ``path``, or None when it is outside the folder, hidden, an
        editor's temporary file or not a text format the engine reads."""
        from inkmod.style.ingest import TEXT_SUFFIXES, is_ignored_path

        rel = self._relative(path)
        if rel is None or any(part.startswith(".") for part in rel.split("/")):
            return None
        if is_ignored_path(path) or path.suffix.lower() not in TEXT_SUFFIXES:
            return None
        return rel

    def _relative(self, path: Path) -> str | None:
        """``path`` relative to the samples folder (POSIX form), None if outside or the root."""
        if self.samples_dir is None:
            return None
        try:
            rel = Path(os.path.abspath(path)).relative_to(self.samples_dir)
        except ValueError:
            return None
        return rel.as_posix() if rel.parts else None

    def sync_paths(self, paths: Iterable[Path]) -> ChangeSet:
        """Update the profile for these paths only: re-read those that exist, drop those that
        do not. A directory path stands for every document under it (a moved or deleted
        folder)."""
        changes = ChangeSet()
        with self.lock:
            if self.profile is None or self.samples_dir is None:
                return changes
            for path in sorted(set(paths)):
                if path.is_dir():
                    changes.merge(self._sync_tree(path))
                    continue
                doc_id = self.doc_id(path)
                if doc_id is None:
                    # Not a sample itself, but a vanished directory's documents may live below.
                    changes.merge(self._drop_prefix(path))
                    continue
                changes.merge(self._sync_one(path, doc_id))
            if changes:
                self._after_change()
            elif changes.skipped:
                self.last_refresh = time.time()
        return changes

    def reconcile(self) -> ChangeSet:
        """Bring the whole profile in line with the folder, reading only files whose size or
        modification time differs from the manifest."""
        with self.lock:
            if self.profile is None or self.samples_dir is None:
                return ChangeSet()
            if not self.samples_dir.is_dir():
                return ChangeSet()
            changes = self._sync_tree(self.samples_dir, use_manifest=True)
            if changes:
                self._after_change()
            else:
                self.last_refresh = time.time()
            return changes

    def _sync_tree(self, folder: Path, use_manifest: bool = False) -> ChangeSet:
        """Synchronise every sample under ``folder`` and forget documents no longer there.

        Walks with the engine's own :func:`~inkmod.style.ingest.iter_sample_files`, so the
        daemon and ``inkmod train`` agree on what counts as a sample (suffixes, hidden files,
        symlink loops)."""
        from inkmod.style.ingest import SamplesFolderError, SkipSample, iter_sample_files

        assert self.profile is not None and self.samples_dir is not None
        changes = ChangeSet()
        seen: set[str] = set()
        try:
            items = list(iter_sample_files(folder))
        except (SamplesFolderError, OSError):
            items = []
        for item in items:
            if isinstance(item, SkipSample):
                changes.skipped.append({"path": str(item.path), "reason": item.reason})
                continue
            doc_id = self.doc_id(item)
            if doc_id is None:
                continue
            seen.add(doc_id)
            unchanged = self._manifest.get(doc_id) == _fingerprint(item)
            if use_manifest and doc_id in self.profile.documents and unchanged:
                continue
            changes.merge(self._sync_one(item, doc_id))
        prefix = self._relative(folder) if folder != self.samples_dir else ""
        if prefix is not None:
            for doc_id in self.profile.document_ids():
                under = not prefix or doc_id.startswith(prefix + "/")
                if under and doc_id not in seen:
                    self.profile.remove_document(doc_id)
                    self._manifest.pop(doc_id, None)
                    changes.removed.append(doc_id)
        return changes

    def _drop_prefix(self, path: Path) -> ChangeSet:
        """Forget every document below ``path`` (a directory that was deleted or moved away)."""
        assert self.profile is not None
        changes = ChangeSet()
        prefix = self._relative(path)
        if prefix is None:
            return changes
        for doc_id in self.profile.document_ids():
            if doc_id.startswith(prefix + "/"):
                self.profile.remove_document(doc_id)
                self._manifest.pop(doc_id, None)
                changes.removed.append(doc_id)
        return changes

    def _sync_one(self, path: Path, doc_id: str) -> ChangeSet:
        from inkmod.style.ingest import SkipSample, read_sample

        assert self.profile is not None
        changes = ChangeSet()
        fingerprint = _fingerprint(path)
        if fingerprint is None or not path.is_file():
            if self.profile.remove_document(doc_id):
                changes.removed.append(doc_id)
            self._manifest.pop(doc_id, None)
            return changes
        try:
            sample = read_sample(path)
        except SkipSample as exc:
            changes.skipped.append({"path": doc_id, "reason": str(getattr(exc, "reason", exc))})
            if self.profile.remove_document(doc_id):
                changes.removed.append(doc_id)
            self._manifest.pop(doc_id, None)
            return changes
        except OSError as exc:  # vanished between stat and read: the next event settles it
            changes.skipped.append({"path": doc_id, "reason": str(exc)})
            return changes
        replaced = self.profile.add_document(doc_id, sample.text, sample.fmt)
        self._manifest[doc_id] = fingerprint
        if replaced is not False:
            changes.changed.append(doc_id)
        return changes

    def _after_change(self) -> None:
        """Documents changed: new statistics are live now; calibration and the disk follow in
        :meth:`settle`, once the folder is quiet."""
        self._touch()
        self.dirty = True
        self.calibration_stale = True

    def settle(self) -> bool:
        """Recalibrate if documents changed, then persist; True when the calibration moved.

        Why deferred: recalibration is leave-one-document-out over the *whole* profile (4 s for
        a 165-book folder here) and the file is rewritten whole; doing either per save would
        make a one-file edit cost as much as the folder. The statistics -- what scores mostly
        depend on -- are updated per file at once; the calibration and the disk catch up once
        the folder has been quiet for a moment.

        Runs on the refresh thread, the only one that mutates documents, so recalibrating
        needs no lock: concurrent ``analyze`` calls read the old or the new calibration.
        """
        with self.lock:
            profile = self.profile
            stale, self.calibration_stale = self.calibration_stale, False
        recalibrated = False
        if stale and profile is not None:
            profile.recalibrate()
            with self.lock:
                if profile is self.profile:
                    self._touch()
                    recalibrated = True
        if self.dirty:
            self.persist()
        if stale:
            self.warm()  # new statistics and calibration: the caches were dropped
        return recalibrated

    def _touch(self) -> None:
        self.revision += 1
        self.last_refresh = time.time()
        self._snapshot = None

    # -- persistence ---------------------------------------------------------------------------

    def persist(self) -> None:
        """Write profile and manifest atomically, profile first: a manifest never claims more
        than the profile on disk holds, so a crash between the two costs a re-read, not a
        stale profile. Never call with :attr:`lock` held (the order is persist lock, then
        lock)."""
        from inkmod.style.storage import dumps, profile_path

        with self._persist_lock:  # writes land in the order their snapshots were taken
            with self.lock:  # snapshot both under the lock, write them outside it
                if self.profile is None:
                    return
                if self.samples_dir is not None:
                    self.profile.samples_dir = str(self.samples_dir)
                data = dumps(self.profile)
                manifest = {
                    "version": MANIFEST_VERSION,
                    "samples_dir": str(self.samples_dir) if self.samples_dir else None,
                    "files": {k: list(v) for k, v in self._manifest.items()},
                }
                self.dirty = False
            atomic_write_bytes(profile_path(self.name), data)
            atomic_write_bytes(
                self.manifest_path,
                msgpack.packb(manifest, use_bin_type=True, unicode_errors="surrogateescape"),
            )

    def _read_manifest(self) -> dict[str, tuple[int, int]]:
        try:
            payload = msgpack.unpackb(
                self.manifest_path.read_bytes(), raw=False, unicode_errors="surrogateescape"
            )
        except (OSError, ValueError, msgpack.ExtraData, msgpack.FormatError, TypeError):
            return {}
        if not isinstance(payload, dict) or payload.get("version") != MANIFEST_VERSION:
            return {}
        if payload.get("samples_dir") != (str(self.samples_dir) if self.samples_dir else None):
            return {}  # another folder: every fingerprint is meaningless
        files = payload.get("files")
        if not isinstance(files, dict):
            return {}
        return {
            str(k): (int(v[0]), int(v[1]))
            for k, v in files.items()
            if isinstance(v, (list, tuple)) and len(v) == 2
        }

    # -- reading -------------------------------------------------------------------------------

    def snapshot(self) -> StyleProfile:
        """A private copy for long work (a rewrite) that must not hold the lock for seconds.

        Copied once per revision, so twenty rewrites queued on one profile share one copy.
        """
        with self.lock:
            if self.profile is None:
                raise LookupError(self.error or "no profile loaded")
            if self._snapshot is None or self._snapshot[0] != self.revision:
                self._snapshot = (self.revision, copy.deepcopy(self.profile))
            return self._snapshot[1]

    def document_count(self) -> int:
        with self.lock:
            return len(self.profile.documents) if self.profile is not None else 0
