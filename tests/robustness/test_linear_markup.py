"""Case 5 of issue 12: every extractor is linear, also on pathological input.

Absolute seconds mean nothing on a shared CI machine, so each shape is timed at n and 4n and the
ratio must stay well under the 16 a quadratic extractor would show (linear gives ~4).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from inkmod.style.markup import Format, extract_prose

RATIO_LIMIT = 8.0

SHAPES: dict[str, tuple[Format, Callable[[int], str]]] = {
    # the case: \verb with a delimiter, many on one line
    "latex-verb-one-line": ("latex", lambda n: "Words and \\verb|x| more. " * n),
    # \verb whose delimiter closes only at the very end of the document
    "latex-verb-unclosed": ("latex", lambda n: "A line with \\verb#open here.\n" * n + "#"),
    "latex-braces": ("latex", lambda n: "\\textbf{" * n + "word" + "}" * n),
    "latex-commands": ("latex", lambda n: "\\emph " * n),
    "markdown-emphasis": ("markdown", lambda n: "word *a _b " * n),
    "markdown-backticks": ("markdown", lambda n: "`` ` x " * n),
    "markdown-brackets": ("markdown", lambda n: "[a](b " * n + "\n\n" + "![" * n),
    # an unterminated comment, processing instruction or declaration, typed many times: each
    # used to be searched for its terminator to the end of the paragraph
    "markdown-open-html": ("markdown", lambda n: "x <!-- y <? z <!A " * n),
    "markdown-link-titles": ("markdown", lambda n: '[a](b "t [c](<d ' * n),
    "markdown-nested-brackets": ("markdown", lambda n: "[" * n + "x" + "](u)" * n),
    "markdown-list-nesting": (
        "markdown",
        lambda n: "".join(f"{'  ' * (i % 8)}- item\n" for i in range(n)),
    ),
    "rst-inline": ("restructuredtext", lambda n: "*a `b |c ``d " * n),
    "rst-roles": ("restructuredtext", lambda n: ":role:`x` " * n),
    "plain-one-line": ("plaintext", lambda n: "word, and. " * n),
    "plain-blank-lines": ("plaintext", lambda n: "A sentence here.\n\n\n" * n),
}


def _seconds(fmt: Format, text: str) -> float:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(3):
            started = time.perf_counter()
            extract_prose(text, fmt)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_extractor_is_linear(shape: str) -> None:
    fmt, make = SHAPES[shape]
    n = 2000
    small = _seconds(fmt, make(n))
    while small < 0.08 and n < 256000:  # big enough to time reliably (caches, allocator)
        n *= 2
        small = _seconds(fmt, make(n))
    ratios = []
    for _attempt in range(2):  # a load spike on a shared machine gets a second chance
        large = _seconds(fmt, make(4 * n))
        ratios.append(large / max(small, 1e-4))
        if ratios[-1] < RATIO_LIMIT:
            break
        small = _seconds(fmt, make(n))
    assert min(ratios) < RATIO_LIMIT, f"{shape}: n={n}, ratios at 4x: {ratios}"
