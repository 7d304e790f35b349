"""Rewriting text in the writer's style: paragraph by paragraph, best-of-k, re-ranked.

Why best-of-k with re-ranking: a small local model's first sample is often off-voice or drops a
fact. Generating k candidates and keeping the one that is closest to the writer's profile (drift
score) while keeping the original's content (content-word recall, length) is the cheapest reliable
quality lever we have. The k candidates are sampled together where the backend can
(:func:`~inkmod.backends.base.generate_samples`: llama.cpp decodes them as parallel sequences of
one batch, the prompt evaluated once), so k = 3 costs far less than three rewrites.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inkmod.backends.base import Backend, ChatMessage, GenerationConfig, generate_samples
from inkmod.generation.faithfulness import (
    MIN_CONTENT_KEPT,
    preservation,
    rejections,
)
from inkmod.generation.prompt import (
    Exemplar,
    rewrite_continuation,
    rewrite_messages,
    select_exemplars,
)
from inkmod.style.document import parse
from inkmod.style.features import paragraph_features
from inkmod.style.profile import StyleProfile
from inkmod.style.tokens import parse_paragraph, split_sentences

DEFAULT_K = 3
CHAT_OVERHEAD_TOKENS = 48  # template tokens around chat messages
_ARTIFACT_RE = re.compile(
    r"^(?:\s*(?:here is|here's|sure[,!]?|rewritten(?: passage)?(?: by [^:\n]+)?"
    r"|passage(?: \d+)?)\s*[:\-]?\s*)+",
    re.IGNORECASE,
)

_NEXT_LABEL_RE = re.compile(r"\n\s*(?:Original|Draft|Passage(?: \d+)?|Example \d+)\s*:")

TokenFn = Callable[[int, str], None]
CandidateFn = Callable[[int, "Candidate"], None]


@dataclass(frozen=True)
class PersonalStyle:
    """Rewrite through the writer's personal adapter, which the backend has loaded.

    Why a different prompt: the adapter learned "neutral version -> the writer's own text" in
    one exact format (:mod:`inkmod.generation.personal.format`), so the model is shown only the
    neutralised paragraph in that format -- no style description, no exemplars. Faithfulness is
    still judged against the *original* paragraph. The caller (the CLI or the daemon) decides
    whether a valid adapter is loaded; the engine never guesses.
    """

    neutraliser: Callable[[str], str]
    name: str = "deterministic"


@dataclass(frozen=True)
class Candidate:
    """One generated rewrite with its scores."""

    text: str
    drift: float | None
    preservation: float
    rank_score: float
    tokens: int
    seconds: float
    finish_reason: str
    # Standardised surprise against the writer (see DriftResult.z); None when too short to judge.
    z: float | None = None
    # Why the faithfulness rules reject it (inkmod.generation.faithfulness); empty when faithful.
    rejected: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "drift": self.drift,
            "z": None if self.z is None else round(self.z, 4),
            "preservation": round(self.preservation, 4),
            "rank_score": round(self.rank_score, 4),
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
            "finish_reason": self.finish_reason,
            "rejected": list(self.rejected),
        }


@dataclass
class ParagraphRewrite:
    """The rewrite of one paragraph: the original, the chosen candidate and all candidates."""

    original: str
    original_drift: float | None
    chosen: Candidate
    candidates: list[Candidate]
    source_start: int = 0
    source_end: int = 0
    original_z: float | None = None
    """The original's standardised surprise (what "closer to the writer" is measured on)."""
    generation_seconds: float = 0.0
    """How long the candidates took together (batched candidates overlap; see generate_samples)."""

    @property
    def changed(self) -> bool:
        """False when the original was kept (no candidate was closer and faithful enough)."""
        return self.chosen.finish_reason != "unchanged"

    @property
    def reason(self) -> str | None:
        """Why the original was kept, in a sentence for the writer (None when changed)."""
        if self.changed:
            return None
        usable = [c for c in self.candidates if c.text and c.finish_reason != "cancelled"]
        if not usable:
            return "no rewrite was generated"
        z = self.original_z if self.original_z is not None else self.chosen.z
        closer = [c for c in usable if z is None or (c.z is not None and c.z < z)]
        n = len(usable)
        some = "the rewrite was" if n == 1 else f"none of the {n} rewrites was"
        if not closer:
            return f"{some} closer to your style than the original"
        return (
            f"{some} both closer to your style and faithful to the original "
            f"({len(closer)} closer, but changing what it says)"
        )

    @property
    def drift_change(self) -> str:
        """The change a writer is shown, "0.83 → 0.41", in the CLI and the demo alike.

        The drift score saturates at 1.00 for a paragraph far from the writer, while "closer"
        is decided on the unsaturated surprise; when both ends show the same figure, that
        surprise is shown too, so what is shown agrees with what was decided ("1.00 → 1.00"
        alone read as "no change" for a rewrite that was applied because it was closer).
        """
        before = "—" if self.original_drift is None else f"{self.original_drift:.2f}"
        after = "—" if self.chosen.drift is None else f"{self.chosen.drift:.2f}"
        if not self.changed:
            return before
        shown = f"{before} → {after}"
        z_before, z_after = self.original_z, self.chosen.z
        if before == after and z_before is not None and z_after is not None:
            shown += f" (closer, though still far: surprise {z_before:.2f} → {z_after:.2f})"
        return shown

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "reason": self.reason,
            "original": self.original,
            "original_drift": self.original_drift,
            "text": self.chosen.text,
            "chosen": self.chosen.to_dict(),
            "candidates": [c.to_dict() for c in self.candidates],
            "source_start": self.source_start,
            "source_end": self.source_end,
        }


