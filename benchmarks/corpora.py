"""Loading the shared benchmark corpora and cutting them into authorship-verification splits.

The corpora live beside the checkout in ``../shared/corpora`` (override with ``INKMOD_CORPORA``);
nothing from them is copied into the project. A split gives, for one target author, the training
documents the profile is built from, and the held-out text cut into consecutive windows of a fixed
number of words: the author's own (positives) and every other author's (negatives).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from inkmod.style.tokens import WORD_RE, normalise


def corpora_root() -> Path:
    """Where the shared corpora are: ``$INKMOD_CORPORA`` or ``../shared/corpora`` of the repo."""
    env = os.environ.get("INKMOD_CORPORA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


@dataclass(frozen=True)
class Document:
    author: str
    name: str
    text: str


@dataclass(frozen=True)
class AuthorSplit:
    """One author's training documents and held-out documents, plus the other authors' held-out."""

    author: str
    train: tuple[Document, ...]
    held_out: tuple[Document, ...]
    others_held_out: tuple[Document, ...]


@dataclass(frozen=True)
class Corpus:
    name: str
    splits: tuple[AuthorSplit, ...]
    description: str

    @property
    def authors(self) -> list[str]:
        return [s.author for s in self.splits]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_novels(root: Path | None = None) -> Corpus:
    """Novels: an author's profile is built from all their books but the last, which is held out.

    (Charlotte Brontë has two books, so her profile is built from one.) Books are taken in the
    order of ``metadata.csv``.
    """
    base = (root or corpora_root()) / "novels"
    books: dict[str, list[Document]] = {}
    with (base / "metadata.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            doc = Document(row["author"], row["title"], _read(base / row["file"]))
            books.setdefault(row["author"], []).append(doc)
    return Corpus(
        "novels",
        _splits(books, lambda docs: (docs[:-1], docs[-1:])),
        "profile = an author's other books (1–2 × ~20k words); held out = their last book",
    )


def load_blogs(root: Path | None = None, n_train: int = 20) -> Corpus:
    """Blogs: the profile is built from an author's first ``n_train`` posts (by date).

    Their later posts are held out.
    """
    base = (root or corpora_root()) / "blogs"
    posts: dict[str, list[tuple[str, Document]]] = {}
    with (base / "metadata.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            doc = Document(row["author"], row["title"], _read(base / row["file"]))
            posts.setdefault(row["author"], []).append((row["date"] + row["file"], doc))
    ordered = {a: [d for _, d in sorted(items, key=lambda x: x[0])] for a, items in posts.items()}
    return Corpus(
        "blogs",
        _splits(ordered, lambda docs: (docs[:n_train], docs[n_train:])),
        f"profile = an author's first {n_train} posts by date; held out = their later posts",
    )


Cut = Callable[[list[Document]], tuple[Sequence[Document], Sequence[Document]]]


def _splits(by_author: dict[str, list[Document]], cut: Cut) -> tuple[AuthorSplit, ...]:
    divided = {a: cut(docs) for a, docs in by_author.items()}
    result = []
    for author, (train, held) in divided.items():
        others = tuple(d for b, (_, h) in divided.items() if b != author for d in h)
        result.append(AuthorSplit(author, tuple(train), tuple(held), others))
    return tuple(result)


def windows(documents: Sequence[Document], size: int) -> list[str]:
    """Consecutive, non-overlapping windows of ``size`` words over the documents, in order.

    The documents of one author are read as one stream, so a window may span two of them (blog
    posts are short); windows never mix authors. Whitespace, including paragraph breaks, is
    collapsed to single spaces: a window is judged as one passage.
    """
    text = "\n\n".join(normalise(d.text) for d in documents)
    starts_ends = [(m.start(), m.end()) for m in WORD_RE.finditer(text)]
    out = []
    for i in range(0, len(starts_ends) - size + 1, size):
        start = starts_ends[i][0]
        end = starts_ends[i + size - 1][1]
        # Keep the punctuation that closes the last word's sentence (up to the next word).
        stop = starts_ends[i + size][0] if i + size < len(starts_ends) else len(text)
        tail = text[end:stop]
        cut = len(tail) - len(tail.lstrip(".,;:!?\"')]—-…"))
        out.append(" ".join(text[start : end + cut].split()))
    return out


def held_out_windows(split: AuthorSplit, size: int) -> Iterator[tuple[bool, str]]:
    """(is_target_author, window) pairs: the author's held-out windows, then the others'."""
    for window in windows(split.held_out, size):
        yield True, window
    others: dict[str, list[Document]] = {}
    for doc in split.others_held_out:
        others.setdefault(doc.author, []).append(doc)
    for docs in others.values():
        for window in windows(docs, size):
            yield False, window
