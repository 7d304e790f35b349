"""The registered models as JSON on stdout: ``python -m inkmod.backends.listing``.

Why a module of its own: the language server offers a model picker but must never import a
backend plugin (asking the registry loads them), so it runs this module in a short-lived
subprocess and reads the JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from inkmod.backends.registry import list_models, model_status


def models() -> list[dict[str, Any]]:
    """Every registered model: name, whether its family is installed, whether its weights are
    present, and its description."""
    out = []
    for spec in list_models():
        status = model_status(spec.name)
        out.append(
            {
                "name": spec.name,
                "installed": status.installed,
                "weights": status.weights_present,
                "description": status.description,
            }
        )
    return out


def main() -> None:
    json.dump(models(), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
