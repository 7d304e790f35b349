"""Markdown extractor against the CommonMark spec examples, and its time at n and 4n.

Run: ``python -m benchmarks markup [--show N] [--section NAME]`` (or ``python -m
benchmarks.bench_markup``). It prints what it measured in this run and asserts nothing.

(1) Agreement with CommonMark. The 652 examples of CommonMark spec 0.31.2 (``data/``, taken from
    markdown-it-py's source distribution, where its test suite reads them) are run through
    InkMod's Markdown extractor and through a reference CommonMark parser, markdown-it-py's
    ``commonmark`` preset. First the reference itself is checked: its HTML must equal the spec's
    expected HTML, and the count is printed (a reference that missed examples would make the
    figure below meaningless). Then, per example, the prose blocks of both are compared:

    * the reference's prose blocks are its paragraphs and headings, projected by InkMod's own
      documented rules: a whole list (items, nested lists, quotes and paragraphs inside it) is
      one ``list`` block, every block inside a block quote is a ``quote`` block (one per
      paragraph, heading or list in it), a heading is a ``heading``, the rest ``paragraph``;
    * the text of a reference block is its inline content with the markup stripped the way InkMod
      strips it: text, escapes and entities kept, emphasis and link markup removed (link text
      kept), code spans, raw inline HTML, autolinks and images (alt text too) dropped, ``<br>``
      and line breaks a space;
    * on both sides whitespace runs collapse to one space and empty blocks are dropped.

    ``blocks`` counts examples whose sequence of block kinds agrees (the block structure);
    ``text`` counts examples whose (kind, text) sequence agrees exactly (structure *and* inline).
    InkMod also reads GFM tables, strikethrough, footnotes and front matter, which CommonMark does
    not; the few examples those change count as disagreements.

(2) Linearity: the extractor's best-of-3 time on documents of n and 4n units, for a realistic
    document and for shapes that make naive parsers quadratic. The ratio is ~4 when time is
    linear and ~16 when quadratic; it is printed, never asserted here
    (``tests/robustness/test_linear_markup.py`` asserts a bound).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from inkmod.style.markup import _extract_strict

SPEC = Path(__file__).resolve().parent / "data" / "commonmark-0.31.2.json"
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)

Blocks = list[tuple[str, str]]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _inline_text(tokens: Sequence[Token]) -> str:
    """An inline token's children as InkMod strips them (see the module docstring)."""
    parts: list[str] = []
    skip_until_close = 0  # inside an autolink: its text is a URL
    for tok in tokens:
        if skip_until_close:
            if tok.type == "link_close":
                skip_until_close -= 1
            elif tok.type == "link_open":
                skip_until_close += 1
            continue
        if tok.type in ("text", "text_special"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tok.type == "html_inline":
            if _BR.fullmatch(tok.content.strip()):
                parts.append(" ")
        elif tok.type == "link_open" and tok.markup == "autolink":
            skip_until_close = 1
        # code_inline, image (its alt text is in its own children), em/strong/link markup: nothing
    return "".join(parts)


def _units(node: SyntaxTreeNode, kind: str | None) -> Blocks:
    """Prose blocks under ``node``; ``kind`` overrides every block's kind (inside a quote)."""
    out: Blocks = []
    for child in node.children:
        if child.type in ("paragraph", "heading"):
            inline = child.children[0].token if child.children else None
            text = _inline_text(inline.children or []) if inline is not None else ""
            own = "heading" if child.type == "heading" else "paragraph"
            out.append((kind or own, text))
        elif child.type == "blockquote":
            out.extend(_units(child, "quote"))
        elif child.type in ("bullet_list", "ordered_list"):
            leaves = [text for _kind, text in _units(child, None)]
            out.append((kind or "list", " ".join(leaves)))
        elif child.children:  # list items
            out.extend(_units(child, kind))
    return out


def reference_blocks(md: MarkdownIt, source: str) -> Blocks:
    blocks = _units(SyntaxTreeNode(md.parse(source)), None)
    return [(kind, _norm(text)) for kind, text in blocks if _norm(text)]


def inkmod_blocks(source: str) -> Blocks:
    blocks = _extract_strict(source, "markdown")
    return [(b.kind, _norm(b.text)) for b in blocks if _norm(b.text)]


def run_spec(examples: list[dict[str, Any]]) -> dict[str, Any]:
    md = MarkdownIt("commonmark")
    conforming = [e["example"] for e in examples if md.render(e["markdown"]) == e["html"]]
    by_section: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    failures: list[tuple[int, str, str, Blocks, Blocks]] = []
    for example in examples:
        source = example["markdown"]
        ours, ref = inkmod_blocks(source), reference_blocks(md, source)
        row = by_section[example["section"]]
        row[0] += 1
        row[1] += [k for k, _ in ours] == [k for k, _ in ref]
        row[2] += ours == ref
        if ours != ref:
            failures.append((example["example"], example["section"], source, ours, ref))
    return {"conforming": conforming, "by_section": dict(by_section), "failures": failures}


def print_spec(result: dict[str, Any], total: int, show: int, section: str | None) -> None:
    print(
        f"reference: markdown-it-py {version('markdown-it-py')} ('commonmark' preset) renders "
        f"{len(result['conforming'])}/{total} spec examples exactly as the spec expects"
    )
    others = sorted(set(range(1, total + 1)) - set(result["conforming"]))
    if others:
        print(
            f"  (the others, examples {', '.join(map(str, others))}, differ only in the "
            "whitespace inside an empty <blockquote>, as markdown-it-py's own spec test notes)"
        )
    print(f"\n{'section':<42} {'examples':>8} {'blocks':>8} {'text':>8}")
    rows = sorted(result["by_section"].items())
    for name, (n, blocks, text) in rows:
        print(f"{name:<42} {n:>8} {100 * blocks / n:>7.1f}% {100 * text / n:>7.1f}%")
    n = sum(r[0] for _, r in rows)
    blocks = sum(r[1] for _, r in rows)
    text = sum(r[2] for _, r in rows)
    print(f"{'all':<42} {n:>8} {100 * blocks / n:>7.1f}% {100 * text / n:>7.1f}%")
    print(f"(examples agreeing: blocks {blocks}/{n}, text {text}/{n})")
    failures = [f for f in result["failures"] if section is None or f[1] == section]
    for number, name, source, ours, ref in failures[:show]:
        print(f"\nexample {number} ({name}): {source!r}\n  inkmod:    {ours}\n  reference: {ref}")


# -- linearity ------------------------------------------------------------------------------------

_REALISTIC = (
    "## Section {i}\n\n"
    "A paragraph with *emphasis*, `code`, a [link](https://example.org/{i}) and text that is\n"
    "wrapped over two lines, with an entity &amp; an escape \\*.\n\n"
    "- an item\n- another **item**\n  continued\n  1. nested\n\n"
    "> quoted *text*\n> more of it\n\n"
    "```python\ncode = {i}\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
)
SHAPES: dict[str, Callable[[int], str]] = {
    "realistic document": lambda n: "".join(_REALISTIC.format(i=i) for i in range(n)),
    "one long paragraph": lambda n: "word *em* and `code` [l](u) " * (8 * n),
    "emphasis delimiters": lambda n: "word *a _b " * (8 * n),
    "brackets": lambda n: "[a](b " * (4 * n) + "\n\n" + "![" * (4 * n),
    "list nesting": lambda n: "".join(f"{'  ' * (i % 8)}- item\n" for i in range(4 * n)),
    "quote nesting": lambda n: "".join(f"{'> ' * (i % 8)}line\n" for i in range(4 * n)),
    "many short blocks": lambda n: "# h\n\npara\n\n> q\n\n- l\n\n" * n,
}


def _best_seconds(text: str) -> float:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(3):
            started = time.perf_counter()
            _extract_strict(text, "markdown")
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


def print_linearity(n: int) -> None:
    print(f"\n{'shape':<24} {'size n':>10} {'t(n) ms':>9} {'t(4n) ms':>9} {'ratio':>6}")
    for name, make in SHAPES.items():
        small_text, large_text = make(n), make(4 * n)
        small, large = _best_seconds(small_text), _best_seconds(large_text)
        print(
            f"{name:<24} {len(small_text):>10,} {1000 * small:>9.1f} {1000 * large:>9.1f} "
            f"{large / max(small, 1e-9):>6.1f}"
        )
    print("(ratio ~4: linear; ~16: quadratic)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print the first N disagreements")
    parser.add_argument("--section", help="only show disagreements of this spec section")
    parser.add_argument("--size", type=int, default=250, help="n of the linearity shapes")
    args = parser.parse_args(argv)
    examples = json.loads(SPEC.read_text(encoding="utf-8"))
    print(f"CommonMark spec 0.31.2: {len(examples)} examples ({SPEC.name})")
    print_spec(run_spec(examples), len(examples), args.show, args.section)
    print_linearity(args.size)


if __name__ == "__main__":
    main()
