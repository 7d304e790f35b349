"""Rewrite benchmark: does a rewrite move a paragraph towards the target writer, keeping meaning?

Run: ``python -m benchmarks rewrite`` (or ``python -m benchmarks.bench_rewrite --help``).

One run compares, on the same held-out inputs, every system we have:

- *copy*: the input itself (the floor: perfect meaning, no style change);
- *in-context*: today's ``rewrite_paragraph`` with the embedded SmolLM2 (best of k, re-ranked by
  drift, vetoed by the faithfulness rules), and its first sample without re-ranking;
- *neutraliser*: each neutraliser's output alone (how much source style it removes, how much
  meaning it keeps), the input side of the adapter's training pairs;
- *adapter*: the personal-adapter rewrite per neutraliser, through :func:`rewrite_with_adapter`,
  skipped with a note while ``inkmod.generation.personal`` has no ``tune`` module.

Inputs: for each target author (one per corpus by default), paragraphs of 50–110 words from the
*other* authors' held-out text of the same corpus; the target's profile is built from the target's
training split only. Judged by an independent classifier (``benchmarks/judge.py``) with STYLL's
away / towards / sim / joint; meaning by MiniLM cosine; names and numbers kept; seconds per
paragraph. The latency section times the generated candidates (their seconds and tokens), not
the chosen text, against a raw llama-cpp-python call bounded to the same number of tokens.

Prints what it measured in this run; asserts nothing. Figures depend on the machine (2 shared
cores here) and on what else runs.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpora import AuthorSplit, Corpus, load_blogs, load_novels, windows
from benchmarks.judge import (
    AuthorshipJudge,
    Styll,
    corpus_label,
    facts_kept,
    held_out_accuracy,
    styll,
    train_judge,
)
from inkmod.backends.base import Backend, GenerationConfig
from inkmod.backends.registry import create_backend
from inkmod.generation.evaluation import similarities
from inkmod.generation.prompt import select_exemplars
from inkmod.generation.rewrite import ParagraphRewrite, build_prompt, rewrite_paragraph
from inkmod.style.profile import StyleProfile

Neutraliser = Callable[[str], str]


# -- inputs ---------------------------------------------------------------------------------------
@dataclass
class Task:
    """One target author and the held-out paragraphs of other authors to rewrite towards them."""

    corpus: Corpus
    target: AuthorSplit
    inputs: list[tuple[str, str]]  # (source author, paragraph)

    @property
    def label(self) -> str:
        return corpus_label(self.corpus, self.target.author)


def paragraphs(split: AuthorSplit, min_words: int, max_words: int) -> list[str]:
    """Held-out paragraphs of one author within a length range, without dialogue."""
    out = []
    for doc in split.held_out:
        for paragraph in doc.text.split("\n\n"):
            text = " ".join(paragraph.split())
            if min_words <= len(text.split()) <= max_words and '"' not in text and "“" not in text:
                out.append(text)
    return out


def make_tasks(
    corpora: Sequence[Corpus],
    targets: Sequence[str] | None,
    per_corpus: int,
    n_inputs: int,
    min_words: int,
    max_words: int,
) -> list[Task]:
    """Targets (``corpus:author`` or first ``per_corpus`` of each corpus), inputs round-robin."""
    tasks = []
    for corpus in corpora:
        chosen = [
            s
            for s in corpus.splits
            if (targets and corpus_label(corpus, s.author) in targets)
            or (not targets and s in corpus.splits[:per_corpus])
        ]
        for target in chosen:
            pools = {
                s.author: paragraphs(s, min_words, max_words)
                for s in corpus.splits
                if s.author != target.author
            }
            inputs: list[tuple[str, str]] = []
            depth = 0
            while len(inputs) < n_inputs and any(len(p) > depth for p in pools.values()):
                for author, pool in pools.items():
                    # spread over the book or the posts, not only its first pages
                    if len(pool) > depth and len(inputs) < n_inputs:
                        step = max(1, len(pool) // max(1, n_inputs))
                        inputs.append((author, pool[(depth * step) % len(pool)]))
                depth += 1
            tasks.append(Task(corpus, target, inputs))
    return tasks


def target_profile(split: AuthorSplit) -> StyleProfile:
    profile = StyleProfile(split.author)
    for doc in split.train:
        profile.add_document(doc.name, doc.text, "plaintext")
    profile.recalibrate()
    return profile


# -- systems --------------------------------------------------------------------------------------
@dataclass
class Output:
    text: str
    seconds: float = 0.0  # wall time for this paragraph
    generated_tokens: int = 0  # all candidates' tokens
    generated_seconds: float = 0.0  # the candidates' generation time (batched: overlapping)
    candidates: int = 0
    rejected: int = 0
    changed: bool = True
    reasons: list[str] = field(default_factory=list)


@dataclass
class Row:
    system: str
    outputs: list[Output] = field(default_factory=list)
    note: str = ""


def from_rewrite(result: ParagraphRewrite, seconds: float, first: bool = False) -> Output:
    cands = result.candidates
    text = (cands[0].text or result.original) if first and cands else result.chosen.text
    return Output(
        text=text,
        seconds=seconds,
        generated_tokens=sum(c.tokens for c in cands),
        generated_seconds=result.generation_seconds,
        candidates=len(cands),
        rejected=sum(1 for c in cands if c.rejected),
        changed=result.changed if not first else bool(cands),
        reasons=[r for c in cands for r in c.rejected],
    )


_KINDS = (
    ("token limit", "cut off"),
    ("task", "task talk"),
    ("name", "name lost"),
    ("number", "number lost"),
    ("negation", "negation lost"),
    ("content", "content < 40%"),
    ("empty", "empty"),
)


def reason_kinds(reasons: Sequence[str]) -> str:
    """ "cut off 5, name lost 2": how often each faithfulness rule fired."""
    counts: dict[str, int] = {}
    for reason in reasons:
        kind = next((label for key, label in _KINDS if key in reason), "other")
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda x: -x[1]))


def in_context(task: Task, profile: StyleProfile, backend: Backend, k: int) -> list[Row]:
    best, first = Row(f"in-context, best of {k}"), Row("in-context, first sample")
    for _, paragraph in task.inputs:
        started = time.perf_counter()
        result = rewrite_paragraph(paragraph, profile, backend, k=k)
        seconds = time.perf_counter() - started
        best.outputs.append(from_rewrite(result, seconds))
        first.outputs.append(from_rewrite(result, seconds, first=True))
    return [best, first]


def model_present(name: str) -> bool:
    from inkmod.backends.models import MODELS, weights_present

    return weights_present(MODELS[name])


def available_neutralisers(backend: Backend) -> tuple[dict[str, Neutraliser], list[str]]:
    """Every registered neutraliser; "paraphrase" shares the benchmark's loaded model."""
    from inkmod.generation.personal.paraphrase import ModelParaphraser

    found: dict[str, Neutraliser] = {}
    notes = []
    try:
        from inkmod.generation.personal.neutralise import get_neutraliser, neutraliser_names
    except ImportError:
        notes.append("inkmod.generation.personal.neutralise not there yet: only 'paraphrase'")
        return {"paraphrase": ModelParaphraser(backend)}, notes
    for name in neutraliser_names():
        if name == "paraphrase-1.5b" and not model_present("qwen2.5-coder-1.5b"):
            notes.append(
                "neutraliser 'paraphrase-1.5b' unavailable: pip install 'inkmod[paraphraser]'"
            )
            continue
        if name == ModelParaphraser.name:
            found[name] = ModelParaphraser(backend)
            continue
        try:
            found[name] = get_neutraliser(name)
        except Exception as exc:  # one that needs a teacher or a server: reported, not run
            notes.append(f"neutraliser {name!r} unavailable: {exc}")
    return found, notes


