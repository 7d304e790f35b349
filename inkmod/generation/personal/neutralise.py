"""Neutralisers: the writer's passage in, the same content with none of the voice out.

Why: a writer has no parallel text, so a personal model learns the *inverse* of a neutraliser
(STRAP, TinyStyler): "neutral text -> this writer's text". At rewrite time the user's paragraph is
neutralised the same way and the model writes it back in the writer's voice. What the neutraliser
removes is exactly what the model learns to put back, and what it keeps is what the model learns
to copy. So the deterministic neutraliser keeps every content word, name, number and negation in
order (the model must never have to invent content) and normalises only what carries style:
contractions, punctuation habits (dashes, semicolons, exclamations, parentheses, ellipses),
discourse fillers and intensifiers, colloquial function-word variants and comma-joined clauses.

That is also why it is not the default: it changes so little that the adapter learns to copy.
``generic.py`` builds on it and moves sentence lengths, register words and openers to the middle
(the default). Other neutralisers (a model paraphrase, ``paraphrase.py``) implement the same
:class:`Neutraliser` protocol and register themselves with :func:`register`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from inkmod.style.tokens import normalise, split_sentences

DEFAULT_NEUTRALISER = "generic"
"""The neutraliser ``tune`` uses unless told otherwise: ``generic.py``, which measured better than
"deterministic" on the rewrite benchmark's adapter rows (docs/personal-model.md)."""
DETERMINISTIC = "deterministic"


@runtime_checkable
class Neutraliser(Protocol):
    """Turns a passage into plain text with the same content; deterministic where possible."""

    name: str

    def __call__(self, text: str) -> str: ...


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- contractions -----------------------------------------------------------------------------

# Whole-word forms whose expansion is not just "stem + suffix".
_IRREGULAR = {
    "won't": "will not",
    "can't": "cannot",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
    "y'all": "you all",
    "'tis": "it is",
    "o'clock": "o'clock",
}
# "'s" is a contraction only after these (elsewhere it is a possessive: "Dale's paper").
_S_IS = _words(
    "it he she that what there here who where how when why this everything nothing "
    "something someone everyone nobody somebody everybody"
)
_SIMPLE_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"))
# "'d" means "had" before a past participle, "would" otherwise.
_HAD_NEXT = _words("been gone done had got gotten seen made taken known given come")

# Colloquial spellings of function words, and function-word variants that mark a register.
_VARIANTS = {
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "have to",
    "kinda": "kind of",
    "sorta": "sort of",
    "lotsa": "lots of",
    "outta": "out of",
    "dunno": "do not know",
    "whilst": "while",
    "amongst": "among",
    "amidst": "amid",
    "till": "until",
    "'til": "until",
    "til": "until",
    "ok": "okay",
    "alright": "all right",
    "utilise": "use",
    "utilize": "use",
}

# Pure discourse markers and intensifiers: they carry voice, not content, so the model learns
# where this writer puts them. Negations and quantity words are never in these lists.
_FILLERS = _words(
    "really very actually basically literally honestly totally truly simply "
    "definitely certainly absolutely seriously frankly incredibly extremely awfully "
    "terribly"
)
_OPENERS = _words(
    "so well okay anyway anyways look now oh wow ah hey yeah honestly also plus still"
)
_PHRASE_FILLERS = re.compile(
    r"(?<![\w'])(?:you know|i mean|to be honest|of course|a little bit|kind of|sort of)"
    r"(?:,(?=\s))?(?![\w'])",
    re.IGNORECASE,
)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[.,:]\d+)*", re.UNICODE)
_SUBJECT_START = _words(
    "i you he she it we they this that these those there my your his her our their the a an"
)


def _match_case(source: str, expansion: str) -> str:
    if source[:1].isupper():
        return expansion[:1].upper() + expansion[1:]
    return expansion


