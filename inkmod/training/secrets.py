"""Keeping API keys out of everything the training loop writes or prints.

Why a dedicated scrubber and not just "don't log the key": the key also reaches us *back* from
servers (an OpenAI 401 body quotes part of it; a proxy may echo the Authorization header) and
through exception text from the HTTP stack. Every string that leaves the loop -- console lines,
the run log, checkpoints, reports, error messages -- goes through :func:`scrub` first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

_KEY_RE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*]{6,}")
_BEARER_RE = re.compile(r"\b(Bearer\s+)[A-Za-z0-9._~+/\-]{12,}=*")
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`scrub` removes it wherever it appears."""
    if value and len(value) >= 4:
        _known.add(value)


def known_secrets() -> Iterable[str]:
    env = os.environ.get("OPENAI_API_KEY")
    return [*_known, *([env] if env and len(env) >= 4 else [])]


def scrub_known(text: str) -> str:
    """``text`` with every known key masked (exact matches only).

    Used on files that also hold the writer's own prose (checkpoints, reports), where the
    pattern-based masking of :func:`scrub` could alter an innocent sentence.
    """
    for secret in sorted(known_secrets(), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def scrub(text: str) -> str:
    """``text`` with known keys, anything shaped like an OpenAI key, and bearer tokens masked.

    Used on messages: errors, console lines, log records.
    """
    text = _KEY_RE.sub(r"\1***", scrub_known(text))
    return _BEARER_RE.sub(r"\1***", text)