def neutralised(task: Task, neutraliser: Neutraliser, name: str) -> Row:
    row = Row(f"neutraliser only: {name}")
    stats = getattr(neutraliser, "stats", None)
    before = dict(vars(stats)) if stats is not None else {}
    reasons_before = len(before.get("reasons", []))
    for _, paragraph in task.inputs:
        started = time.perf_counter()
        text = neutraliser(paragraph)
        row.outputs.append(
            Output(text, time.perf_counter() - started, changed=text.strip() != paragraph)
        )
    if stats is not None:
        now = vars(stats)
        whole = now["whole"] - before["whole"]
        done = now["sentences_paraphrased"] - before["sentences_paraphrased"]
        kept = now["sentences_kept"] - before["sentences_kept"]
        row.note = (
            f"{whole}/{len(task.inputs)} paraphrased whole; else {done} sentences paraphrased, "
            f"{kept} kept as written"
        )
        rejected = now["reasons"][reasons_before:]
        if rejected:
            row.note += f" (rejected: {reason_kinds(rejected)})"
    return row


def rewrite_with_adapter(
    task: Task,
    profile: StyleProfile,
    neutraliser_name: str,
    neutraliser: Neutraliser,
    *,
    k: int,
    max_minutes: float,
    home: Path,
    model: str,
    max_words: int = 20_000,
    file_words: int = 2_000,
    as_trained: bool = False,
    epochs: float | None = None,
) -> Row:
    """The personal-adapter rewrite of every input: tune on the target's training split, rewrite.

    Needs ``inkmod.generation.personal.pipeline.tune`` (the adapter pipeline of issue 10); without
    it, or with ``max_minutes <= 0``, the row says why and has no outputs. The adapter is trained
    in ``home`` (as ``INKMOD_HOME``) from the target's training documents; a rewrite neutralises
    the input with the same neutraliser, completes the adapter's prompt format k times on the
    llama.cpp model with the adapter loaded, and chooses like ``rewrite_paragraph`` does
    (closer to the writer's profile, faithful). When the pipeline offers its own
    ``rewrite_paragraph_with_adapter(paragraph, profile, adapter, *, neutraliser, k)``, that is
    used instead.
    """
    import os

    row = Row(f"adapter: {neutraliser_name}")
    try:
        pipeline: Any = importlib.import_module("inkmod.generation.personal.pipeline")
    except ImportError as exc:
        row.note = f"skipped: inkmod.generation.personal has no tune pipeline yet ({exc})"
        return row
    if not hasattr(pipeline, "tune"):
        row.note = "skipped: inkmod.generation.personal.pipeline has no tune() yet"
        return row
    if max_minutes <= 0:
        row.note = (
            "skipped: pass --adapter-minutes M to train one adapter per target and neutraliser"
        )
        return row
    safe = "".join(c if c.isalnum() else "-" for c in task.label.lower())
    samples = home / "samples" / safe
    if samples.exists():
        shutil.rmtree(samples)
    samples.mkdir(parents=True)
    for index, text in enumerate(sample_files(task.target, max_words, file_words)):
        (samples / f"{index:03d}.txt").write_text(text, encoding="utf-8")
    previous = os.environ.get("INKMOD_HOME")
    os.environ["INKMOD_HOME"] = str(home)
    started = time.perf_counter()
    try:
        result = pipeline.tune(
            f"bench-{safe}-{neutraliser_name}"[:60],
            samples,
            max_minutes=max_minutes,
            neutraliser=neutraliser_name,
            config=None if epochs is None else pipeline.TrainConfig(epochs=epochs),
        )
    except Exception as exc:  # an untested trainer must not hide the other rows
        row.note = f"tune failed: {type(exc).__name__}: {exc}"[:200]
        return row
    finally:
        if previous is None:
            os.environ.pop("INKMOD_HOME", None)
        else:
            os.environ["INKMOD_HOME"] = previous
    row.note = (
        f"tuned {result.steps}/{result.total_steps} steps in {time.perf_counter() - started:.0f} s"
        f", val loss {result.base_validation_loss} -> {result.validation_loss}"
    )
    if result.adapter is None:
        row.note += "; no adapter written"
        return row
    from inkmod.generation.personal.neutralise import get_neutraliser, serving_neutraliser
    from inkmod.generation.rewrite import PersonalStyle, rewrite_paragraph

    # What the product does (serving.style_for): a model paraphraser's adapter is fed inputs
    # neutralised by the rule-based neutraliser it names.
    serving = neutraliser_name if as_trained else serving_neutraliser(neutraliser_name)
    if serving != neutraliser_name:
        neutraliser = get_neutraliser(serving)
        row.system += f" (inputs: {serving})"
    style = PersonalStyle(neutraliser, serving)
    backend = create_backend(model, lora_path=str(result.adapter))
    backend.load()
    try:
        for _, paragraph in task.inputs:
            began = time.perf_counter()
            rewritten = rewrite_paragraph(paragraph, profile, backend, k=k, personal=style)
            row.outputs.append(from_rewrite(rewritten, time.perf_counter() - began))
    finally:
        backend.close()
    return row


