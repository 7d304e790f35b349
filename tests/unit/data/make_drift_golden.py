"""Write ``drift_golden.json``: the figures ``test_drift_golden.py`` holds the engine to.

Run from the repository root, only when the score is changed on purpose:
``python tests/unit/data/make_drift_golden.py > tests/unit/data/drift_golden.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inkmod.style.drift import combine, surprises
from inkmod.style.features import paragraph_features
from inkmod.style.profile import StyleProfile, entry_from_paragraphs
from inkmod.style.tokens import parse_paragraph, split_plain_paragraphs

SAMPLES = Path(__file__).resolve().parents[3] / "examples" / "samples"
TYPOGRAPHIC = (
    "“Well,” she said – and paused… “I don’t know.” It was 1990–1994, "
    "Mr. Smith’s era; we'd all — every one of us — agreed. Then: nothing! Was it worth it? "
    "Perhaps. The results were (as always) ambiguous... and the committee's report said so."
)


def golden_profile() -> StyleProfile:
    """The ``maya`` examples read as plain text (no markup parser involved)."""
    profile = StyleProfile("golden")
    for path in sorted((SAMPLES / "maya").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        paragraphs = [parse_paragraph(p) for p in split_plain_paragraphs(text)]
        profile.add_entry(path.name, entry_from_paragraphs(paragraphs, path.name))
    profile.recalibrate()
    return profile


def cases() -> dict[str, str]:
    """The first long paragraph of each writer's last example, a typographic one, a long one."""
    texts: dict[str, str] = {}
    for writer in ("maya", "harlan", "tess"):
        last = sorted((SAMPLES / writer).glob("*.md"))[-1]
        paragraphs = split_plain_paragraphs(last.read_text(encoding="utf-8"))
        texts[writer] = next(p for p in paragraphs if len(p.split()) > 40)
    texts["typographic"] = TYPOGRAPHIC
    texts["joined"] = " ".join(texts[w] for w in ("maya", "harlan", "tess"))
    return texts


def main() -> None:
    profile = golden_profile()
    assert profile.calibration is not None
    out: dict[str, Any] = {"calibration": profile.calibration.to_dict(), "cases": {}}
    for name, text in cases().items():
        features = paragraph_features(parse_paragraph(text))
        values = surprises(features, profile.view, None, profile.top_function_words()).values
        result = profile.score_text(text)
        out["cases"][name] = {
            "text": text,
            "values": values,
            "combined": combine(values, profile.calibration)[0],
            "score": result.score,
            "z": result.z,
            "reasons": list(result.reasons),
        }
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
