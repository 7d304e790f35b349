"""Training pairs from the samples folder alone: (neutral passage, the writer's passage).

Why passages of 40-150 words cut at sentence boundaries: that is the size of what a rewrite is
asked to handle (a paragraph), long enough to show the writer's sentence rhythm and short enough
that four of them fit a training step on two cores. Short paragraphs are joined (with their
paragraph break kept, so the model learns to copy structure, not to invent it); long ones are cut.

Why the validation split is by document: passages of one post share topic, names and phrasing. A
passage-level split would let the model "validate" on text it has effectively seen, and the
validation loss would say nothing about a new paragraph.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inkmod.generation.personal.neutral_cache import NeutralCache
from inkmod.generation.personal.neutralise import Neutraliser, get_neutraliser
from inkmod.style.ingest import SkipSample, iter_sample_files, read_sample
from inkmod.style.markup import extract_prose
from inkmod.style.tokens import split_sentences, words_of

MIN_PASSAGE_WORDS = 40
MAX_PASSAGE_WORDS = 150
# Below this much prose there are only a dozen passages and at most one small validation document.
# Not yet measured as a curve: on Maya's six posts (3,112 prose words, 40 training passages) 0.7
# epoch already halved the held-out validation loss (0.61 -> 0.32 nats/token); 1,500 words keeps
# the demo folder well above the line and is a guess to be replaced by a measured knee.
MIN_TRAINING_WORDS = 1500
PROSE_KINDS = frozenset({"paragraph", "quote"})


class TooFewWordsError(ValueError):
    """The samples hold too little prose to learn a voice from; says how much is needed."""

    def __init__(self, folder: Path, words: int, needed: int = MIN_TRAINING_WORDS) -> None:
        self.words = words
        self.needed = needed
        super().__init__(
            f"{folder} holds {words:,} words of prose; a personal model needs at least "
            f"{needed:,} words of your writing (about {needed - words:,} more, for example "
            f"{max(1, -(-(needed - words) // 500))} more posts of 500 words)"
        )


@dataclass(frozen=True)
class SampleDocument:
    """One sample file's prose, as the profile knows it (same id and digest)."""

    doc_id: str
    digest: str
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(words_of(p)) for p in self.paragraphs)


@dataclass(frozen=True)
class TrainingPair:
    """The model's input (``neutral``), its target (the writer's ``target``) and their source."""

    neutral: str
    target: str
    document: str


def read_documents(folder: Path) -> tuple[list[SampleDocument], list[SkipSample]]:
    """Every usable sample under ``folder`` with its prose paragraphs (no headings, lists, code).

    Ids and digests are computed exactly as the style profile computes them, so an adapter's
    manifest can be compared with a profile cheaply.
    """
    root = folder.expanduser().resolve()
    docs: list[SampleDocument] = []
    skipped: list[SkipSample] = []
    for item in iter_sample_files(root):
        if isinstance(item, SkipSample):
            skipped.append(item)
            continue
        try:
            sample = read_sample(item)
        except SkipSample as skip:
            skipped.append(skip)
            continue
        digest = hashlib.sha256(sample.text.encode("utf-8", "surrogatepass")).hexdigest()
        paragraphs = tuple(
            b.text for b in extract_prose(sample.text, sample.fmt) if b.kind in PROSE_KINDS
        )
        # Kept even without prose paragraphs: the manifest must list what the profile lists.
        docs.append(SampleDocument(doc_id_for(root, item), digest, paragraphs))
    return docs, skipped