def sample_files(split: AuthorSplit, max_words: int, file_words: int) -> list[str]:
    """The target's training text as a samples folder: files of about ``file_words`` words.

    Paragraphs are kept whole and in order, up to ``max_words`` in all; several files let the
    pipeline hold whole files out for validation (a novel is one document otherwise).
    """
    files: list[str] = []
    current: list[str] = []
    count = total = 0
    for doc in split.train:
        for paragraph in doc.text.split("\n\n"):
            words = len(paragraph.split())
            if not words:
                continue
            if total + words > max_words:
                break
            current.append(paragraph.strip())
            count += words
            total += words
            if count >= file_words:
                files.append("\n\n".join(current))
                current, count = [], 0
    if current:
        files.append("\n\n".join(current))
    return files


@dataclass
class Scored:
    figures: Styll
    facts: float | None
    seconds: float
    words: float


def score_row(row: Row, task: Task, judge: AuthorshipJudge, target_text: np.ndarray) -> Scored:
    """STYLL per source author (the set of that author's inputs), averaged over source authors."""
    inputs = [p for _, p in task.inputs]
    outputs = [o.text for o in row.outputs]
    sims = similarities(inputs, outputs)
    # STYLL's sim floor: the meaning similarity of the inputs with unrelated target-author text
    reference = windows(task.target.held_out, 100)
    floor_pairs = [reference[i % len(reference)] for i in range(len(inputs))]
    sim_floor = float(np.mean(similarities(inputs, floor_pairs)))
    p_in, p_out = judge.proba(inputs), judge.proba(outputs)
    target = judge.index(task.label)
    per_source = []
    for source in dict.fromkeys(a for a, _ in task.inputs):
        rows = [i for i, (a, _) in enumerate(task.inputs) if a == source]
        per_source.append(
            styll(p_out[rows], p_in[rows], target_text, target, [sims[i] for i in rows], sim_floor)
        )
    figures = Styll(
        *(float(np.mean([getattr(s, f) for s in per_source])) for f in Styll.__annotations__)
    )
    kept = [
        f for f in (facts_kept(i, o) for i, o in zip(inputs, outputs, strict=True)) if f is not None
    ]
    return Scored(
        figures,
        statistics.fmean(kept) if kept else None,
        statistics.fmean(o.seconds for o in row.outputs),
        statistics.fmean(len(p.split()) for p in inputs),
    )


