"""Could docutils (reStructuredText) or pylatexenc (LaTeX) replace the hand-written extractors?

Run: ``python -m benchmarks markup-libs [--size N]``. Needs ``docutils`` and ``pylatexenc``
installed (neither is an InkMod dependency: this measures why). It prints what it measured in this
run and asserts nothing. Issue 14 asks to use a library wherever it keeps exact source offsets and
stays linear in the input; each library is measured on both, next to InkMod's own extractor:

(1) Offsets. pylatexenc: does every node's ``latex_verbatim()`` equal ``src[pos:pos + len]``?
    docutils: how many Text nodes carry a position at all, and how many paragraphs, titles, terms
    and lines can be mapped back by their ``line`` (every line of ``rawsource`` a suffix of the
    source line it claims to come from)?
(2) Time in ms, best of 3, at n and 4n units, for a realistic document and for shapes that make
    naive parsers superlinear; ratio ~4 is linear, ~16 quadratic. A parser that raises
    (pylatexenc's RecursionError on deep or unclosed braces) prints the exception, not a time.
"""

from __future__ import annotations

import argparse
import gc
import io
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from inkmod.style.markup import Format, _extract_strict

_TEX_UNIT = (
    "\\section{Part {i}}\nSome \\emph{prose} with an accent \\'e, a dash -- and ``quotes'' here,\n"
    "a citation~\\cite{knuth} and math $x^2$ inline.% a comment\n\n"
    "\\begin{itemize}\n\\item One \\textbf{bold} item.\n\\item Two.\\footnote{A note.}\n"
    "\\end{itemize}\n\n\\begin{equation} a = b \\end{equation}\nMore \\verb|x| text.\n\n"
)
_RST_UNIT = """Section {i}
==========

A paragraph with *emphasis*, ``code``, a `link <https://example.org/{i}>`_ and text that is
wrapped over two lines, with an escape \\* and a role :emphasis:`here`.

- an item
- another **item**
  continued

  1. nested

    A quoted paragraph, indented
    over two lines.

Term
   Its definition, with a footnote [#]_.

.. [#] The footnote text.

+-----+-----+
| a   | b   |
+-----+-----+

"""


def _tex_doc(n: int) -> str:
    body = "".join(_TEX_UNIT.replace("{i}", str(i)) for i in range(n))
    return f"\\documentclass{{article}}\n\\begin{{document}}\n{body}\\end{{document}}\n"


def _tex_body(text: str) -> str:
    return f"\\begin{{document}}\n{text}\\end{{document}}\n"


TEX_SHAPES: dict[str, Callable[[int], str]] = {
    "realistic document": _tex_doc,
    "commands": lambda n: _tex_body("\\emph " * (40 * n)),
    "nested braces": lambda n: _tex_body("\\textbf{" * n + "word" + "}" * n),
    "unclosed braces": lambda n: _tex_body("a { b " * n),
}
RST_SHAPES: dict[str, Callable[[int], str]] = {
    "realistic document": lambda n: "".join(_RST_UNIT.replace("{i}", str(i)) for i in range(n)),
    "inline start-strings": lambda n: ("*a `b |c ``d " * 6 + "\n") * n,
    "roles": lambda n: (":role:`x` " * 8 + "\n") * n,
}


def _best(parse: Callable[[str], object], text: str) -> float | str:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(3):
            started = time.perf_counter()
            try:
                parse(text)
            except RecursionError as exc:
                return type(exc).__name__
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


def _cell(t: float | str) -> str:
    return f"{1000 * t:>10.1f}" if isinstance(t, float) else f"{t:>10}"


def _ratio(a: float | str, b: float | str) -> str:
    return (
        f"{b / max(a, 1e-9):>6.1f}" if isinstance(a, float) and isinstance(b, float) else "     -"
    )


