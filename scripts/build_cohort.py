"""Build the impostor cohort: compact counts of many public-domain writers, never the test authors.

Usage (from the repository root, with the two source repositories fetched as bare git dirs)::

    python scripts/build_cohort.py --novels-git DIR --blogs-git DIR [--out FILE]

What it reads (nothing is copied, only counted):

* novels: ``computationalstylistics/100_english_novels`` (``corpus/*.txt``, Project Gutenberg
  texts), every author except the five of ``benchmarks`` (Austen, Dickens, Eliot, Doyle,
  Charlotte Brontë) and only books published before 1930 (public domain in the US);
* blogs: ``GSA/digitalgov.gov`` (``content/news/**.md``, works of the US government, CC0 1.0
  per the repository's LICENSE.md), single-author posts of every author except the five of
  ``benchmarks`` (bbrantley, tyrus-manuel, awichman, jherman, jparcell).

Each writer becomes one member: the same per-document counts a profile keeps
(``features.DocumentStats``) over at most ``MAX_WORDS`` words of their prose, pruned to the tables
the cohort reference reads (word and shape n-gram counts, see ``inkmod/style/cohort.py``), each
entry seen at least ``MIN_COUNT`` times. The counts go to gzip-compressed JSON (``--out``); beside
it, ``cohort_sources.json`` records each member's repository, commit and paths and the licences,
so that the file can be rebuilt and audited. No text is stored, only counts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inkmod.style import features as ft
from inkmod.style.document import parse
from inkmod.style.tokens import split_plain_paragraphs

NOVELS_REPO = "computationalstylistics/100_english_novels"
BLOGS_REPO = "GSA/digitalgov.gov"
TEST_NOVELISTS = frozenset(("austen", "dickens", "eliot", "doyle", "cbronte"))
TEST_BLOGGERS = frozenset(("bbrantley", "tyrus-manuel", "awichman", "jherman", "jparcell"))
LAST_YEAR = 1929  # books published before 1930 are in the US public domain (as of 2026)
MAX_WORDS = 40_000  # per member: about the size of a benchmark profile (two 20k-word excerpts)
MIN_BLOG_WORDS = 4_000  # a blogger with less prose than this is too thin to be a member
MIN_COUNT = 2  # tables keep only entries seen at least this often (hapaxes say little)
FORMAT = 1


def _git(git_dir: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", git_dir, *args], capture_output=True, check=True, text=True
    )
    return out.stdout


def _head(git_dir: str) -> str:
    return _git(git_dir, "rev-parse", "HEAD").strip()


def _show(git_dir: str, commit: str, path: str) -> str:
    raw = subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout
    return raw.decode("utf-8", "replace")


def _clean_novel(text: str) -> str:
    """The benchmark's uniform glyphs: straight quotes, em dashes, no italic underscores."""
    for curly, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(curly, plain)
    text = text.replace("_", "").replace("--", "—")
    if text.count("\n\n") * 10 < text.count("\n"):  # one paragraph a line, not hard-wrapped
        text = text.replace("\n", "\n\n")
    # 100 English Novels lost some dashes to a double space, and put a stray one after many
    # contractions ("I've  been"): the latter become one space, the rest dashes.
    text = re.sub(r"(\w'[a-z]{1,2})  +(?=\S)", r"\1 ", text)
    text = re.sub(r"(?<=\S)  +(?=\S)", " — ", text)
    return re.sub(r"(?<=\S) - (?=\S)|(?<=\S) -$", " — ", text, flags=re.M)


