"""Model backends: one protocol, several families, named models.

Importing this package is cheap (no llama.cpp, torch, gpt4all or HTTP client): those load only
when a backend is loaded. Typical use::

    from inkmod.backends import GenerationConfig, create_backend

    backend = create_backend("smollm2")          # or "llama_cpp:/path/model.gguf", "openai:NAME"
    result = backend.generate([{"role": "user", "content": "Hello"}], GenerationConfig())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import (
    Backend,
    BackendFamily,
    BackendInfo,
    ChatMessage,
    FinishReason,
    GenerationConfig,
    GenerationResult,
    Prompt,
    TokenCallback,
)
from .errors import (
    BackendError,
    CorruptModelFileError,
    GenerationError,
    LegacyGGMLError,
    MissingExtraError,
    ModelFileMissingError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from .registry import (
        DEFAULT_MODEL,
        ModelStatus,
        create_backend,
        family_names,
        list_models,
        model_status,
    )

_FROM_REGISTRY = frozenset(
    {
        "DEFAULT_MODEL",
        "ModelStatus",
        "create_backend",
        "family_names",
        "list_models",
        "model_status",
    }
)


def __getattr__(name: str) -> Any:
    """Import the registry (model table, file locations) on first use, not on package import:
    the language server imports the types above long before it needs a model."""
    if name in _FROM_REGISTRY:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "BackendError",
    "BackendFamily",
    "BackendInfo",
    "ChatMessage",
    "CorruptModelFileError",
    "FinishReason",
    "GenerationConfig",
    "GenerationError",
    "GenerationResult",
    "LegacyGGMLError",
    "MissingExtraError",
    "ModelFileMissingError",
    "ModelStatus",
    "Prompt",
    "TokenCallback",
    "UnknownModelError",
    "create_backend",
    "family_names",
    "list_models",
    "model_status",
]
