"""Daemon benchmarks: analyze round-trips over the real socket, the same under 20 concurrent
clients while the model generates, save-to-``profile.changed`` latency, and RSS with the default
model loaded.

Run: ``python -m benchmarks.bench_daemon [--quick] [--backend NAME]``. It starts its own daemon
in a private ``INKMOD_HOME`` (samples: ``examples/samples/maya``), prints the figures measured in
this run and asserts nothing. Figures depend on the machine (2 cores here) and on what else runs;
targets from issue 4 are printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "samples"
PROFILE = "bench"

PARAGRAPH = (
    "I went out to the garden this morning before the coffee was even done, and the tomatoes "
    "had split again after all that rain. Honestly, I should have picked them yesterday. Gus "
    "watched me from the porch like he knew something I didn't, which he probably did."
)


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {pick(0.50):7.2f} ms   p99 {pick(0.99):7.2f} ms   max {ordered[-1] * 1000:7.2f} ms"
        f"   (n={len(values)})"
    )


def document(words: int) -> str:
    """A markdown document of about ``words`` words built from the example samples."""
    paragraphs = []
    for path in sorted(SAMPLES.rglob("*.md")):
        paragraphs += [p for p in path.read_text().split("\n\n") if len(p.split()) > 20]
    out: list[str] = []
    count = 0
    index = 0
    while count < words:
        para = paragraphs[index % len(paragraphs)]
        out.append(f"{para} ({index})")  # every paragraph distinct, like a real document
        count += len(para.split()) + 1
        index += 1
    return "# Benchmark document\n\n" + "\n\n".join(out) + "\n"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_roundtrips(client: Any, requests: int) -> None:
    print("\n== analyze round-trip over the socket (idle daemon)")
    client.analyze(PARAGRAPH)
    same = [timed(lambda: client.analyze(PARAGRAPH)) for _ in range(requests)]
    print(f"one paragraph, unchanged (cache hit)   {percentiles(same)}")
    fresh = [timed(lambda i=i: client.analyze(f"{PARAGRAPH} {i}")) for i in range(requests)]
    print(f"one paragraph, edited each time        {percentiles(fresh)}")
    big = document(10_000)
    print(f"10k-word document: {len(big.split())} words, {len(big) // 1024} KiB")
    cold = [timed(lambda i=i: client.analyze(big.replace("(", f"({i}-"))) for i in range(5)]
    print(f"10k words, every paragraph new (cold)  {percentiles(cold)}")
    client.analyze(big)
    n = max(10, requests // 5)
    edited = [
        timed(lambda i=i: client.analyze(big.replace("(3)", f"(3 edit {i})"))) for i in range(n)
    ]
    print(f"10k words, one paragraph edited        {percentiles(edited)}")


class RewriteLoop:
    """Keeps one client rewriting (best-of-2) and counts the tokens streamed."""

    def __init__(self, profile: str, text: str) -> None:
        self.profile = profile
        self.text = text
        self.tokens = 0
        self.first = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _on_token(self, *_args: object) -> None:
        self.tokens += 1
        self.first.set()

    def _run(self) -> None:
        from inkmod.rpc.client import ensure_daemon

        with ensure_daemon(self.profile, request_timeout=None) as writer:
            while not self.stop.is_set():
                pending = writer.start_rewrite(self.text, k=2, on_token=self._on_token)
                while not pending.done() and not self.stop.is_set():
                    time.sleep(0.05)
                if not pending.done():
                    pending.cancel()
                with contextlib.suppress(Exception):
                    pending.result(30)

    def tokens_per_second(self, seconds: float) -> float:
        before = self.tokens
        time.sleep(seconds)
        return (self.tokens - before) / seconds


def bench_concurrent(profile: str, seconds: float) -> None:
    from inkmod.rpc.client import ensure_daemon

    print("\n== 20 concurrent clients analysing while a rewrite runs")
    loop = RewriteLoop(profile, PARAGRAPH)
    loop.thread.start()
    try:
        if not loop.first.wait(300):
            print("the rewrite produced no token in 300 s; skipping")
            return
        alone = loop.tokens_per_second(seconds / 2)
        print(f"model alone: {alone:.1f} tokens/s streamed to the client")
        latencies: list[float] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        clients = [ensure_daemon(profile) for _ in range(20)]

        def analyse(n: int, mine: Any) -> None:
            i = 0
            while time.monotonic() < deadline:
                text = f"{PARAGRAPH} {n}.{i}"
                elapsed = timed(lambda text=text: mine.analyze(text))
                with lock:
                    latencies.append(elapsed)
                i += 1

        threads = [threading.Thread(target=analyse, args=(n, c)) for n, c in enumerate(clients)]
        before = loop.tokens
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        during = (loop.tokens - before) / seconds
        for client in clients:
            client.close()
        print(f"analyze, 20 clients, model generating  {percentiles(latencies)}")
        print(
            f"throughput {len(latencies) / seconds:.0f} analyses/s; the model meanwhile "
            f"{during:.1f} tokens/s (alone {alone:.1f})"
        )
    finally:
        loop.stop.set()
        loop.thread.join()


def bench_refresh(client: Any, samples: Path, rounds: int) -> None:
    from inkmod.rpc import protocol as P

    print("\n== saving a sample file -> profile.changed (target <= 500 ms incl. 200 ms debounce)")
    arrived = threading.Event()
    seen: dict[str, float] = {}

    def on_changed(_method: str, params: dict[str, Any]) -> None:
        for doc in params.get("changed", []):
            seen[doc] = time.perf_counter()
        arrived.set()

    client.on(P.PROFILE_CHANGED, on_changed)
    client.subscribe([P.TOPIC_PROFILE])
    target = sorted(samples.glob("*.md"))[0]
    original = target.read_text()
    delays = []
    for i in range(rounds):
        arrived.clear()
        seen.clear()
        saved = time.perf_counter()
        target.write_text(f"{original}\n\nEdit number {i}: {PARAGRAPH}\n")
        if arrived.wait(5) and target.name in seen:
            delays.append(seen[target.name] - saved)
        time.sleep(0.3)
    target.write_text(original)
    if delays:
        print(f"save -> notification                   {percentiles(delays)}")
    else:
        print("no profile.changed arrived")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="model (default: smollm2)")
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    args = parser.parse_args(argv)
    requests = 50 if args.quick else 200

    home = Path(tempfile.mkdtemp(prefix="inkb", dir="/tmp"))
    os.environ["INKMOD_HOME"] = str(home)
    samples = home / "samples"
    shutil.copytree(SAMPLES / "maya", samples)

    from inkmod.rpc.client import ensure_daemon, stop_daemon

    print(f"daemon benchmark: INKMOD_HOME={home}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    started = time.perf_counter()
    options = {"threads": args.threads} if args.threads else None
    client = ensure_daemon(
        PROFILE, samples=samples, backend=args.backend, backend_options=options, idle_timeout=600
    )
    print(f"cold start (spawn + hello): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    client.profile_get()
    print(
        f"profile ready (trained from {len(list(samples.glob('*.md')))} files): "
        f"{time.perf_counter() - started:.2f} s more"
    )
    try:
        bench_roundtrips(client, requests)
        bench_refresh(client, samples, 5 if args.quick else 10)
        status = client.status()
        print(f"\n== memory: RSS before the model loads {status['memory_rss'] / 1e6:.0f} MB")
        bench_concurrent(PROFILE, 4.0 if args.quick else 10.0)
        status = client.status()
        backend = status["backend"]
        print(
            f"\n== memory: RSS with {backend['name']} loaded={backend['loaded']} "
            f"{status['memory_rss'] / 1e6:.0f} MB (target <= 400 MB); "
            f"load took {backend['load_seconds'] or 0:.2f} s"
        )
    finally:
        client.close()
        stop_daemon(PROFILE)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
