"""Profiles on disk: msgpack with a schema version, written atomically, never pickle.

Why msgpack and not pickle: a profile file may be shared or synced between machines, and
unpickling runs arbitrary code. Why a schema version: a profile written by a newer InkMod must give
a clear message, and an older one must be migrated, never crash the editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

from inkmod.atomic import atomic_write_bytes
from inkmod.paths import profiles_dir
from inkmod.style.profile import SCHEMA_VERSION, StyleProfile

MAGIC = "inkmod-profile"
SUFFIX = ".inkprofile"
MAX_PROFILE_BYTES = 512 * 1024 * 1024
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# schema N -> function turning a schema-N dict into a schema-(N+1) dict.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class ProfileError(Exception):
    """A profile cannot be used; the message says why and what to do."""


class ProfileNotFoundError(ProfileError):
    pass


class ProfileSchemaError(ProfileError):
    pass


class ProfileCorruptError(ProfileError):
    pass


def validate_name(name: str) -> str:
    """Profile names become file names: letters, digits, '.', '_' and '-' only."""
    if not _NAME_RE.match(name):
        raise ProfileError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return name


def profile_path(name: str) -> Path:
    return profiles_dir() / f"{validate_name(name)}{SUFFIX}"


def list_profiles() -> list[str]:
    folder = profiles_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}") if p.is_file())


UNICODE_ERRORS = "surrogateescape"
"""Sample file names need not be UTF-8 (``b'bad\\xffname.txt'``): Python holds their undecodable
bytes as lone surrogates, which msgpack writes back as the original bytes and reads as the same
surrogates, so such names round-trip losslessly."""


def dumps(profile: StyleProfile) -> bytes:
    payload = {"magic": MAGIC, **profile.to_dict()}
    return msgpack.packb(payload, use_bin_type=True, unicode_errors=UNICODE_ERRORS)


def loads(data: bytes, source: str = "profile") -> StyleProfile:
    """Decode a profile, migrating older schemas; clear errors for anything else."""
    try:
        payload = msgpack.unpackb(
            data, raw=False, strict_map_key=False, unicode_errors=UNICODE_ERRORS
        )
    except Exception as exc:  # msgpack raises several unrelated types
        raise ProfileCorruptError(f"{source} is not a valid InkMod profile ({exc})") from None
    if not isinstance(payload, dict) or payload.get("magic") != MAGIC:
        raise ProfileCorruptError(f"{source} is not an InkMod profile")
    schema = payload.get("schema")
    if not isinstance(schema, int):
        raise ProfileCorruptError(f"{source} has no schema version")
    if schema > SCHEMA_VERSION:
        raise ProfileSchemaError(
            f"{source} was written by a newer InkMod (profile schema {schema}; this version "
            f"reads up to {SCHEMA_VERSION}): upgrade with `pip install -U inkmod`"
        )
    while schema < SCHEMA_VERSION:
        migrate = MIGRATIONS.get(schema)
        if migrate is None:
            raise ProfileSchemaError(
                f"{source} uses profile schema {schema}, which this InkMod cannot migrate: "
                "retrain it with `inkmod train`"
            )
        payload = migrate(payload)
        schema = int(payload["schema"])
    if not isinstance(payload.get("documents"), dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in payload["documents"].items()
    ):
        raise _corrupt(source, payload, "'documents' is not a map of sample entries")
    try:
        return StyleProfile.from_dict(payload)
    except Exception as exc:  # any shape error deep inside: never a crash, always "corrupt"
        raise _corrupt(source, payload, f"{type(exc).__name__}: {exc}") from None


def _corrupt(source: str, payload: dict[str, Any], detail: str) -> ProfileCorruptError:
    name = payload.get("name")
    name = name if isinstance(name, str) and _NAME_RE.match(name) else "NAME"
    return ProfileCorruptError(
        f"{source} is corrupt ({detail}): retrain with "
        f"`inkmod train --samples DIR --profile {name}`"
    )


def save_profile(profile: StyleProfile, path: Path | None = None) -> Path:
    """Write the profile atomically and return where it went."""
    target = path or profile_path(profile.name)
    atomic_write_bytes(target, dumps(profile))
    return target


def load_profile(name_or_path: str | Path) -> StyleProfile:
    """Load a profile by name (from the data dir) or by file path."""
    if isinstance(name_or_path, Path) or str(name_or_path).endswith(SUFFIX):
        path = Path(name_or_path)
    else:
        path = profile_path(str(name_or_path))
    if not path.is_file():
        known = ", ".join(list_profiles()) or "none yet"
        raise ProfileNotFoundError(
            f"no profile {str(name_or_path)!r} (known profiles: {known}); "
            "create one with `inkmod train --samples DIR`"
        )
    size = path.stat().st_size
    if size > MAX_PROFILE_BYTES:
        raise ProfileCorruptError(f"{path} is implausibly large ({size} bytes)")
    return loads(path.read_bytes(), str(path))


def delete_profile(name: str) -> bool:
    path = profile_path(name)
    if path.exists():
        path.unlink()
        return True
    return False