@dataclass
class RewriteResult:
    """A rewritten document: the new text and, per paragraph, what was chosen and why."""

    text: str
    paragraphs: list[ParagraphRewrite] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
        }


def clean_output(text: str) -> str:
    """Strip prompt artefacts a small model echoes ("Rewritten:", quotes, a next example)."""
    text = text.strip()
    text = text.split("\n---", 1)[0]
    text = re.split(r"\n\s*(?:Original|Draft|Passage(?: \d+)?|Example \d+)\s*:", text, maxsplit=1)[
        0
    ]
    text = _ARTIFACT_RE.sub("", text).strip()
    if len(text) >= 2 and text[0] in '"“' and text[-1] in '"”':
        text = text[1:-1].strip()
    # One paragraph in, one paragraph out: chat models like to break their answer up.
    return re.sub(r"\s*\n\s*\n\s*", " ", text)


def closeness(z: float | None) -> float:
    """How close to the writer (0–1) from the standardised surprise.

    A gentler curve than the drift score's own (which is 1.0 for anything clearly foreign), so
    candidates keep an order even when all of them are still far from the writer's voice.
    """
    if z is None:
        return 0.5
    return 1.0 - 0.5 * (1.0 + math.erf(z / 3.0 / math.sqrt(2.0)))


Ranked = tuple[float | None, float, float, float | None]


def rank(profile: StyleProfile, original: str, candidate: str) -> Ranked:
    """(drift, preservation, rank score, z) of a candidate; higher rank score is better."""
    if not candidate.strip():
        return None, 0.0, -1.0, None
    result = profile.score_features(paragraph_features(parse_paragraph(candidate)))
    kept = preservation(original, candidate)
    return result.score, kept, 0.5 * closeness(result.z) + 0.5 * kept, result.z


MIN_PRESERVATION = MIN_CONTENT_KEPT  # kept as a name for callers; the rule lives in faithfulness