def _timing(
    title: str,
    shapes: dict[str, Callable[[int], str]],
    library: Callable[[str], object],
    fmt: Format,
    sizes: dict[str, int],
) -> None:
    print(
        f"\n{title:<22} {'size n':>9} {'lib t(n)':>10} {'lib t(4n)':>10} {'ratio':>6}"
        f" {'ours t(n)':>10} {'ours t(4n)':>10} {'ratio':>6}"
    )
    for name, make in shapes.items():
        n = sizes.get(name, sizes["default"])
        small, large = make(n), make(4 * n)
        lib = _best(library, small), _best(library, large)
        ours = (
            _best(lambda s: _extract_strict(s, fmt), small),
            _best(lambda s: _extract_strict(s, fmt), large),
        )
        print(
            f"{name:<22} {len(small):>9,} {_cell(lib[0])} {_cell(lib[1])} {_ratio(*lib)}"
            f" {_cell(ours[0])} {_cell(ours[1])} {_ratio(*ours)}"
        )


def pylatexenc_report(size: int) -> None:
    from pylatexenc.latexwalker import LatexWalker

    def parse(text: str) -> list[Any]:
        return list(LatexWalker(text, tolerant_parsing=True).get_latex_nodes()[0])

    src = _tex_doc(20)
    total = mismatched = 0
    stack = parse(src)
    while stack:
        node = stack.pop()
        if node is None:
            continue
        total += 1
        mismatched += node.latex_verbatim() != src[node.pos : node.pos + node.len]
        stack.extend(getattr(node, "nodelist", None) or [])
        argd = getattr(node, "nodeargd", None)
        if argd is not None:
            stack.extend(argd.argnlist or [])
    print(
        f"pylatexenc {version('pylatexenc')}: {total} nodes of a {len(src):,}-character "
        f"document, {mismatched} whose pos/len is not their exact source text"
    )
    sizes = {"default": size, "nested braces": 50, "unclosed braces": 100, "commands": size}
    _timing("pylatexenc vs inkmod", TEX_SHAPES, parse, "latex", sizes)


def docutils_report(size: int) -> None:
    from docutils import nodes
    from docutils.core import publish_doctree

    settings = {
        "report_level": 5,
        "halt_level": 5,
        "file_insertion_enabled": False,
        "raw_enabled": False,
        "warning_stream": io.StringIO(),
        "line_length_limit": 10**9,
    }

    def parse(text: str) -> object:
        return publish_doctree(text, settings_overrides=settings)

    src = RST_SHAPES["realistic document"](3)
    lines = src.splitlines()
    tree: Any = parse(src)
    texts = list(tree.findall(nodes.Text))
    placed = sum(getattr(t, "line", None) is not None for t in texts)
    mapped, unmapped = 0, []
    for kind in (nodes.paragraph, nodes.title, nodes.term, nodes.line):
        for node in tree.findall(kind):
            if isinstance(node.parent, nodes.system_message):
                continue  # docutils' own report (a duplicate target name), not the author's text
            raw, line = node.rawsource.splitlines() or [""], node.line
            if line is not None and all(
                0 <= line - 1 + k < len(lines) and lines[line - 1 + k].endswith(r)
                for k, r in enumerate(raw)
            ):
                mapped += 1
            else:
                unmapped.append(f"{kind.__name__} {raw[0]!r} at line {line}")
    print(
        f"\ndocutils {version('docutils')}: {placed} of {len(texts)} Text nodes carry a "
        f"position; {mapped} of {mapped + len(unmapped)} blocks map back by their line"
    )
    for item in unmapped:
        print(f"  not mapped: {item}")
    sizes = {"default": max(1, size // 4), "inline start-strings": 30, "roles": 60}
    _timing("docutils vs inkmod", RST_SHAPES, parse, "restructuredtext", sizes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="n of the realistic shapes")
    args = parser.parse_args(argv)
    for report in (pylatexenc_report, docutils_report):
        try:
            report(args.size)
        except ImportError as exc:  # not InkMod dependencies: install them to measure
            print(f"\n{report.__name__}: skipped, {exc.name} is not installed")
    print("(ratio ~4: linear; ~16: quadratic)")


if __name__ == "__main__":
    main()