def _excerpts(books: list[str], budget: int) -> list[str]:
    """About ``budget`` words spread evenly over the books, each excerpt from a book's middle."""
    share = budget // max(1, len(books))
    out = []
    for text in books:
        paragraphs = split_plain_paragraphs(text)
        total = sum(len(p.split()) for p in paragraphs)
        start_at, taken, seen, kept = max(0, (total - share) // 2), 0, 0, []
        for paragraph in paragraphs:
            n = len(paragraph.split())
            seen += n
            if seen < start_at:
                continue
            kept.append(paragraph)
            taken += n
            if taken >= share:
                break
        out.append("\n\n".join(kept))
    return out


def novel_members(git_dir: str) -> list[dict[str, object]]:
    commit = _head(git_dir)
    by_author: dict[str, list[tuple[int, str]]] = {}
    for path in _git(git_dir, "ls-tree", "-r", "--name-only", commit, "corpus/").split():
        match = re.fullmatch(r"corpus/([A-Za-z]+)_([A-Za-z]+)_(\d{4})\.txt", path)
        if not match:
            continue
        author, year = match.group(1).lower(), int(match.group(3))
        if author in TEST_NOVELISTS or author == "anon" or year > LAST_YEAR:
            continue
        by_author.setdefault(author, []).append((year, path))
    members = []
    for author, books in sorted(by_author.items()):
        paths = [p for _, p in sorted(books)]
        texts = [_clean_novel(_show(git_dir, commit, p)) for p in paths]
        paragraphs = [p for text in _excerpts(texts, MAX_WORDS) for p in text.split("\n\n")]
        members.append(
            _member(f"novels:{author}", "novels", [ft.count_text(p) for p in paragraphs])
            | {"source": {"repo": NOVELS_REPO, "commit": commit, "paths": paths}}
        )
    return members


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _post(text: str) -> tuple[list[str], str, str]:
    """(authors, date, Markdown body without front matter, shortcodes or HTML tags)."""
    match = _FRONT.match(text)
    if not match:
        return [], "", ""
    front = match.group(1)
    listed = re.search(r"^authors:\n((?:[ \t]+- .*\n?)+)", front + "\n", re.M)
    authors = [] if not listed else [a.strip()[2:].strip() for a in listed.group(1).splitlines()]
    date = re.search(r"^date: *'?(\S+)", front, re.M)
    body = _TAG.sub("", _SHORTCODE.sub("", text[match.end() :]))
    return [a for a in authors if a], date.group(1) if date else "", body


def blog_members(git_dir: str) -> list[dict[str, object]]:
    commit = _head(git_dir)
    posts: dict[str, list[tuple[str, str, str]]] = {}
    for path in _git(git_dir, "ls-tree", "-r", "--name-only", commit, "content/news/").split():
        if not path.endswith(".md"):
            continue
        authors, date, body = _post(_show(git_dir, commit, path))
        if len(authors) != 1 or authors[0] in TEST_BLOGGERS:
            continue
        posts.setdefault(authors[0], []).append((date + path, path, body))
    members = []
    for author, items in sorted(posts.items()):
        counted: list[ft.CountedParagraph] = []
        paths: list[str] = []
        words = 0
        for _, path, body in sorted(items):
            if words >= MAX_WORDS:
                break
            blocks = [ft.count_text(b.text) for b in parse(body, "markdown")]
            counted.extend(blocks)
            paths.append(path)
            words += sum(len(b.text.split()) for b in blocks)
        if words < MIN_BLOG_WORDS:
            continue
        members.append(
            _member(f"blogs:{author}", "blogs", counted)
            | {"source": {"repo": BLOGS_REPO, "commit": commit, "paths": paths}}
        )
    return members


def _prune(counter: Counter[str] | dict[str, int], floor: int) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v >= floor}


def _member(name: str, genre: str, paragraphs: list[ft.CountedParagraph]) -> dict[str, object]:
    """The counts the cohort reference reads: word and shape n-gram tables, and their totals."""
    stats = ft.document_counts(paragraphs)
    return {
        "name": name,
        "genre": genre,
        "n_words": stats.n_words,
        "n_tokens": sum(stats.tokens.values()),  # before pruning: the models' denominator
        "tokens": _prune(stats.tokens, MIN_COUNT),
        "shapes": _prune(stats.shape_ngrams, MIN_COUNT),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novels-git", required=True, help=f"bare git dir of {NOVELS_REPO}")
    parser.add_argument("--blogs-git", required=True, help=f"bare git dir of {BLOGS_REPO}")
    parser.add_argument("--out", default="inkmod/style/data/cohort.json.gz")
    args = parser.parse_args(argv)
    members = novel_members(args.novels_git) + blog_members(args.blogs_git)
    data = {
        "format": FORMAT,
        "built_by": "scripts/build_cohort.py",
        "max_words": MAX_WORDS,
        "min_count": MIN_COUNT,
        "excluded_authors": sorted(TEST_NOVELISTS | TEST_BLOGGERS),
        "members": members,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sources = {
        "built_by": "scripts/build_cohort.py",
        "licences": {
            NOVELS_REPO: "Project Gutenberg texts of books published before 1930: public domain "
            "in the US",
            BLOGS_REPO: "works of the US government, dedicated to the public domain worldwide "
            "under CC0 1.0 (the repository's LICENSE.md)",
        },
        "excluded_authors": data["excluded_authors"],
        "members": [
            {"name": m["name"], "words": m["n_words"], **m.pop("source")}  # type: ignore[dict-item]
            for m in members
        ],
    }
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    out.write_bytes(gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0))
    listing = out.with_name(out.name.split(".")[0] + "_sources.json")
    listing.write_text(json.dumps(sources, indent=1, ensure_ascii=False) + "\n", "utf-8")
    words = sum(int(m["n_words"]) for m in members)  # type: ignore[call-overload]
    print(f"{len(members)} members, {words:,} words counted -> {out} ({out.stat().st_size:,} B)")
    print(f"sources -> {listing}")


if __name__ == "__main__":
    main()