def choose(candidates: list[Candidate], original_z: float | None) -> Candidate | None:
    """The best-ranked faithful candidate that is closer to the writer than the original.

    A rewrite that is no closer to the writer's voice is not a rewrite in their style, however
    faithful (near-copies would otherwise win on content preservation alone); one that the
    faithfulness rules reject (a lost name, number or negation, cut off at the token limit, talk
    about the task, under 40 % of the content kept: see ``Candidate.rejected``) is not a rewrite
    of the original at all. None when no candidate is both: the caller keeps the original and
    says so.
    """
    usable = [c for c in candidates if c.text and c.finish_reason != "cancelled"]
    good = [
        c
        for c in usable
        if not c.rejected and (original_z is None or (c.z is not None and c.z < original_z))
    ]
    return max(good, key=lambda c: c.rank_score) if good else None


def _is_chat(backend: Backend) -> bool:
    try:
        return backend.info().is_chat
    except Exception:  # an info failure must not stop a rewrite; assume a base model
        return False


def _context_length(backend: Backend) -> int:
    try:
        return backend.info().context_length or 2048
    except Exception:
        return 2048


def build_prompt(
    profile: StyleProfile, paragraph: str, exemplars: list[Exemplar], chat: bool
) -> str | list[ChatMessage]:
    if chat:
        return rewrite_messages(profile, paragraph, exemplars)  # type: ignore[return-value]
    return rewrite_continuation(profile, paragraph, exemplars)


def prompt_tokens(backend: Backend, prompt: str | list[ChatMessage]) -> int:
    if isinstance(prompt, str):
        return backend.count_tokens(prompt)
    return sum(backend.count_tokens(m["content"]) for m in prompt) + CHAT_OVERHEAD_TOKENS


def _chunks_that_fit(backend: Backend, paragraph: str, limit: int) -> list[str]:
    """Split an over-long paragraph at sentence boundaries into pieces of ≤ ``limit`` tokens."""
    pieces: list[str] = []
    current = ""
    for start, end, _ in split_sentences(paragraph):
        sentence = paragraph[start:end]
        joined = f"{current} {sentence}".strip()
        if current and backend.count_tokens(joined) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = joined
    if current:
        pieces.append(current)
    return pieces or [paragraph]


