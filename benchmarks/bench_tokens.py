"""Sentence splitter and stemmer: the hand-written ones against pysbd, syntok and snowballstemmer.

Run: ``python -m benchmarks tokens [--workers N]`` from the repository root (issue 14). It prints
the figures measured in this run and asserts nothing. Needs ``pip install pysbd syntok
snowballstemmer``; a candidate that is not installed is reported and skipped.

There is no gold sentence segmentation of the corpora, so the splitters are compared three ways:
(1) Gold cases: ``tests/unit/data/sentence_gold.json``, splits of tricky paragraphs
    (abbreviations, initials, numbers, quotes, ellipses, URLs, lists) checked by hand, none a
    splitter's output. Exact paragraphs right, and boundary precision / recall.
(2) Speed and agreement on the corpora: every paragraph of every corpus file split by each
    splitter (best of three, MB/s of UTF-8 text), and how many of the hand-written splitter's
    sentence boundaries each library also puts there (and the reverse).
(3) The drift score: mean ROC AUC per corpus at 150/300 words — exactly the "InkMod drift" row of
    ``python -m benchmarks style`` — with the engine's splitter (``tokens.split_sentences``, also
    the one ``features`` uses) or the drift score's stemmer (``features.repetition``, the stem
    being the first five letters of a content word) replaced by a candidate in a fresh process.
    Profile and windows are both tokenised by the variant, as training and scoring would be. In
    the same process: the cold scoring time of a 10,000-word document (``bench_style``'s
    measure, median of three), the budget being 30-50 ms.

The stem of ``inkmod.generation.faithfulness``'s content terms (what a rewrite must keep) does
not enter the drift score. Its hand-written suffix strip (kept here as ``_suffix_strip``) is
compared with Porter2, which replaced it, for speed, for which word types of the corpora each
conflates, on hand-labelled pairs where the two disagree (``tests/unit/data/stem_pairs.json``)
and for the cost of the content terms of every corpus paragraph; its AUC row is that of the
drift score using it as the repetition stem.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

from benchmarks.bench_style import SIZES, _auc, _corpus_files, _load, build_profile, run_scoring
from benchmarks.corpora import corpora_root, held_out_windows
from inkmod.style import features, tokens
from inkmod.style import lexicons as lx
from inkmod.style.drift import combine, surprises
from inkmod.style.tokens import split_plain_paragraphs

Span = tuple[int, int, str]
Splitter = Callable[[str], list[Span]]
DATA = Path(__file__).resolve().parent.parent / "tests" / "unit" / "data"
GOLD = DATA / "sentence_gold.json"
STEM_PAIRS = DATA / "stem_pairs.json"
_TERMINATOR_RE = re.compile(r"(?:[.!?…]+|[:;]—)$")
_CLOSERS = "\"'”’)]"
_HANDWRITTEN_SPLIT = tokens.split_sentences
_HANDWRITTEN_REPETITION = features.repetition


# ------------------------------------------------------------------------------------------
# candidates, as drop-in replacements with the engine's interface
# ------------------------------------------------------------------------------------------


def _spans_from_starts(text: str, starts: Sequence[int]) -> list[Span]:
    """``split_sentences``-style spans from sentence start offsets: each sentence runs to the
    next one's start, trailing spaces left out; its terminator is its final mark without the
    closing quotes or brackets after it (as the hand-written splitter reports it)."""
    spans: list[Span] = []
    bounds = [*starts, len(text)]
    for start, stop in pairwise(bounds):
        chunk = text[start:stop].rstrip()
        if not chunk:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        found = _TERMINATOR_RE.search(chunk.rstrip(_CLOSERS))
        spans.append((start + lead, start + len(chunk), found.group(0) if found else ""))
    return spans


def pysbd_splitter() -> Splitter:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)

    def split(text: str) -> list[Span]:
        # pysbd's own char_span search is slower still; its segments are consecutive pieces of
        # the text (clean=False), so each is found from where the previous one ended.
        starts, cursor = [], 0
        for segment in segmenter.segment(text):
            piece = segment.strip()
            if not piece:
                continue
            at = text.find(piece, cursor)
            if at < 0:  # not found verbatim: continue from the cursor
                at = cursor
            starts.append(at)
            cursor = at + len(piece)
        return _spans_from_starts(text, starts)

    return split


def syntok_splitter() -> Splitter:
    from syntok import segmenter

    def split(text: str) -> list[Span]:
        starts = [
            sentence[0].offset
            for paragraph in segmenter.analyze(text)
            for sentence in paragraph
            if sentence
        ]
        return _spans_from_starts(text, starts)

    return split


SPLITTERS: dict[str, Callable[[], Splitter]] = {
    "inkmod (hand-written)": lambda: _HANDWRITTEN_SPLIT,
    "pysbd": pysbd_splitter,
    "syntok": syntok_splitter,
}


def _prefix_stem(word: str) -> str:
    return word[: features._STEM_CHARS]


def _suffix_strip(word: str) -> str:
    """The faithfulness rules' hand-written stem until Porter2 replaced it (kept here so the
    comparison can be re-run)."""
    for suffix in ("ing", "edly", "ed", "ies", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _suffix_stem() -> Callable[[str], str]:
    return _suffix_strip


class _Porter2:
    """Porter2 (snowballstemmer, pure Python) behind a per-word cache, as the engine would keep
    one: words repeat. ``clear`` empties it, as in a freshly started daemon, whose stored profile
    holds counts, not stems."""

    def __init__(self) -> None:
        import snowballstemmer

        self._stem_word = snowballstemmer.stemmer("english").stemWord
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        found = self._cache.get(word)
        if found is None:
            found = self._cache[word] = self._stem_word(word)
        return found

    def clear(self) -> None:
        self._cache.clear()


STEMMERS: dict[str, Callable[[], Callable[[str], str]]] = {
    "prefix-5 (shipped)": lambda: _prefix_stem,
    "suffix strip (replaced)": _suffix_stem,
    "snowball english (Porter2)": _Porter2,
}


def repetition_with(stem: Callable[[str], str]) -> Callable[[Sequence[str]], float]:
    """``features.repetition`` with another stem for its content-word repeats."""
    return functools.partial(_HANDWRITTEN_REPETITION, stem=stem)


SHIPPED = ("inkmod (hand-written)", "prefix-5 (shipped)")
VARIANTS: tuple[tuple[str, str], ...] = (
    SHIPPED,
    ("pysbd", SHIPPED[1]),
    ("syntok", SHIPPED[1]),
    (SHIPPED[0], "suffix strip (replaced)"),
    (SHIPPED[0], "snowball english (Porter2)"),
)


def _available(name: str) -> bool:
    module = {"pysbd": "pysbd", "syntok": "syntok", "snowball english (Porter2)": "snowballstemmer"}
    if name not in module:
        return True
    import importlib.util

    return importlib.util.find_spec(module[name]) is not None


# ------------------------------------------------------------------------------------------
# (1) gold cases, (2) speed and agreement on the corpora
# ------------------------------------------------------------------------------------------


def _boundaries(text: str, spans: Sequence[Span]) -> set[int]:
    """Where sentences end, inside the text (the paragraph's own end is not a decision)."""
    last = len(text.rstrip())
    return {end for _, end, _ in spans if end < last}


def run_gold(splitters: dict[str, Splitter]) -> dict[str, dict[str, Any]]:
    cases = json.loads(GOLD.read_text(encoding="utf-8"))["cases"]
    out: dict[str, dict[str, Any]] = {}
    for name, split in splitters.items():
        right, hits, found, wanted, missed = 0, 0, 0, 0, []
        for case in cases:
            text, gold = case["text"], case["sentences"]
            spans = split(text)
            if [text[s:e] for s, e, _ in spans] == gold:
                right += 1
            else:
                missed.append(case["name"])
            ends, at = [], 0
            for sentence in gold:
                at = text.index(sentence, at) + len(sentence)
                ends.append(at)
            expected = _boundaries(text, [(0, e, "") for e in ends])
            got = _boundaries(text, spans)
            hits += len(expected & got)
            found += len(got)
            wanted += len(expected)
        out[name] = {
            "cases": len(cases),
            "right": right,
            "precision": hits / found if found else 1.0,
            "recall": hits / wanted if wanted else 1.0,
            "missed": missed,
        }
    return out


def print_gold(figures: dict[str, dict[str, Any]]) -> None:
    first = next(iter(figures.values()))
    print(f"\n== Gold cases: {first['cases']} hand-checked paragraphs ({GOLD.name})")
    print(f"  {'splitter':<24}{'exact':>8}{'boundary P':>12}{'boundary R':>12}")
    for name, f in figures.items():
        print(
            f"  {name:<24}{f['right']:>4}/{f['cases']:<3}{f['precision']:>12.3f}"
            f"{f['recall']:>12.3f}"
        )
    for name, f in figures.items():
        print(f"  {name} misses: {', '.join(f['missed']) or 'none'}")


def _corpus_paragraphs() -> list[str]:
    # What the engine splits: paragraphs with typographic apostrophes folded.
    return [
        tokens.normalise(p)
        for path in _corpus_files()
        for p in split_plain_paragraphs(path.read_text(encoding="utf-8"))
    ]


def run_speed(splitters: dict[str, Splitter], repeats: int) -> dict[str, dict[str, float]]:
    paragraphs = _corpus_paragraphs()
    megabytes = sum(len(p.encode("utf-8")) for p in paragraphs) / 1e6
    reference: list[set[int]] = []
    out: dict[str, dict[str, float]] = {}
    for name, split in splitters.items():
        best, results = float("inf"), []
        # One pass of a slow splitter over 2.6 MB is enough to time it.
        for _ in range(repeats if name != "pysbd" else 1):
            start = time.perf_counter()
            results = [split(p) for p in paragraphs]
            best = min(best, time.perf_counter() - start)
        ends = [_boundaries(p, spans) for p, spans in zip(paragraphs, results, strict=True)]
        if not reference:
            reference = ends
        shared = sum(len(a & b) for a, b in zip(reference, ends, strict=True))
        out[name] = {
            "megabytes": megabytes,
            "seconds": best,
            "sentences": sum(len(r) for r in results),
            "of_handwritten": shared / max(1, sum(map(len, reference))),
            "handwritten_of_it": shared / max(1, sum(map(len, ends))),
        }
    return out


def print_speed(figures: dict[str, dict[str, float]]) -> None:
    mb = next(iter(figures.values()))["megabytes"]
    print(f"\n== Splitting every corpus paragraph ({mb:.2f} MB, apostrophes folded; best of runs)")
    print(
        f"  {'splitter':<24}{'MB/s':>8}{'x inkmod':>10}{'sentences':>11}"
        f"{'has inkmod ends':>17}{'inkmod has its':>16}"
    )
    base = next(iter(figures.values()))["seconds"]
    for name, f in figures.items():
        print(
            f"  {name:<24}{mb / f['seconds']:>8.2f}{base / f['seconds']:>10.3f}"
            f"{f['sentences']:>11.0f}{f['of_handwritten']:>17.3f}{f['handwritten_of_it']:>16.3f}"
        )
    print("  (inside-paragraph boundaries; 'x inkmod' > 1 is faster than the hand-written one)")


def run_stemmers(repeats: int) -> dict[str, dict[str, float]]:
    """Speed of each stemmer over the corpora's content words, and which types each conflates."""
    function = lx.FUNCTION_WORD_SET
    running = [w for p in _corpus_paragraphs() for w in features.lower_tokens(p) if w.isalpha()]
    words = [w for w in running if len(w) > 3 and w not in function]
    types = sorted(set(words))
    out: dict[str, dict[str, float]] = {}
    classes: dict[str, set[tuple[str, str]]] = {}
    for name, make in STEMMERS.items():
        if not _available(name):
            continue
        best = float("inf")
        for _ in range(repeats):
            stem = make()  # a fresh cache each time: the first of a word's uses pays for it
            start = time.perf_counter()
            for w in words:
                stem(w)
            best = min(best, time.perf_counter() - start)
        groups: dict[str, list[str]] = defaultdict(list)
        for t in types:
            groups[stem(t)].append(t)
        classes[name] = {pair for g in groups.values() for pair in combinations(g, 2)}
        out[name] = {"words": len(words), "types": len(types), "seconds": best}
        # A daemon loading a stored profile starts with an empty cache: what stemming costs the
        # first 10,000 running words it scores (no cache here but the stemmer's own).
        first = [w for w in running[:10_000] if len(w) > 3 and w not in function]
        cold = float("inf")
        for _ in range(repeats):
            stem = make()
            start = time.perf_counter()
            for w in first:
                stem(w)
            cold = min(cold, time.perf_counter() - start)
        out[name]["cold_10k_ms"] = cold * 1000
        out[name]["stems"] = len(groups)
    porter = classes.get("snowball english (Porter2)")
    for name, pairs in classes.items():
        if porter is not None:
            shared = len(pairs & porter)
            out[name]["pairs"] = len(pairs)
            out[name]["precision"] = shared / max(1, len(pairs))
            out[name]["recall"] = shared / max(1, len(porter))
    return out


def print_stemmers(figures: dict[str, dict[str, float]]) -> None:
    first = next(iter(figures.values()))
    print(
        f"\n== Stemmers over the corpora's {first['words']:.0f} content words "
        f"({first['types']:.0f} types; best of runs, each with a cold cache)"
    )
    print(
        f"  {'stemmer':<30}{'Mwords/s':>9}{'stems':>8}{'conflated pairs':>17}"
        f"{'of them Porter2 also':>22}{'of Porter2 pairs':>18}{'first 10k words':>17}"
    )
    for name, f in figures.items():
        rate = f["words"] / f["seconds"] / 1e6
        print(
            f"  {name:<30}{rate:>9.2f}{f['stems']:>8.0f}{f.get('pairs', 0):>17.0f}"
            f"{f.get('precision', float('nan')):>22.3f}{f.get('recall', float('nan')):>18.3f}"
            f"{f['cold_10k_ms']:>14.1f} ms"
        )
    print(
        "  (pairs: word types given the same stem; 'first 10k words': stemming the content words"
        " of 10,000 running words with an empty cache, as a freshly started daemon does)"
    )


LABELS = ("inflection", "derivation", "unrelated")


def run_stem_pairs() -> dict[str, dict[str, tuple[int, int]]]:
    """Per stemmer and label: how many of the hand-labelled pairs it gives one stem, of how many
    (the pairs drawn from both sides of the disagreement together)."""
    pairs = json.loads(STEM_PAIRS.read_text(encoding="utf-8"))["pairs"]
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for name, make in STEMMERS.items():
        if not _available(name):
            continue
        stem = make()
        out[name] = {}
        for label in LABELS:
            chosen = [p["words"] for p in pairs if p["label"] == label]
            joined = sum(stem(a) == stem(b) for a, b in chosen)
            out[name][label] = (joined, len(chosen))
    return out


def print_stem_pairs(figures: dict[str, dict[str, tuple[int, int]]]) -> None:
    print(f"\n== Hand-labelled word pairs on which two stemmers disagree ({STEM_PAIRS.name})")
    print(f"  {'stemmer':<30}" + "".join(f"{'joins ' + label:>20}" for label in LABELS))
    for name, f in figures.items():
        print(f"  {name:<30}" + "".join(f"{f'{f[k][0]}/{f[k][1]}':>20}" for k in LABELS))
    print("  (one word and one root should be joined; unrelated words should not)")


def run_content_terms(repeats: int) -> dict[str, dict[str, float]]:
    """The faithfulness rules' content terms of every corpus paragraph (what each candidate
    rewrite is checked on), with each stem and its cache empty at the start of each run."""
    from inkmod.generation import faithfulness

    paragraphs = _corpus_paragraphs()
    words = sum(len(p.split()) for p in paragraphs)
    shipped = faithfulness._stem
    out: dict[str, dict[str, float]] = {}
    for name, stem in (("suffix strip (replaced)", _suffix_strip), ("Porter2 (shipped)", shipped)):
        faithfulness._stem = stem  # type: ignore[assignment]
        best = float("inf")
        try:
            for _ in range(repeats):
                shipped.cache_clear()
                start = time.perf_counter()
                for p in paragraphs:
                    faithfulness.content_terms(p)
                best = min(best, time.perf_counter() - start)
        finally:
            faithfulness._stem = shipped
        out[name] = {
            "paragraphs": len(paragraphs),
            "us_per_paragraph": best / len(paragraphs) * 1e6,
            "ms_per_10k_words": best / words * 10_000 * 1000,
        }
    return out


def print_content_terms(figures: dict[str, dict[str, float]]) -> None:
    first = next(iter(figures.values()))
    print(
        f"\n== Faithfulness content terms of all {first['paragraphs']:.0f} corpus paragraphs"
        " (stem cache empty at the start of each run; best of runs)"
    )
    for name, f in figures.items():
        print(
            f"  {name:<26}{f['us_per_paragraph']:>8.1f} us per paragraph"
            f"{f['ms_per_10k_words']:>8.1f} ms per 10,000 words"
        )


# ------------------------------------------------------------------------------------------
# (3) the drift score with each variant, and its scoring time
# ------------------------------------------------------------------------------------------


def _install(variant: tuple[str, str], memo: bool) -> Callable[[], None] | None:
    """Put a variant's splitter and stemmer in place in this (fresh worker) process; return what
    empties the stemmer's cache, if it keeps one."""
    split_name, stem_name = variant
    split = SPLITTERS[split_name]()
    if memo:  # windows recur in every author's task: split each text once per process
        cache: dict[str, list[Span]] = {}
        plain = split

        def split(text: str) -> list[Span]:
            found = cache.get(text)
            if found is None:
                found = cache[text] = plain(text)
            return found

    tokens.split_sentences = split  # parse_paragraph's
    features.split_sentences = split  # text_features', count_text's
    if stem_name == SHIPPED[1]:
        features.repetition = _HANDWRITTEN_REPETITION
        return None
    stem = STEMMERS[stem_name]()
    features.repetition = repetition_with(stem)
    return getattr(stem, "clear", None)


def _auc_task(args: tuple[tuple[str, str], str, str, int]) -> tuple[str, int, str, float]:
    _, corpus_name, author, size = args  # the pool's initializer installed the variant
    corpus = _load(corpus_name)
    split = next(s for s in corpus.splits if s.author == author)
    pairs = list(held_out_windows(split, size))
    profile = build_profile(split.train)
    view, top = profile.view, profile.top_function_words()
    scores = []
    for _, window in pairs:  # bench_style's "InkMod drift": the combined surprise
        parsed = features.paragraph_features(tokens.parse_paragraph(window))
        values = surprises(parsed, view, None, top).values
        scores.append(combine(values, profile.calibration)[0])
    return corpus_name, size, author, _auc([t for t, _ in pairs], scores)


def _scoring_task(variant: tuple[str, str]) -> dict[str, float]:
    # Building the profile stems every training word: the stem cache is emptied before each cold
    # run, or a cached stemmer would look free (a daemon scores with a stored profile, no stems).
    clear = _install(variant, memo=False)
    return run_scoring(3, reset=clear)


def run_variant(variant: tuple[str, str], corpora: Sequence[str], workers: int) -> dict[str, Any]:
    tasks = [
        (variant, name, author, size)
        for name in corpora
        for author in _load(name).authors
        for size in SIZES
    ]
    aucs: dict[tuple[str, int], list[float]] = defaultdict(list)
    # A fresh pool per variant: nothing patched or cached leaks from one variant to the next.
    with ProcessPoolExecutor(workers, initializer=_install, initargs=(variant, True)) as pool:
        for name, size, _, auc in pool.map(_auc_task, tasks):
            aucs[(name, size)].append(auc)
    with ProcessPoolExecutor(max_workers=1) as pool:
        scoring = pool.submit(_scoring_task, variant).result()
    return {"auc": {k: statistics.fmean(v) for k, v in aucs.items()}, "scoring": scoring}


def print_variants(results: dict[tuple[str, str], dict[str, Any]], corpora: Sequence[str]) -> None:
    print("\n== Drift score with each variant (mean ROC AUC over authors; 'InkMod drift' row)")
    cols = [(name, size) for name in corpora for size in SIZES]
    header = "".join(f"{f'{n} {s}':>12}" for n, s in cols)
    print(f"  {'splitter':<22}{'stemmer':<29}{header}{'score 10k words':>17}")
    base = results.get(SHIPPED)
    for (split_name, stem_name), r in results.items():
        cells = "".join(f"{r['auc'][c]:>12.3f}" for c in cols)
        print(f"  {split_name:<22}{stem_name:<29}{cells}{r['scoring']['cold_ms']:>14.0f} ms")
    if base is None:
        return
    print("  difference from the shipped pair (AUC; scoring time as a ratio):")
    for variant, r in results.items():
        if variant == SHIPPED:
            continue
        cells = "".join(f"{r['auc'][c] - base['auc'][c]:>+12.3f}" for c in cols)
        ratio = r["scoring"]["cold_ms"] / base["scoring"]["cold_ms"]
        print(f"  {variant[0]:<22}{variant[1]:<29}{cells}{ratio:>14.2f} x")
    print(
        "  (scoring: every paragraph of a 10,000-word document, profile caches cold, median of 3;"
        " budget 30-50 ms)"
    )


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="processes for the AUC runs")
    parser.add_argument("--quick", action="store_true", help="novels only, no pysbd AUC run")
    args = parser.parse_args(argv)
    corpora = ("novels",) if args.quick else ("novels", "blogs")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"InkMod tokenisation benchmarks (corpora: {corpora_root()}, {os.cpu_count()} cores, "
        f"load average {load:.1f} at start)"
    )
    missing = [n for n in (*SPLITTERS, *STEMMERS) if not _available(n)]
    if missing:
        names = ", ".join(missing)
        print(f"  not installed, skipped: {names} (pip install pysbd syntok snowballstemmer)")
    splitters = {name: make() for name, make in SPLITTERS.items() if _available(name)}
    print_gold(run_gold(splitters))
    print_speed(run_speed(splitters, repeats=3))
    print_stemmers(run_stemmers(repeats=3))
    print_stem_pairs(run_stem_pairs())
    print_content_terms(run_content_terms(repeats=3))
    variants = [
        v
        for v in VARIANTS
        if _available(v[0]) and _available(v[1]) and not (args.quick and v[0] == "pysbd")
    ]
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for variant in variants:
        started = time.perf_counter()
        results[variant] = run_variant(variant, corpora, args.workers)
        print(f"  ({variant[0]} + {variant[1]}: {time.perf_counter() - started:.0f} s)", flush=True)
    print_variants(results, corpora)
    print("\n(all figures from this run)")


if __name__ == "__main__":
    main()
