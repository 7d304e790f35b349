"""Rewriting with the real embedded models, through llama.cpp."""

from __future__ import annotations

import pytest
from inkmod_sample_texts import HARLAN
from testpaths import EXAMPLES

from inkmod.generation.model import EnhancedStyleModel


@pytest.mark.slow
@pytest.mark.parametrize("model", ["smollm2", "gemma3-270m"])
def test_real_model_rewrite_and_generation(model: str) -> None:
    """Both embedded models, through llama.cpp: train, generate, rewrite with scores."""
    styled = EnhancedStyleModel(backend_name=model)
    stats = styled.train(EXAMPLES / "samples" / "maya", name="maya")
    assert {
        "vocabulary_size",
        "common_phrases",
        "tone_markers",
        "pattern_count",
        "tone_diversity",
        "style_score",
    } <= set(stats)
    try:
        text = styled.generate_response("Write two sentences about the first frost.", max_length=48)
        assert text.strip()
        result = styled.rewrite(HARLAN, k=2)
        paragraph = result.paragraphs[0]
        assert len(paragraph.candidates) == 2
        original_z = styled.require_profile().score_text(HARLAN).z
        good = [
            c
            for c in paragraph.candidates
            if c.z is not None
            and original_z is not None
            and c.z < original_z
            and not c.rejected  # the faithfulness rules accept it
        ]
        if good:  # the best candidate both closer to the writer and faithful
            assert paragraph.changed
            assert paragraph.chosen.rank_score == max(c.rank_score for c in good)
        else:  # otherwise the original is kept, never a worse or unrelated text
            assert not paragraph.changed and paragraph.chosen.text == HARLAN
        assert result.text.strip()
    finally:
        styled.close()