def rewrite_paragraph(
    paragraph: str,
    profile: StyleProfile,
    backend: Backend,
    *,
    k: int = DEFAULT_K,
    temperature: float = 0.7,
    seed: int = 0,
    on_token: TokenFn | None = None,
    on_candidate: CandidateFn | None = None,
    cancel: threading.Event | None = None,
    personal: PersonalStyle | None = None,
) -> ParagraphRewrite:
    """Rewrite one paragraph: k candidates, re-ranked; never exceeds the model's context.

    With ``personal`` the candidates come from the writer's adapter (see :class:`PersonalStyle`);
    without, from the in-context style prompt with exemplars.
    """
    chat = _is_chat(backend) and personal is None
    context = _context_length(backend)
    paragraph_tokens = backend.count_tokens(paragraph)
    # Leave room for the answer (a rewrite is about as long as the original).
    if paragraph_tokens * 3 + 200 > context:
        pieces = _chunks_that_fit(backend, paragraph, max(64, (context - 200) // 3))
        if len(pieces) > 1:
            parts = [
                rewrite_paragraph(
                    piece,
                    profile,
                    backend,
                    k=k,
                    temperature=temperature,
                    seed=seed,
                    on_token=on_token,
                    on_candidate=on_candidate,
                    cancel=cancel,
                    personal=personal,
                )
                for piece in pieces
            ]
            return _join_parts(paragraph, profile, parts)
    max_answer = int(paragraph_tokens * 1.6) + 32
    prompt: str | list[ChatMessage]
    if personal is not None:
        from inkmod.generation.personal import format as personal_format

        prompt = personal_format.rewrite_prompt(personal.neutraliser(paragraph))
        stop: tuple[str, ...] = personal_format.STOP
    else:
        exemplars = select_exemplars(profile, paragraph, n=3)
        prompt = build_prompt(profile, paragraph, exemplars, chat)
        while exemplars and prompt_tokens(backend, prompt) + max_answer > context:
            exemplars = exemplars[:-1]
            prompt = build_prompt(profile, paragraph, exemplars, chat)
        stop = ("\n\n", "\nPassage", "\nDraft:") if not chat else ()
    max_answer = max(16, min(max_answer, context - prompt_tokens(backend, prompt) - 8))
    original = profile.score_features(paragraph_features(parse_paragraph(paragraph)))
    configs = [
        GenerationConfig(
            max_tokens=max_answer,
            temperature=temperature if k > 1 else min(temperature, 0.3),
            seed=seed + index,
            stop=stop,
        )
        for index in range(max(1, k))
    ]
    started = time.perf_counter()
    results = generate_samples(backend, prompt, configs, on_token=on_token, cancel=cancel)
    generation_seconds = time.perf_counter() - started
    candidates: list[Candidate] = []
    for index, result in enumerate(results):
        text = clean_output(_personal_completion(result.text) if personal else result.text)
        drift, kept, score, z = rank(profile, paragraph, text)
        candidate = Candidate(
            text=text,
            drift=drift,
            preservation=kept,
            rank_score=score,
            tokens=result.completion_tokens,
            seconds=result.seconds,
            finish_reason=result.finish_reason,
            z=z,
            rejected=tuple(rejections(paragraph, text, result.finish_reason)),
        )
        candidates.append(candidate)
        if on_candidate:
            on_candidate(index, candidate)
    chosen = choose(candidates, original.z) or _unchanged(paragraph, original.score, original.z)
    return ParagraphRewrite(
        paragraph,
        original.score,
        chosen,
        candidates,
        original_z=original.z,
        generation_seconds=generation_seconds,
    )


def _personal_completion(raw: str) -> str:
    from inkmod.generation.personal.format import clean_completion

    return clean_completion(raw)


def _unchanged(paragraph: str, drift: float | None, z: float | None) -> Candidate:
    """The original itself, when no candidate is worth using (finish_reason 'unchanged')."""
    return Candidate(paragraph, drift, 1.0, 0.0, 0, 0.0, "unchanged", z)


def _join_parts(
    paragraph: str, profile: StyleProfile, parts: list[ParagraphRewrite]
) -> ParagraphRewrite:
    text = " ".join(p.chosen.text for p in parts)
    drift, kept, score, z = rank(profile, paragraph, text)
    chosen = Candidate(
        text,
        drift,
        kept,
        score,
        sum(p.chosen.tokens for p in parts),
        sum(p.chosen.seconds for p in parts),
        parts[-1].chosen.finish_reason,
        z,
    )
    original = profile.score_features(paragraph_features(parse_paragraph(paragraph)))
    return ParagraphRewrite(
        paragraph,
        original.score,
        chosen,
        [chosen],
        original_z=original.z,
        generation_seconds=sum(p.generation_seconds for p in parts),
    )


def rewrite_text(
    text: str,
    profile: StyleProfile,
    backend: Backend,
    *,
    fmt: str = "plaintext",
    k: int = DEFAULT_K,
    only_drifting: bool = False,
    threshold: float = 0.95,
    on_token: TokenFn | None = None,
    on_candidate: CandidateFn | None = None,
    on_paragraph: Callable[[int, int, ParagraphRewrite], None] | None = None,
    cancel: threading.Event | None = None,
    personal: PersonalStyle | None = None,
) -> RewriteResult:
    """Rewrite every prose paragraph of ``text`` (or only the drifting ones), keeping the rest.

    Headings, code, front matter and other non-prose stay byte-for-byte as they were; each
    rewritten paragraph replaces exactly its source range.
    """
    started = time.perf_counter()
    blocks = parse(text, fmt)
    rewrites: list[ParagraphRewrite] = []
    cancelled = False
    for index, block in enumerate(blocks):
        if cancel is not None and cancel.is_set():
            cancelled = True
            break
        source = text[block.start : block.end]
        if only_drifting:
            score = profile.score_text(block.text).score
            if score is None or score <= threshold:
                continue
        for done in rewrite_block(
            source,
            block.kind,
            profile,
            backend,
            k=k,
            on_token=on_token,
            on_candidate=on_candidate,
            cancel=cancel,
            personal=personal,
        ):
            done.source_start += block.start
            done.source_end += block.start
            rewrites.append(done)
            if on_paragraph:
                on_paragraph(index, len(blocks), done)
    output = apply_rewrites(text, rewrites)
    cancelled = cancelled or bool(cancel is not None and cancel.is_set())
    return RewriteResult(output, rewrites, cancelled, time.perf_counter() - started)


_ITEM_RE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)]|#\.|\\item)[ \t]+", re.MULTILINE)
_QUOTE_MARK_RE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)