def _expand_word(word: str, following: str) -> str:
    lower = word.lower()
    if lower in _IRREGULAR:
        return _match_case(word, _IRREGULAR[lower])
    if lower in _VARIANTS:
        return _match_case(word, _VARIANTS[lower])
    if lower == "i'm":
        return "I am"
    for suffix, expansion in _SIMPLE_SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return word[: -len(suffix)] + expansion
    if lower.endswith("'d") and len(lower) > 2:
        nxt = following.lower()
        aux = " had" if nxt in _HAD_NEXT or nxt.endswith("ed") else " would"
        return word[:-2] + aux
    if lower.endswith("'s") and lower[:-2] in _S_IS:
        nxt = following.lower()
        # Only a participle that cannot be an adjective makes it "has" ("he's used to" is "is").
        return word[:-2] + (" has" if nxt in _HAD_NEXT else " is")
    return word


def expand_contractions(text: str) -> str:
    """Contractions and colloquial function words spelled out ("it'd been" -> "it had been")."""
    text = normalise(text)
    words = list(_WORD.finditer(text))
    out: list[str] = []
    pos = 0
    for i, match in enumerate(words):
        following = words[i + 1].group(0) if i + 1 < len(words) else ""
        out.append(text[pos : match.start()])
        out.append(_expand_word(match.group(0), following))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


# --- punctuation and joins --------------------------------------------------------------------


def _punctuation(text: str) -> str:
    """Style-carrying punctuation mapped to plain commas and full stops."""
    text = text.replace("“", '"').replace("”", '"')
    text = re.sub(r"\s*(?:—|–|--)\s*", ", ", text)  # dashes (paired or single) become commas
    text = re.sub(r"(?<=\w) - (?=\w)", ", ", text)
    text = re.sub(r"\s*\(([^()]*)\)", r", \1,", text)  # parentheticals become comma clauses
    text = re.sub(r"\s*;\s*", ". ", text)
    text = re.sub(r"\?[!?]+", "?", text)
    text = re.sub(r"!+", ".", text)
    text = re.sub(r"(?:\.\s*){2,}|…", ". ", text)  # ellipses end the sentence
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r",\s*([.?:])", r"\1", text)
    text = re.sub(r"([.?:])\s*,", r"\1", text)
    text = re.sub(r"(?<!\d),(?=\S)|,(?=[^\s\d])", ", ", text)  # but not inside "21,000"
    return re.sub(r"[ \t]+", " ", text).strip()


def _filler_replacement(m: re.Match[str]) -> str:
    """A lower-case filler goes, with its commas when it was set off by them."""
    before, word, after = m.group(1), m.group(2), m.group(3)
    if not word.islower():
        return m.group(0)
    if before and after:
        return " "
    return before or ""


def _drop_fillers(sentence: str) -> str:
    sentence = _PHRASE_FILLERS.sub("", sentence)
    # Sentence openers ("So,", "Okay.", "Honestly,") and mid-sentence intensifiers.
    while True:
        m = re.match(r"([^\W\d_]+)(?:,\s*|\s+)(?=\S)", sentence)
        if not m or m.group(1).lower() not in _OPENERS:
            break
        sentence = sentence[m.end() :]
    if sentence.strip(" .?:").lower() in _OPENERS:
        return ""  # a sentence that is only an opener ("Okay.")
    # A filler right before "?" is a rhetorical device that carries the sentence; it stays.
    return re.sub(
        r"(,\s*)?(?<![\w'])(" + "|".join(sorted(_FILLERS)) + r")(?![\w'?])(,(?=\s))?",
        _filler_replacement,
        sentence,
    )