def doc_id_for(root: Path, path: Path) -> str:
    """A sample's id as the profile builder names it: its path relative to the folder."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _sentences(paragraph: str) -> list[str]:
    return [paragraph[s:e].strip() for s, e, _ in split_sentences(paragraph)]


def _cut_long(paragraph: str) -> list[str]:
    """A paragraph over MAX_PASSAGE_WORDS cut at sentence boundaries into near-equal pieces."""
    sentences = _sentences(paragraph)
    total = sum(len(words_of(s)) for s in sentences)
    pieces = -(-total // MAX_PASSAGE_WORDS)
    goal = total / pieces
    out: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        n = len(words_of(sentence))
        if current and count + n > MAX_PASSAGE_WORDS:
            out.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
        if count >= goal and len(out) < pieces - 1:
            out.append(" ".join(current))
            current, count = [], 0
    if current:
        if out and count < MIN_PASSAGE_WORDS // 2:
            out[-1] = out[-1] + " " + " ".join(current)
        else:
            out.append(" ".join(current))
    return out


def passages(paragraphs: tuple[str, ...] | list[str]) -> list[str]:
    """Passages of about MIN..MAX_PASSAGE_WORDS words; joined paragraphs keep their break."""
    out: list[str] = []
    pending: list[str] = []
    pending_words = 0
    for paragraph in paragraphs:
        n = len(words_of(paragraph))
        if n == 0:
            continue
        if n > MAX_PASSAGE_WORDS:
            if pending:
                out.append("\n\n".join(pending))
                pending, pending_words = [], 0
            out.extend(_cut_long(paragraph))
            continue
        if pending and pending_words + n > MAX_PASSAGE_WORDS:
            out.append("\n\n".join(pending))
            pending, pending_words = [], 0
        pending.append(paragraph)
        pending_words += n
        if pending_words >= MIN_PASSAGE_WORDS:
            out.append("\n\n".join(pending))
            pending, pending_words = [], 0
    if pending:
        tail = "\n\n".join(pending)
        if out and pending_words < MIN_PASSAGE_WORDS // 2:
            out[-1] = out[-1] + "\n\n" + tail
        elif pending_words >= MIN_PASSAGE_WORDS // 2:
            out.append(tail)
    return out


def build_pairs(
    documents: list[SampleDocument],
    neutraliser: Neutraliser | str | None = None,
    *,
    cache: NeutralCache | None = None,
    on_passage: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[TrainingPair]:
    """Every passage of every document as a (neutral, target) pair.

    ``cache`` serves and keeps a model paraphraser's earlier work (see :mod:`.neutral_cache`);
    ``on_passage(done, total)`` reports progress; a set ``cancel`` stops before the next passage
    (the pairs so far are returned, and the cache keeps them).
    """
    neutralise = (
        neutraliser
        if neutraliser is not None and not isinstance(neutraliser, str)
        else get_neutraliser(neutraliser)
    )
    work = [(doc, passage) for doc in documents for passage in passages(doc.paragraphs)]
    pairs: list[TrainingPair] = []
    for done, (doc, passage) in enumerate(work):
        if cancel is not None and cancel.is_set():
            break
        neutral = cache.get(passage) if cache is not None else None
        if neutral is None:
            neutral = neutralise(passage)
            if cache is not None and not (cancel is not None and cancel.is_set()):
                cache.put(passage, neutral)
        if words_of(neutral):
            pairs.append(TrainingPair(neutral, passage, doc.doc_id))
        if on_passage is not None:
            on_passage(done + 1, len(work))
    if cache is not None:
        if cancel is not None and cancel.is_set():
            cache.save()
        else:
            cache.finish()
    return pairs


def check_enough_words(folder: Path, documents: list[SampleDocument]) -> int:
    """Total prose words; raises :class:`TooFewWordsError` below the minimum."""
    words = sum(d.words for d in documents)
    if words < MIN_TRAINING_WORDS:
        raise TooFewWordsError(folder, words)
    return words


def split_by_document(
    pairs: list[TrainingPair], validation_fraction: float = 0.15
) -> tuple[list[TrainingPair], list[TrainingPair]]:
    """``(train, validation)``: whole documents go to validation, never single passages.

    Documents are ordered by a hash of their id (stable across runs and machines, independent of
    file names' alphabetical order) and taken for validation until they hold the requested share
    of the pairs. With a single document there is nothing to hold out: validation is empty.
    """
    by_doc: dict[str, list[TrainingPair]] = {}
    for pair in pairs:
        by_doc.setdefault(pair.document, []).append(pair)
    if len(by_doc) < 2:
        return list(pairs), []
    order = sorted(by_doc, key=lambda d: hashlib.sha256(d.encode("utf-8")).hexdigest())
    goal = max(1, round(validation_fraction * len(pairs)))
    held: set[str] = set()
    count = 0
    for doc_id in order:
        if count >= goal or len(held) == len(by_doc) - 1:
            break
        held.add(doc_id)
        count += len(by_doc[doc_id])
    train = [p for p in pairs if p.document not in held]
    validation = [p for p in pairs if p.document in held]
    return train, validation