def block_units(source: str, kind: str) -> list[tuple[int, int, str]]:
    """The units one block is rewritten in: ``(start, end, text for the model)``.

    ``source`` is the block's source exactly as the markup parser delimits it (for a list or
    a quote it starts *after* the first marker). A paragraph is one unit. A quote is one unit
    whose text has its ``>`` markers removed (the rewrite replaces everything after the first
    one, so the quote stays a quote). A list is rewritten **item by item**: each item's text
    after its marker is one unit, so every marker, number and indentation stays where it was
    and the list stays a list of as many items -- rewriting the list as one passage would let
    the model merge, drop or reorder items and return prose where a list was.
    """
    if kind == "list":
        bounds = [0] + [m.end() for m in _ITEM_RE.finditer(source) if m.start() > 0]
        ends = [m.start() for m in _ITEM_RE.finditer(source) if m.start() > 0] + [len(source)]
        units = []
        for start, end in zip(bounds, ends, strict=True):
            end = start + len(source[start:end].rstrip())
            words = " ".join(source[start:end].split())
            if words:
                units.append((start, end, words))
        return units
    end = len(source.rstrip())
    if kind == "quote":
        return [(0, end, " ".join(_QUOTE_MARK_RE.sub("", source[:end]).split()))]
    return [(0, end, source[:end])]


def rewrite_block(
    source: str,
    kind: str,
    profile: StyleProfile,
    backend: Backend,
    *,
    k: int = DEFAULT_K,
    on_token: TokenFn | None = None,
    on_candidate: CandidateFn | None = None,
    on_unit: Callable[[ParagraphRewrite], None] | None = None,
    cancel: threading.Event | None = None,
    personal: PersonalStyle | None = None,
) -> list[ParagraphRewrite]:
    """Rewrite exactly one block (its ``source``, of ``kind``) as one unit, never re-parsing it
    without its context: one rewrite per unit of :func:`block_units`, offsets relative to
    ``source``. When a unit is kept, its ``original`` is what the model saw; put
    ``source[source_start:source_end]`` back (see :func:`apply_rewrites`)."""
    out: list[ParagraphRewrite] = []
    for start, end, text in block_units(source, kind):
        if cancel is not None and cancel.is_set():
            break
        done = rewrite_paragraph(
            text,
            profile,
            backend,
            k=k,
            on_token=on_token,
            on_candidate=on_candidate,
            cancel=cancel,
            personal=personal,
        )
        done.source_start, done.source_end = start, end
        if kind != "paragraph" and done.changed:  # an item or a quote stays on its lines
            done.chosen = dataclasses.replace(done.chosen, text=" ".join(done.chosen.text.split()))
        out.append(done)
        if on_unit:
            on_unit(done)
    return out


def apply_rewrites(text: str, rewrites: list[ParagraphRewrite]) -> str:
    """``text`` with every changed unit replaced by its chosen candidate (kept ones as they
    were, byte for byte)."""
    output = text
    for item in sorted(rewrites, key=lambda r: -r.source_start):
        if item.changed:
            output = output[: item.source_start] + item.chosen.text + output[item.source_end :]
    return output