HEADER = (
    f"{'system':32s} {'away':>6s} {'towards':>7s} {'sim':>6s} {'joint':>6s} {'cos':>6s} "
    f"{'P(tgt)':>6s} {'facts':>6s} {'s/para':>7s}  notes"
)


def line(name: str, s: Scored, note: str = "") -> str:
    f = s.figures
    facts = f"{s.facts:6.2f}" if s.facts is not None else "   n/a"
    return (
        f"{name:32s} {f.away:6.3f} {f.towards:7.3f} {f.sim:6.3f} {f.joint:6.3f} {f.raw_sim:6.3f} "
        f"{f.p_target:6.3f} {facts} {s.seconds:7.1f}  {note}"
    )


def row_note(row: Row) -> str:
    if row.note and not row.outputs:
        return row.note
    candidates = sum(o.candidates for o in row.outputs)
    parts = [row.note] if row.note else []
    if candidates:
        rejected = sum(o.rejected for o in row.outputs)
        unchanged = sum(1 for o in row.outputs if not o.changed)
        parts.append(f"{rejected}/{candidates} candidates rejected, {unchanged} kept original")
        reasons = [r for o in row.outputs for r in o.reasons]
        if reasons:
            parts.append(reason_kinds(reasons))
    return "; ".join(parts)


