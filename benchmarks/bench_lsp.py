"""Language-server benchmarks, measured from a client's side of a real stdio connection.

* didOpen → publishDiagnostics for a 10,000-word Markdown document, cold (no paragraph scored
  yet) and warm (the same text opened again: every paragraph comes from the score cache);
* didChange of one paragraph → republished diagnostics (debounce set to 0 so the figure is the
  work; the server's own analysis time is printed beside it);
* code-action listing latency (round trip, and the server's handler time);
* the server's resident memory after all that (the daemon's, which holds the word-frequency
  table and would hold the model, is printed separately).

Run: ``python -m benchmarks.bench_lsp [--rounds N] [--without-daemon]``. It starts the server
(``python -m inkmod_lsp``) in a private ``INKMOD_HOME`` with a profile trained from
``examples/samples/maya`` and a document built from all three example writers (so about a third
of its paragraphs drift). Figures depend on the machine (2 shared cores here); the issue's
targets are printed beside them. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "samples"
WORDS = 10_000


def build_document(words: int = WORDS) -> str:
    """About ``words`` words of Markdown: every example paragraph, interleaving the writers,
    numbered so repeated passes are still distinct paragraphs."""
    by_writer = []
    for writer in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        paragraphs = []
        for path in sorted(writer.glob("*.md")):
            for block in path.read_text(encoding="utf-8").split("\n\n"):
                block = " ".join(block.split())
                if len(block.split()) >= 30 and not block.startswith("#"):
                    paragraphs.append(block)
        by_writer.append(paragraphs)
    out = ["# Benchmark document"]
    count = 0
    round_no = 0
    while count < words:
        round_no += 1
        for index in range(max(len(p) for p in by_writer)):
            for paragraphs in by_writer:
                if index < len(paragraphs) and count < words:
                    text = (
                        paragraphs[index] if round_no == 1 else f"{paragraphs[index]} ({round_no})"
                    )
                    out.append(text)
                    count += len(text.split())
    return "\n\n".join(out) + "\n"


class Client:
    """A bare pygls client recording when diagnostics arrive."""

    def __init__(self) -> None:
        self.client = LanguageClient("inkmod-bench", "1")
        self.published: dict[str, asyncio.Event] = {}
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.progress_done = asyncio.Event()
        c = self.client

        @c.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(ls: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published.setdefault(params.uri, asyncio.Event()).set()

        @c.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create(ls: LanguageClient, params: lsp.WorkDoneProgressCreateParams) -> None:
            return None

        @c.feature(lsp.PROGRESS)
        def progress(ls: LanguageClient, params: lsp.ProgressParams) -> None:
            value = params.value
            if isinstance(value, dict) and value.get("kind") == "end":
                self.progress_done.set()

        @c.feature(lsp.WINDOW_SHOW_MESSAGE)
        def message(ls: LanguageClient, params: lsp.ShowMessageParams) -> None:
            print(f"  server says: {params.message}")

        @c.feature(lsp.WORKSPACE_CONFIGURATION)
        def configuration(ls: LanguageClient, params: lsp.ConfigurationParams) -> list[Any]:
            return [None for _ in params.items]

        @c.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def register(ls: LanguageClient, params: lsp.RegistrationParams) -> None:
            return None

    def expect(self, uri: str) -> asyncio.Event:
        event = asyncio.Event()
        self.published[uri] = event
        return event


def fmt(values: list[float]) -> str:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {pick(0.5):7.2f} ms   p95 {pick(0.95):7.2f} ms   "
        f"max {ordered[-1] * 1000:7.2f} ms   (n={len(values)})"
    )


async def status(client: LanguageClient) -> dict[str, Any]:
    result: dict[str, Any] = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="inkmod.status", arguments=[{"quiet": True}])
    )
    return result


async def run(rounds: int, with_daemon: bool, opens_only: bool = False) -> dict[str, float]:
    """Run the benchmark and return the didOpen figures; ``opens_only`` stops after the two
    opens and prints nothing (``bench_style``'s speed table runs it that way)."""
    figures: dict[str, float] = {}
    home = Path(tempfile.mkdtemp(prefix="inkb", dir="/tmp"))
    root = home / "ws"
    root.mkdir()
    shutil.copytree(SAMPLES / "maya", root / "samples")
    env = dict(os.environ, INKMOD_HOME=str(home))
    env.pop("XDG_RUNTIME_DIR", None)
    env.pop("INKMOD_DAEMON_PLUGINS", None)
    text = build_document()
    words = len(text.split())
    wrapper = Client()
    client = wrapper.client
    await client.start_io(sys.executable, "-m", "inkmod_lsp", env=env)
    server = client._server
    drain = None
    if server is not None and server.stderr is not None:
        stderr = server.stderr

        async def drain_stderr() -> None:  # an unread pipe would block the server
            while await stderr.readline():
                pass

        drain = asyncio.create_task(drain_stderr())
    try:
        settings = {
            "profile": "bench",
            "samplesFolder": "samples",
            "debounceMs": 0,
            "daemon": with_daemon,
        }
        started = time.perf_counter()
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(
                    window=lsp.WindowClientCapabilities(work_done_progress=True)
                ),
                client_info=lsp.ClientInfo(name="bench"),
                root_uri=root.as_uri(),
                initialization_options=settings,
            )
        )
        client.initialized(lsp.InitializedParams())
        await asyncio.wait_for(wrapper.progress_done.wait(), 300)
        if not opens_only:
            print(
                f"start-up (daemon {'on' if with_daemon else 'off'}, train profile from 6 files): "
                f"{time.perf_counter() - started:.2f} s"
            )

        # -- didOpen -> publishDiagnostics ------------------------------------------------------
        opens: dict[str, list[float]] = {"cold": [], "warm": []}
        for index in range(2):
            uri = (root / f"doc{index}.md").as_uri()
            event = wrapper.expect(uri)
            t0 = time.perf_counter()
            client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(
                    text_document=lsp.TextDocumentItem(
                        uri=uri, language_id="markdown", version=1, text=text
                    )
                )
            )
            await asyncio.wait_for(event.wait(), 120)
            opens["cold" if index == 0 else "warm"].append(time.perf_counter() - t0)
        flagged = len(wrapper.diagnostics[(root / "doc0.md").as_uri()])
        cold, warm = opens["cold"][0] * 1000, opens["warm"][0] * 1000
        info = await status(client)
        opened = {d["uri"]: d["lastAnalysisMs"] for d in info["documents"]}
        opened_work = opened[(root / "doc0.md").as_uri()]
        figures = {"words": words, "cold_ms": cold, "warm_ms": warm, "analysis_ms": opened_work}
        if opens_only:
            return figures
        print(f"\ndocument: {words} words, {text.count(chr(10) * 2)} paragraphs, {flagged} flagged")
        print(f"didOpen -> publishDiagnostics, cold (nothing scored yet): {cold:8.1f} ms")
        print(f"   of which the server's analysis (extract, score in daemon): {opened_work:.1f} ms")
        print(f"didOpen -> publishDiagnostics, warm (same paragraphs cached): {warm:8.1f} ms")
        print("   target: <= 50 ms plus the debounce (opening is not debounced)")

        # -- didChange of one paragraph -> republish -------------------------------------------
        uri = (root / "doc0.md").as_uri()
        lines = text.split("\n")
        drifting = [d.range.start.line for d in wrapper.diagnostics[uri]]
        changes: list[float] = []
        work: list[float] = []
        version = 1
        for i in range(rounds):
            line = drifting[i % len(drifting)]
            old = lines[line]
            new = old + f" Noted {i}."
            lines[line] = new
            version += 1
            event = wrapper.expect(uri)
            t0 = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(old))),
                            text=new,
                        )
                    ],
                )
            )
            await asyncio.wait_for(event.wait(), 60)
            changes.append(time.perf_counter() - t0)
            info = await status(client)
            doc = next(d for d in info["documents"] if d["uri"] == uri)
            work.append(doc["lastAnalysisMs"] / 1000)
            assert doc["rescored"] == 1, doc
        print(f"\ndidChange of one paragraph -> republish (debounce 0): {fmt(changes)}")
        print(f"   server analysis of the change (extract + 1 paragraph scored): {fmt(work)}")
        print("   target: <= 20 ms of work")

        # -- code actions -------------------------------------------------------------------------
        round_trips: list[float] = []
        line = drifting[0]
        for _ in range(rounds * 10):
            t0 = time.perf_counter()
            await client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=lsp.Range(lsp.Position(line, 3), lsp.Position(line, 3)),
                    context=lsp.CodeActionContext(diagnostics=wrapper.diagnostics[uri][:1]),
                )
            )
            round_trips.append(time.perf_counter() - t0)
        info = await status(client)
        handler = info["timings"]["codeAction"]
        print(f"\ncode-action listing, round trip: {fmt(round_trips)}")
        print(
            f"   in the server's handler: median {handler['medianMs']:.3f} ms, "
            f"max {handler['maxMs']:.3f} ms"
        )
        print("   target: <= 5 ms")

        # -- memory -------------------------------------------------------------------------------
        rss = info["server"]["memory_rss"] / 1e6
        daemon_rss = (info["daemon"].get("memory_rss") or 0) / 1e6
        print(f"\nserver RSS: {rss:.1f} MB   (target <= 80 MB; scorer: {info['scorer']})")
        if with_daemon:
            print(
                f"daemon RSS: {daemon_rss:.1f} MB (word-frequency table, profile; no model loaded)"
            )
        print(f"model modules loaded in the server: {info['loadedModules'] or 'none'}")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_async(None), 10)
            client.exit(None)
        with contextlib.suppress(Exception):
            await client.stop()
        if drain is not None:
            drain.cancel()
        _stop_daemons(home)
        shutil.rmtree(home, ignore_errors=True)
    return figures


def _stop_daemons(home: Path) -> None:
    saved = os.environ.get("INKMOD_HOME")
    os.environ["INKMOD_HOME"] = str(home)
    try:
        from inkmod.rpc.client import stop_daemon

        with contextlib.suppress(Exception):
            stop_daemon("bench")
    finally:
        if saved is None:
            os.environ.pop("INKMOD_HOME", None)
        else:
            os.environ["INKMOD_HOME"] = saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_lsp", description=__doc__)
    parser.add_argument(
        "--rounds", type=int, default=20, help="didChange rounds (x10 code actions)"
    )
    parser.add_argument(
        "--without-daemon", action="store_true", help="score in the server process (the fallback)"
    )
    args = parser.parse_args(argv)
    print(f"InkMod language server benchmark ({os.cpu_count()} cores)\n")
    asyncio.run(run(args.rounds, not args.without_daemon))


if __name__ == "__main__":
    main()
