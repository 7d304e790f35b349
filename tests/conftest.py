"""Shared fixtures (every test gets its own INKMOD_HOME so nothing touches the user's files) and
the tiers' markers.

Tiers by directory: ``unit/`` (pure logic, no model, no server process), ``integration/`` (real
daemon, backends, training: marked ``slow``), ``e2e/`` (a real language server and editors:
``e2e`` and ``slow``). ``model`` marks the tests that load a real model. Shared helpers live in
``support/`` (on ``sys.path``, see ``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testpaths import CORPORA

TESTS = Path(__file__).resolve().parent
MODEL_TESTS = frozenset(
    {
        "integration/backends/test_gpt4all.py",
        "integration/backends/test_hf.py",
        "integration/backends/test_llama_cpp.py",
        "integration/backends/test_openai_compat.py",
        "integration/daemon/test_daemon_model.py",
        "integration/training/test_e2e.py",
        "integration/training/test_schema_grammar.py",
        "integration/test_rewrite_models.py",
        "integration/test_personal_model.py",
        "e2e/lsp/test_lsp_rewrite_real.py",
        "e2e/editors/test_nvim_plugin.py",
    }
)
"""Test files that load a real model (the embedded GGUFs or a backend library)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            relative = item.path.resolve().relative_to(TESTS).as_posix()
        except ValueError:
            continue
        tier = relative.split("/", 1)[0]
        if tier == "e2e":
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)
        elif tier == "integration":
            item.add_marker(pytest.mark.slow)
        if relative in MODEL_TESTS:
            item.add_marker(pytest.mark.model)


@pytest.fixture(autouse=True)
def inkmod_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("inkhome")
    monkeypatch.setenv("INKMOD_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The team's shared corpora of real prose (present beside the checkout, in CI too)."""
    assert CORPORA.is_dir(), f"expected the shared corpora at {CORPORA}"
    return CORPORA