def _split_joins(sentence: str) -> list[str]:
    """Independent clauses joined by ", and" / ", but" / ", so" become separate sentences."""
    parts: list[str] = []
    rest = sentence
    while True:
        m = re.search(r",\s+(and|but|so)\s+([^\W\d_]+)", rest)
        if not m:
            break
        left, right = rest[: m.start()], rest[m.start(1) :]
        if len(_WORD.findall(left)) < 4 or m.group(2).lower() not in _SUBJECT_START:
            parts.append(rest[: m.end()])
            rest = rest[m.end() :]
            continue
        joiner = m.group(1)
        clause = right[len(joiner) :].lstrip()
        parts.append(left + ".")
        rest = ("But " + clause) if joiner == "but" else clause
    parts.append(rest)
    # Re-attach fragments that were skipped (no subject), so only real splits produce new sentences.
    merged: list[str] = []
    for part in parts:
        if merged and not merged[-1].rstrip().endswith("."):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return merged


def _tidy(sentence: str) -> str:
    sentence = re.sub(r"[ \t]+", " ", sentence)
    sentence = re.sub(r"\s+([,.?:])", r"\1", sentence)
    sentence = re.sub(r",(\s*,)+", ",", sentence)
    sentence = re.sub(r"^[\s,]+", "", sentence)
    sentence = re.sub(r",\s*([.?:])$", r"\1", sentence.rstrip())
    if not sentence:
        return ""
    if sentence[-1] not in ".?:\"'":
        sentence = sentence.rstrip(",") + "."
    return sentence[:1].upper() + sentence[1:]


def neutralise_paragraph(text: str) -> str:
    """One paragraph of the writer's, with its content kept and its voice removed."""
    text = _punctuation(expand_contractions(" ".join(text.split())))
    sentences: list[str] = []
    for start, end, _ in split_sentences(text):
        for clause in _split_joins(text[start:end].strip()):
            tidy = _tidy(_drop_fillers(clause.strip()))
            if _WORD.search(tidy):
                sentences.append(tidy)
    return " ".join(sentences)


def by_paragraph(text: str, neutralise: Callable[[str], str]) -> str:
    """``neutralise`` applied to each paragraph; the breaks are kept (structure, not voice), so
    the model learns to copy them. Every rule-based neutraliser goes through here."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join(neutralise(p) for p in paragraphs)


class DeterministicNeutraliser:
    """Rule-based, reproducible, instant: the default neutraliser (see the module docstring)."""

    name = DETERMINISTIC

    def __call__(self, text: str) -> str:
        return by_paragraph(text, neutralise_paragraph)


# --- registry ---------------------------------------------------------------------------------

_REGISTRY: dict[str, Callable[[], Neutraliser]] = {DETERMINISTIC: DeterministicNeutraliser}


def register(name: str, factory: Callable[[], Neutraliser]) -> None:
    """Make a neutraliser available by name (``paraphrase.py`` registers "paraphrase")."""
    _REGISTRY[name] = factory


def neutraliser_names() -> list[str]:
    _load_optional()
    return sorted(_REGISTRY)


def _load_optional() -> None:
    """Import optional neutraliser modules so they can register themselves."""
    import importlib

    for module in ("generic", "skeleton", "paraphrase"):
        with contextlib.suppress(ImportError):
            importlib.import_module(f"inkmod.generation.personal.{module}")


def serving_neutraliser(name: str | None = None) -> str:
    """The neutraliser a rewrite feeds an adapter trained with ``name``.

    Usually the same one: the adapter learned its inputs' exact shape. A neutraliser that runs a
    model (a paraphraser) names a rule-based one instead in ``serves_with``, because a rewrite
    must not load a second model beside the daemon's (memory, and seconds per paragraph).
    """
    key = name or DEFAULT_NEUTRALISER
    if key not in _REGISTRY:
        _load_optional()
    factory = _REGISTRY.get(key)
    return str(getattr(factory, "serves_with", None) or key)


def get_neutraliser(name: str | None = None) -> Neutraliser:
    """The neutraliser called ``name`` (default: :data:`DEFAULT_NEUTRALISER`)."""
    key = name or DEFAULT_NEUTRALISER
    if key not in _REGISTRY:
        _load_optional()
    if key not in _REGISTRY:
        raise KeyError(
            f"unknown neutraliser {key!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[key]()