# -- latency --------------------------------------------------------------------------------------
def latency(paragraph: str, profile: StyleProfile, model: str) -> None:
    """Pipeline (k=1, greedy) candidates against a raw llama-cpp-python call of as many tokens."""
    from llama_cpp import Llama

    from inkmod.backends.llama_cpp import default_threads
    from inkmod.backends.models import smollm2_path

    backend = create_backend(model)
    backend.load()
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        result = rewrite_paragraph(paragraph, profile, backend, k=1, temperature=0.0)
        runs.append((result, time.perf_counter() - started))
    exemplars = select_exemplars(profile, paragraph, n=3)
    messages = build_prompt(profile, paragraph, exemplars, chat=True)
    backend.close()
    (first, first_wall), (second, second_wall) = runs
    finish = first.candidates[0].finish_reason if first.candidates else "-"
    tokens = sum(c.tokens for c in first.candidates)
    gen_seconds = first.generation_seconds
    bound = max(1, tokens)  # the raw call may generate at most what the pipeline generated
    threads = default_threads()
    raw = Llama(
        model_path=str(smollm2_path()),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    raw_times, raw_tokens = [], 0
    for _ in range(2):
        raw.reset()  # a cold cache: what a request pays without prefix reuse
        began = time.perf_counter()
        out: Any = raw.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            max_tokens=bound,
            temperature=0.0,
        )
        raw_times.append(time.perf_counter() - began)
        raw_tokens = int(out["usage"]["completion_tokens"])
    del raw
    raw_time = min(raw_times)
    print(f"\n## Rewrite latency ({model}, llama.cpp, k=1, greedy, {len(paragraph.split())} words)")
    print(
        f"pipeline candidates, first : {gen_seconds:6.2f} s for {tokens} tokens "
        f"(wall {first_wall:.2f} s; {finish}"
        f"{', rejected' if first.candidates and first.candidates[0].rejected else ''})"
    )
    second_gen = second.generation_seconds
    second_tokens = sum(c.tokens for c in second.candidates)
    print(
        f"pipeline candidates, again : {second_gen:6.2f} s for {second_tokens} tokens "
        f"(wall {second_wall:.2f} s; style prefix and prompt reused)"
    )
    print(
        f"raw llama-cpp-python       : {raw_time:6.2f} s for {raw_tokens} tokens "
        f"(cold cache, max_tokens={bound})"
    )
    if tokens and raw_tokens:
        per_pipe, per_raw = gen_seconds / tokens, raw_time / raw_tokens
        print(
            f"time per token, pipeline/raw: {per_pipe / per_raw:.2f}x "
            f"({per_pipe / per_raw - 1:+.0%})"
        )
    else:
        print("time per token              : n/a (no tokens generated)")


def best_of_k_latency(
    paragraph: str, profile: StyleProfile, model: str, k: int, adapter: Path | None
) -> None:
    """A best-of-k rewrite, candidates batched against the same candidates decoded in turn.

    With ``adapter`` (a tuned adapter's folder) the personal path is timed: the adapter loaded,
    the paragraph neutralised, the adapter's prompt. Each configuration runs twice on one loaded
    model and the second run is reported (the first pays for making the batch context).
    """
    from inkmod.generation.personal.serving import style_for

    personal = style_for(adapter) if adapter is not None else None
    if adapter is not None and personal is None:
        print(f"\n## Best-of-{k} latency: {adapter} is not a usable adapter, skipped")
        return
    options: dict[str, Any] = {}
    if adapter is not None:
        options["lora_path"] = str(adapter / "adapter.gguf")
    words = len(paragraph.split())
    path = "the personal adapter" if personal else "the in-context prompt"
    print(f"\n## Best-of-{k} latency ({model}, llama.cpp, {path}, {words} words, temperature 0.7)")
    timings: dict[bool, float] = {}
    for batched in (True, False):
        backend = create_backend(model, batched_samples=batched, **options)
        backend.load()
        for _attempt in range(2):
            started = time.perf_counter()
            result = rewrite_paragraph(paragraph, profile, backend, k=k, personal=personal)
            wall = time.perf_counter() - started
        backend.close()
        timings[batched] = wall
        tokens = [c.tokens for c in result.candidates]
        label = "batched (one llama.cpp batch)" if batched else "in turn (one after another)"
        print(
            f"{label:32s}: {wall:6.2f} s wall, generation {result.generation_seconds:5.2f} s "
            f"for {sum(tokens)} tokens {tokens} ({sum(tokens) / result.generation_seconds:.0f} "
            f"tok/s); {'changed' if result.changed else 'kept'}"
        )
    print(
        f"in turn / batched: {timings[False] / timings[True]:.2f}x (target: <= 6 s per paragraph)"
    )


