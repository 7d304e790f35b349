"""Run every benchmark section in turn: `python -m benchmarks [SECTION...]`.

Sections print what they measured in this run; nothing is asserted. Model sections take minutes
on a 2-core machine; run one with e.g. `python -m benchmarks style`, and give a section its own
options after its name (`python -m benchmarks rewrite --help`).
"""

from __future__ import annotations

import importlib
import sys
import time

SECTIONS = {
    "style": "benchmarks.bench_style",
    "rewrite": "benchmarks.bench_rewrite",
    "daemon": "benchmarks.bench_daemon",
    "lsp": "benchmarks.bench_lsp",
    "markup": "benchmarks.bench_markup",
    "markup-libs": "benchmarks.bench_markup_libs",
    "tokens": "benchmarks.bench_tokens",
}


def main(argv: list[str]) -> int:
    # `python -m benchmarks rewrite --inputs 8`: options after the section names go to them
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    chosen, options = argv[:split] or list(SECTIONS), argv[split:]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
        return 2
    for name in chosen:
        started = time.perf_counter()
        print(f"\n# {name}\n", flush=True)
        module = importlib.import_module(SECTIONS[name])
        module.main(options)
        print(f"\n({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
