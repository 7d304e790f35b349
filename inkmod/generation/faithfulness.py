"""Is a rewrite still the writer's text? Strict, model-free rules every backend's output must pass.

Why rules and not a score: a small model's failures are categorical, not gradual. It drops a name
or a number, flips a "not", stops mid-word at the token limit, or talks about the task ("Here is
the rewritten passage…") — and any of these makes a candidate unusable however close its voice is
to the writer's. Re-ranking by a blended score let such candidates through whenever their drift
improved, so these checks veto instead of weigh. Each rule gives a reason a person can read.

The content-term helpers (:func:`content_terms`, :func:`preservation`) live here so this module
stays pure (no model, no profile); :mod:`inkmod.generation.rewrite` imports them from here.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable

from inkmod.style.lexicons import ABBREVIATIONS, FUNCTION_WORDS

RULES_VERSION = 3  # 3: content terms by Porter2 stems
"""Bumped whenever a rule changes what is accepted: outputs cached under older rules (a model
paraphraser's training inputs) are then produced again rather than trusted."""
MIN_CONTENT_KEPT = 0.40
"""A candidate keeping less of the original's content than this is rejected."""
MAX_CONTENT_ADDED = 0.50
"""A candidate whose content words are more than this share new to the original is rejected:
it says something the original did not (a rewrite changes words, not half of what it says)."""
MIN_ADDED_TERMS = 4
"""...and only when at least this many terms are new (a short paraphrase may swap three words)."""

_FUNCTION = frozenset(FUNCTION_WORDS)
_WORD_RE = re.compile(r"[a-z]+")
_ABBREVIATIONS = frozenset(a.lower().rstrip(".") for a in ABBREVIATIONS)


# -- content ------------------------------------------------------------------------------------
@functools.cache
def _porter2() -> Callable[[str], str]:
    # Imported on first use: the package loads all its 36 stemmers (~25 ms), which a process
    # that never checks a rewrite need not pay.
    import snowballstemmer

    stem: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    return stem


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """A content word's Porter2 stem (Snowball's English stemmer), so "dance"/"dances" and
    "cry"/"cries" are one term and "hat"/"hated" two.

    It replaced a hand-written suffix strip ("ing", "ed", "es", "s"…), which split every word
    ending in "e" from its plural or past ("couple"/"couples") and joined unrelated words
    ("rates"/"rats", "stored"/"stories"). On a random sample of the word pairs of the benchmark
    corpora on which the two disagree, labelled by hand (``tests/unit/data/stem_pairs.json``,
    ``python -m benchmarks tokens``): of the 25 the strip alone joined, 18 are unrelated words
    and 4 one word; of the 40 Porter2 alone joins, 3 are unrelated, 13 one word and 24 one root.
    Cost: the content terms of every corpus paragraph, cache empty at the start, take 81-84 us a
    paragraph against 21-22 with the strip; they are taken per candidate rewrite, which takes
    seconds to generate. The drift score does not stem this way (see
    ``inkmod.style.features``).
    """
    return _porter2()(word)


def added_content(original: str, candidate: str) -> tuple[float, list[str]]:
    """The share of the candidate's content terms the original does not have, and those terms."""
    kept = content_terms(candidate)
    if not kept:
        return 0.0, []
    new = sorted(kept - content_terms(original))
    return len(new) / len(kept), new


def content_terms(text: str) -> set[str]:
    """Stemmed content words: what a rewrite must keep."""
    return {_stem(w) for w in _WORD_RE.findall(text.lower()) if len(w) > 2 and w not in _FUNCTION}


def preservation(original: str, candidate: str) -> float:
    """How much of the original's content a candidate keeps (0–1).

    Content-word recall, damped when the candidate is far shorter or longer than the original
    (a one-line summary or a rambling continuation both lose the writer's point).
    """
    source = content_terms(original)
    if not source:
        return 1.0
    kept = content_terms(candidate)
    recall = len(source & kept) / len(source)
    ratio = max(1, len(candidate.split())) / max(1, len(original.split()))
    length_fit = 1.0 if 0.6 <= ratio <= 1.7 else max(0.0, 1.0 - abs(ratio - 1.15) / 2.0)
    return recall * (0.5 + 0.5 * length_fit)


# -- names --------------------------------------------------------------------------------------
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*\d|\d|[.!?:;\"“”()\[\]—\n]")
_NOT_NAMES = frozenset({"I", "I'm", "I've", "I'd", "I'll", "I’m", "I’ve", "I’d", "I’ll", "O", "OK"})


def _bare(word: str) -> str:
    """A word without a possessive or trailing apostrophe/hyphen: "Darcy's" → "Darcy"."""
    for tail in ("'s", "’s"):
        if word.endswith(tail):
            word = word[: -len(tail)]
    return word.strip("'’-")


def names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence (proper nouns, acronyms), as written.

    A sentence-initial name is caught too whenever the text also uses it mid-sentence. Words after
    an opening quote, a colon or a line break count as sentence-initial; capitalised function
    words ("You", "The") and titles ("Mr", "Dr") are never names.
    """
    found: set[str] = set()
    sentence_start = True
    previous = ""
    for token in _TOKEN_RE.findall(text):
        if token in ".!?":
            sentence_start = token != "." or previous.lower() not in _ABBREVIATIONS
        elif token in ':\n"“':
            sentence_start = True
        elif token[0].isalpha():
            word = _bare(token)
            if (
                word
                and not sentence_start
                and word[0].isupper()
                and word not in _NOT_NAMES
                and word.lower() not in _FUNCTION
                and word.lower() not in _ABBREVIATIONS
            ):
                found.add(word)
            sentence_start = False
        elif token[0].isdigit():
            sentence_start = False
        previous = token
    return found


def _words(text: str) -> set[str]:
    return {_bare(w) for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", text)}


def invented_names(original: str, candidate: str) -> list[str]:
    """Names of the candidate that the original never mentions, in any form ("mid-August" has
    "August"); a rewrite that brings in a person or a place is telling another story."""
    known = {part for part in re.split(r"[^\w]+", original.lower()) if part}
    return sorted(
        name
        for name in names(candidate) - names(original)
        if not {part for part in re.split(r"[^\w]+", name.lower()) if part} <= known
    )


# -- numbers ------------------------------------------------------------------------------------
_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}
# "one" is a pronoun after these ("no one", "the one who", "each one") and "second" is mostly a
# unit of time, so neither is counted as a number in the original (both still match in a rewrite).
_PRONOUN_ONE_AFTER = frozenset(
    {"no", "any", "each", "every", "some", "the", "this", "that", "which", "another", "little"}
)
_NUMBER_TOKEN_RE = re.compile(
    r"\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|%)?|[a-z]+|[.,;:!?()\"“”—]", re.IGNORECASE
)


def _digits(token: str) -> str | None:
    token = token.lower()
    ordinal = token.endswith(("st", "nd", "rd", "th"))
    if ordinal:
        token = token[:-2]
    token = token.rstrip("%").replace(",", "")
    try:
        value = float(token)
    except ValueError:
        return None
    text = str(int(value)) if value == int(value) else repr(value)
    return f"{text}th" if ordinal else text


def numbers(text: str, *, lenient: bool = False) -> Counter[str]:
    """Normalised numbers: "3" ≈ "three", "1,000" ≈ "1000" ≈ "one thousand", "5th" ≈ "fifth".

    ``lenient`` (used for the rewrite side) also counts the ambiguous "one" and "second".
    """
    found: Counter[str] = Counter()
    tokens = _NUMBER_TOKEN_RE.findall(text.replace("-", " "))
    total = current = 0
    in_run = False
    previous = ""

    def close_run() -> None:
        nonlocal total, current, in_run
        if in_run:
            found[str(total + current)] += 1
        total = current = 0
        in_run = False

    for token in tokens:
        word = token.lower()
        if word[0].isdigit():
            close_run()
            value = _digits(word)
            if value is not None:
                found[value] += 1
        elif word == "one" and not lenient and previous in _PRONOUN_ONE_AFTER:
            close_run()  # "no one", "the one who": a pronoun
        elif word in _UNITS:
            if in_run and current % 10 == 0 and 0 < current < 100 and _UNITS[word] < 10:
                current += _UNITS[word]
            else:
                if in_run and current and not _is_scaled(current):
                    close_run()
                current += _UNITS[word]
            in_run = True
        elif word in _SCALES and (in_run or previous == "a"):
            in_run = True
            scale = _SCALES[word]
            if scale == 100:
                current = max(1, current) * 100
            else:
                total += max(1, current) * scale
                current = 0
        elif word == "and" and in_run:
            pass
        elif word in _ORDINALS and (word != "second" or lenient):
            close_run()
            found[f"{_ORDINALS[word]}th"] += 1
        else:
            close_run()
        previous = word
    close_run()
    return found


def _is_scaled(value: int) -> bool:
    return value >= 100 and value % 100 == 0


# -- negations ----------------------------------------------------------------------------------
NEGATIONS = ("not", "never", "no", "n't", "none", "nobody", "nothing", "neither", "nor", "without")
_NEGATION_RE = re.compile(
    r"n['’]t\b|\b(?:not|never|no|none|nobody|nothing|neither|nor|without|cannot|nowhere)\b",
    re.IGNORECASE,
)


# "Not only … but also", "not just", "not merely": an addition, not a negation. A rewrite that
# says "State has great APIs and also…" keeps the meaning, and must not be vetoed for it.
_ADDITIVE_NOT_RE = re.compile(r"\bnot\s+(?:only|just|merely|simply)\b", re.IGNORECASE)


def negations(text: str) -> Counter[str]:
    """Negation words by kind ("n't" and "cannot" count as "not"; "not only" is not one)."""
    found: Counter[str] = Counter()
    additive = {m.start() for m in _ADDITIVE_NOT_RE.finditer(text)}
    for match in _NEGATION_RE.finditer(text):
        if match.start() in additive:
            continue
        word = match.group(0).lower().replace("’", "'")
        found["not" if word in ("n't", "cannot") else word] += 1
    return found


# -- talk about the task ------------------------------------------------------------------------
_TASK_TALK = (
    r"rewritten (?:passage|text|version|paragraph)",
    r"(?:the|this) rewrite\b",
    r"here(?: is|'s|’s)\b[^.!?\n]{0,40}\b(?:rewrit|revis|version|passage|paraphras|text|draft)",
    r"^\s*here(?: is|'s|’s)\b[^:\n]{0,60}:",
    r"\bi(?:'ve| have)? (?:rewritten|rewrote|revised|paraphrased)",
    r"\bi(?:'ll| will) rewrite",
    r"(?:the|this|above|original|given) (?:passage|paragraph|text)\b",
    r"in the (?:writer|author)['’]s (?:voice|style)",
    r"as requested",
    r"as an ai\b",
    r"(?:while )?(?:maintaining|keeping|preserving) the (?:same |original )?meaning",
    r"^\s*(?:sure|certainly|of course)\b[,!.]",
)
_TASK_TALK_RE = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in _TASK_TALK]


def task_talk(original: str, candidate: str) -> list[str]:
    """Phrases of the candidate that talk about the rewriting task (absent from the original)."""
    found: list[str] = []
    for pattern in _TASK_TALK_RE:
        match = pattern.search(candidate)
        if match and not pattern.search(original):
            phrase = match.group(0).strip()
            if not any(phrase.lower() in f.lower() or f.lower() in phrase.lower() for f in found):
                found.append(phrase)
    return found


# -- the verdict --------------------------------------------------------------------------------
def _listing(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def rejections(original: str, candidate: str, finish_reason: str) -> list[str]:
    """Why ``candidate`` is not a faithful rewrite of ``original``; empty when it is.

    Rules: it must not be empty nor cut off at the token limit (``finish_reason == "length"``),
    must not talk about the task, must keep every name, number and negation of the original,
    and must keep at least :data:`MIN_CONTENT_KEPT` of its content (:func:`preservation`).
    """
    reasons: list[str] = []
    if not candidate.strip():
        return ["the rewrite is empty"]
    if finish_reason == "length":
        reasons.append("stopped at the token limit (the rewrite is cut off)")
    talk = task_talk(original, candidate)
    if talk:
        reasons.append(f"talks about the task: {_listing([repr(t) for t in talk], 2)}")
    lost_names = sorted(names(original) - _words(candidate))
    if lost_names:
        reasons.append(f"drops the name(s) {_listing(lost_names)}")
    have = numbers(candidate, lenient=True)
    lost_numbers = sorted(n for n, count in numbers(original).items() if have[n] < count)
    if lost_numbers:
        reasons.append(f"drops the number(s) {_listing(lost_numbers)}")
    before, after = negations(original), negations(candidate)
    if sum(after.values()) < sum(before.values()):
        kinds = ", ".join(f"{w} ×{c}" if c > 1 else w for w, c in sorted(before.items()))
        reasons.append(
            f"loses a negation: the original has {sum(before.values())} ({kinds}), "
            f"the rewrite {sum(after.values())}"
        )
    invented = invented_names(original, candidate)
    if invented:
        reasons.append(f"brings in the name(s) {_listing(invented)}, not in the original")
    share, new_terms = added_content(original, candidate)
    if share > MAX_CONTENT_ADDED and len(new_terms) >= MIN_ADDED_TERMS:
        reasons.append(
            f"says things the original does not: {share:.0%} of its content is new "
            f"({_listing(new_terms)})"
        )
    kept = preservation(original, candidate)
    if kept < MIN_CONTENT_KEPT:
        reasons.append(f"keeps only {kept:.0%} of the content (at least {MIN_CONTENT_KEPT:.0%})")
    return reasons