def tokens_per_second(names: list[str]) -> None:
    print("\n## Tokens/s per backend (64 tokens, same prompt)")
    prompt = "Write a short paragraph about a garden in the rain."
    config = GenerationConfig(max_tokens=64, temperature=0.7, seed=1)
    for name in names:
        try:
            backend = create_backend(name)
            started = time.perf_counter()
            backend.load()
            load = time.perf_counter() - started
            chat = backend.info().is_chat
            result = backend.generate(
                [{"role": "user", "content": prompt}] if chat else prompt, config
            )
            print(
                f"{name:28s} load {load:5.1f} s   {result.completion_tokens:3d} tokens "
                f"{result.tokens_per_second:6.1f} tok/s"
            )
            backend.close()
        except Exception as exc:  # a missing extra must not hide the other figures
            print(f"{name:28s} unavailable: {exc}")


# -- the run --------------------------------------------------------------------------------------
def fidelity(args: argparse.Namespace, corpora: list[Corpus], judge: AuthorshipJudge) -> None:
    tasks = make_tasks(
        corpora, args.target or None, args.targets, args.inputs, args.min_words, args.max_words
    )
    backend = create_backend(args.model)
    backend.load()
    neutralisers, notes = available_neutralisers(backend)
    if args.neutralisers:
        neutralisers = {n: f for n, f in neutralisers.items() if n in args.neutralisers}
    for note in notes:
        print(f"note: {note}")
    totals: dict[str, list[Scored]] = {}
    row_notes: dict[str, list[str]] = {}
    for task in tasks:
        profile = target_profile(task.target)
        reference = windows(task.target.held_out, 100)[: args.reference]
        target_text = judge.proba(reference)
        words = statistics.fmean(len(p.split()) for _, p in task.inputs)
        print(
            f"\n## {task.label}: {len(task.inputs)} paragraphs of other {task.corpus.name} authors "
            f"(~{words:.0f} words), k={args.k}"
        )
        print(HEADER)
        rows = [Row("copy input", [Output(p, changed=False) for _, p in task.inputs])]
        if not args.skip_in_context:
            rows += in_context(task, profile, backend, args.k)
        for name, neutraliser in neutralisers.items():
            if not args.skip_neutralisers:
                rows.append(neutralised(task, neutraliser, name))
            rows.append(
                rewrite_with_adapter(
                    task,
                    profile,
                    name,
                    neutraliser,
                    k=args.k,
                    max_minutes=args.adapter_minutes,
                    home=Path(args.cache).resolve(),
                    model=args.model,
                    max_words=args.adapter_words,
                    as_trained=args.serve_as_trained,
                    epochs=args.adapter_epochs,
                )
            )
        for row in rows:
            note = row_note(row)
            if not row.outputs:
                print(f"{row.system:32s} {note}")
                row_notes.setdefault(row.system, []).append(note)
                continue
            scored = score_row(row, task, judge, target_text)
            totals.setdefault(row.system, []).append(scored)
            print(line(row.system, scored, note))
            if row.system.startswith("in-context, best"):
                gen_tokens = sum(o.generated_tokens for o in row.outputs)
                gen_seconds = sum(o.generated_seconds for o in row.outputs)
                print(
                    f"{'':32s} generated {gen_tokens} tokens in {gen_seconds:.1f} s "
                    f"({gen_tokens / max(gen_seconds, 1e-9):.1f} tok/s) over all candidates"
                )
    backend.close()
    print(f"\n## Averaged over {len(tasks)} target authors")
    print(HEADER)
    for system, items in totals.items():
        mean = Styll(
            *(float(np.mean([getattr(i.figures, f) for i in items])) for f in Styll.__annotations__)
        )
        facts = [i.facts for i in items if i.facts is not None]
        print(
            line(
                system,
                Scored(
                    mean,
                    statistics.fmean(facts) if facts else None,
                    statistics.fmean(i.seconds for i in items),
                    statistics.fmean(i.words for i in items),
                ),
            )
        )
    for system, notes_ in row_notes.items():
        if system not in totals:
            print(f"{system:32s} {notes_[0]}")
    print(
        "\naway/towards: STYLL's scaled figures on the judge's author-probability vectors; "
        "sim: MiniLM cosine scaled from its floor (inputs vs unrelated target text), cos: "
        "unscaled; P(tgt): judge's mean probability of the target; facts: names+numbers kept."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks rewrite", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--targets", type=int, default=1, help="target authors per corpus")
    parser.add_argument("--target", action="append", help="a target as corpus:author (repeatable)")
    parser.add_argument("--inputs", type=int, default=4, help="input paragraphs per target")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--min-words", type=int, default=50)
    parser.add_argument("--max-words", type=int, default=110)
    parser.add_argument("--reference", type=int, default=30, help="target windows for towards")
    parser.add_argument("--corpora", default="novels,blogs")
    parser.add_argument("--neutralisers", nargs="*", help="only these neutralisers")
    parser.add_argument("--skip-neutralisers", action="store_true", help="no neutraliser rows")
    parser.add_argument(
        "--adapter-minutes",
        type=float,
        default=0.0,
        help="train an adapter per target and neutraliser for at most M minutes (0: skip)",
    )
    parser.add_argument(
        "--adapter-words", type=int, default=20_000, help="samples folder size for tuning"
    )
    parser.add_argument(
        "--adapter-epochs",
        type=float,
        help="passes over the training pairs (default: the trainer's, 2)",
    )
    parser.add_argument("--cache", default=".bench-cache", help="INKMOD_HOME for adapters")
    parser.add_argument(
        "--serve-as-trained",
        action="store_true",
        help="feed adapters inputs neutralised as in training, even by a model (STRAP-style)",
    )
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="only the latency sections")
    parser.add_argument(
        "--latency-adapter",
        type=Path,
        action="append",
        default=[],
        help="also time best-of-k with this adapter folder (e.g. a profile's NAME.adapter)",
    )
    parser.add_argument("--skip-in-context", action="store_true", help="no in-context rows")
    parser.add_argument("--tokens-per-second", action="store_true", help="also per backend")
    args = parser.parse_args(argv)

    loaders = {"novels": load_novels, "blogs": load_blogs}
    corpora = [loaders[name]() for name in args.corpora.split(",")]
    if not args.skip_latency:
        task = make_tasks(corpora[:1], None, 1, 1, args.min_words, args.max_words)[0]
        latency(task.inputs[0][1], target_profile(task.target), args.model)
        # The latency target: a ~100-word paragraph, best of k.
        long = make_tasks(corpora[:1], None, 1, 1, 90, 115)[0]
        for adapter in [None, *args.latency_adapter]:
            best_of_k_latency(
                long.inputs[0][1], target_profile(long.target), args.model, args.k, adapter
            )
    if args.latency_only:
        return
    started = time.perf_counter()
    judge = train_judge([load_novels(), load_blogs()])
    accuracy = held_out_accuracy(judge, [load_novels(), load_blogs()])
    print(
        f"## Judge: TF-IDF char 2-4 + word 1-2 grams, logistic regression, "
        f"{len(judge.authors)} authors, trained in {time.perf_counter() - started:.0f} s"
    )
    chance = ", ".join(f"{name} {acc:.2f}" for name, acc in accuracy.items())
    print(f"held-out accuracy on untouched 100-word windows (chance 0.10): {chance}")

    if args.tokens_per_second:
        tokens_per_second(["smollm2", "gemma3-270m", "gpt4all:smollm2", "hf:smollm2"])
    fidelity(args, corpora, judge)


if __name__ == "__main__":
    main()
