"""One exception hierarchy for everything a backend can get wrong.

Every message is a single actionable line: the CLI, the daemon and the language server print
``str(error)`` to a human without a traceback, so the message itself must say what to do next.
Catching :class:`BackendError` is enough for callers that only need "it failed, tell the user".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class BackendError(Exception):
    """Base class: a model could not be resolved, loaded or run."""


class UnknownModelError(BackendError):
    """A model name that is neither a registered model nor a ``family:reference`` form."""

    def __init__(self, name: str, valid: Iterable[str], families: Iterable[str] = ()) -> None:
        self.name = name
        self.valid = sorted(valid)
        self.families = sorted(families)
        adhoc = ", ".join(f"{f}:REF" for f in self.families)
        extra = f" (or an ad-hoc model: {adhoc})" if adhoc else ""
        super().__init__(f"unknown model {name!r}; valid names: {', '.join(self.valid)}{extra}")


class ModelFileMissingError(BackendError):
    """The model is known but its weights are not on this machine."""

    def __init__(self, name: str, where: str, how: str) -> None:
        self.name = name
        self.where = where
        self.how = how
        super().__init__(f"weights for {name!r} not found ({where}); {how}")


class MissingExtraError(BackendError):
    """The Python package a backend family needs is not installed."""

    def __init__(self, family: str, module: str, extra: str) -> None:
        self.family = family
        self.module = module
        self.extra = extra
        super().__init__(
            f"the {family} backend needs the {module!r} package; "
            f"install it with: pip install 'inkmod[{extra}]'"
        )


class CorruptModelFileError(BackendError):
    """The file exists but is not a model file we can read (truncated, wrong format...)."""

    def __init__(self, path: os.PathLike[str] | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"cannot read model file {self.path}: {reason}")


class LegacyGGMLError(CorruptModelFileError):
    """A pre-GGUF GGML/GGMF/GGJT ``.bin`` file, which no current runtime loads.

    A subclass of :class:`CorruptModelFileError` because for every caller it means the same
    thing ("this file cannot be loaded"); the message differs because the fix is known.
    """

    def __init__(self, path: os.PathLike[str] | str, variant: str) -> None:
        self.variant = variant
        BackendError.__init__(
            self,
            f"{path} is a legacy {variant} model file (pre-GGUF, no longer loadable); convert it "
            "to GGUF with llama.cpp's convert scripts (e.g. convert_llama_ggml_to_gguf.py "
            "--input OLD.bin --output NEW.gguf) or download a GGUF build of the model",
        )
        self.path = Path(path)
        self.reason = f"legacy {variant} format"


class GenerationError(BackendError):
    """The model loaded but producing text failed (server error, native failure...)."""
