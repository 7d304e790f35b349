"""The "generic" neutraliser: the deterministic one, then every style feature moved to the middle.

Why: trained on the deterministic neutraliser's pairs, the adapter learns "output ~ input" -- that
neutraliser changes only contractions, punctuation and fillers, so the rest of the writer's voice
(sentence lengths and joins, signature words and openers) is already in the input and the model
learns to copy it. STRAP and TinyStyler's inverse paraphrasers learn a voice only when the input is
a genuinely different, *generic* rendering of the same content. So on top of the deterministic
pass this one:

- replaces casual and formal register words with plain ones through a small lexicon
  ("a lot of" -> "many", "stuff" -> "things", "purchase" -> "buy", "therefore" -> "so"), and drops
  pure intensifiers and signature openers ("just", "pretty", "The thing is,", "And ...");
- drops tag questions (", right?") and sentences made only of fillers;
- moves sentence lengths to a middle value: consecutive short sentences are joined with ", and",
  sentences over :data:`LONG` words are split at a comma before a pronoun subject.

Content is never dropped: every change is made per sentence and undone when the sentence would
lose a name, number or negation, and a paragraph that fails
:func:`inkmod.generation.faithfulness.rejections` falls back to the deterministic version.
Deterministic and instant, like the neutraliser it builds on.
"""

from __future__ import annotations

import re
from collections import Counter

from inkmod.generation import faithfulness
from inkmod.generation.personal.neutralise import by_paragraph, neutralise_paragraph, register
from inkmod.style.lexicons import FUNCTION_WORDS
from inkmod.style.tokens import split_sentences

SHORT = 9
"""Sentences under this many words are joined with a short neighbour."""
JOINED_MAX = 24
"""A join never makes a sentence longer than this."""
LONG = 30
"""Sentences over this many words are split at a clause boundary when one is safe."""

# Multi-word register phrases first (matched case-insensitively, whole words).
_PHRASES: tuple[tuple[str, str], ...] = (
    ("due to the fact that", "because"),
    ("in spite of the fact that", "although"),
    ("in order to", "to"),
    ("prior to", "before"),
    ("subsequent to", "after"),
    ("with regard to", "about"),
    ("with respect to", "about"),
    ("in addition to", "besides"),
    ("a great deal of", "much"),
    ("a whole bunch of", "many"),
    ("a bunch of", "many"),
    ("has got", "has"),
    ("have got", "have"),
    ("pretty much", "mostly"),
    ("the thing is,", ""),
    ("the thing is that", ""),
    ("here is the deal:", ""),
    ("if you ask me,", ""),
    ("let me tell you,", ""),
    ("believe me,", ""),
    ("trust me,", ""),
    ("to be fair,", ""),
    ("at the end of the day,", ""),
)
_WORDS: dict[str, str] = {
    # casual -> plain
    "stuff": "things",
    "guys": "people",
    "folks": "people",
    "kids": "children",
    "mom": "mother",
    "dad": "father",
    "yeah": "yes",
    "yep": "yes",
    "nope": "no",
    "huge": "large",
    "tiny": "small",
    "awesome": "excellent",
    "amazing": "remarkable",
    "gorgeous": "beautiful",
    "weird": "strange",
    "grab": "take",
    "grabbed": "took",
    "buddy": "friend",
    "okay": "fine",
    "freaking": "",
    "super": "",
    "pretty": "",  # only before the adjectives in _PRETTY_BEFORE (see _lexicon)
    "just": "",
    "quite": "",
    "rather": "",
    "indeed": "",
    # formal -> plain
    "commence": "begin",
    "commenced": "began",
    "purchase": "buy",
    "purchased": "bought",
    "approximately": "about",
    "numerous": "many",
    "sufficient": "enough",
    "assist": "help",
    "assistance": "help",
    "therefore": "so",
    "thus": "so",
    "hence": "so",
    "whereas": "while",
    "notwithstanding": "despite",
    "aforementioned": "this",
    "upon": "on",
    "endeavour": "try",
    "endeavor": "try",
    "individuals": "people",
    "regarding": "about",
    "subsequently": "later",
    "furthermore": "also",
    "moreover": "also",
    "additionally": "also",
    "nevertheless": "still",
    "nonetheless": "still",
    "shall": "will",
    "whom": "who",
    "perceive": "see",
    "demonstrate": "show",
    "demonstrated": "showed",
    "require": "need",
    "required": "needed",
}
# Formal verbs -> plain ones, in every inflection: (base, -s, -ed, -ing) -> same forms of plain.
_VERB_FORMS: tuple[tuple[tuple[str, str, str, str], tuple[str, str, str, str]], ...] = (
    (
        ("demonstrate", "demonstrates", "demonstrated", "demonstrating"),
        ("show", "shows", "showed", "showing"),
    ),
    (("indicate", "indicates", "indicated", "indicating"), ("show", "shows", "showed", "showing")),
    (("utilise", "utilises", "utilised", "utilising"), ("use", "uses", "used", "using")),
    (("utilize", "utilizes", "utilized", "utilizing"), ("use", "uses", "used", "using")),
    (("leverage", "leverages", "leveraged", "leveraging"), ("use", "uses", "used", "using")),
    (("require", "requires", "required", "requiring"), ("need", "needs", "needed", "needing")),
    (("assist", "assists", "assisted", "assisting"), ("help", "helps", "helped", "helping")),
    (
        ("facilitate", "facilitates", "facilitated", "facilitating"),
        ("help", "helps", "helped", "helping"),
    ),
    (("obtain", "obtains", "obtained", "obtaining"), ("get", "gets", "got", "getting")),
    (("acquire", "acquires", "acquired", "acquiring"), ("get", "gets", "got", "getting")),
    (("purchase", "purchases", "purchased", "purchasing"), ("buy", "buys", "bought", "buying")),
    (
        ("commence", "commences", "commenced", "commencing"),
        ("begin", "begins", "began", "beginning"),
    ),
    (
        ("initiate", "initiates", "initiated", "initiating"),
        ("start", "starts", "started", "starting"),
    ),
    (("terminate", "terminates", "terminated", "terminating"), ("end", "ends", "ended", "ending")),
    (
        ("enhance", "enhances", "enhanced", "enhancing"),
        ("improve", "improves", "improved", "improving"),
    ),
    (("attempt", "attempts", "attempted", "attempting"), ("try", "tries", "tried", "trying")),
    (
        ("endeavour", "endeavours", "endeavoured", "endeavouring"),
        ("try", "tries", "tried", "trying"),
    ),
    (("endeavor", "endeavors", "endeavored", "endeavoring"), ("try", "tries", "tried", "trying")),
    (("inform", "informs", "informed", "informing"), ("tell", "tells", "told", "telling")),
    (("modify", "modifies", "modified", "modifying"), ("change", "changes", "changed", "changing")),
    (("reside", "resides", "resided", "residing"), ("live", "lives", "lived", "living")),
    (
        ("comprehend", "comprehends", "comprehended", "comprehending"),
        ("understand", "understands", "understood", "understanding"),
    ),
    (
        ("anticipate", "anticipates", "anticipated", "anticipating"),
        ("expect", "expects", "expected", "expecting"),
    ),
    (("perceive", "perceives", "perceived", "perceiving"), ("see", "sees", "saw", "seeing")),
    (("grab", "grabs", "grabbed", "grabbing"), ("take", "takes", "took", "taking")),
)
for _formal, _plain in _VERB_FORMS:
    _WORDS.update(zip(_formal, _plain, strict=True))
_WORDS.update(
    {
        "various": "several",
        "additional": "more",
        "objective": "goal",
        "objectives": "goals",
        "utilization": "use",
        "methodology": "method",
        "methodologies": "methods",
        "currently": "now",
        "frequently": "often",
        "primarily": "mainly",
        "via": "through",
        "within": "in",
        "commonly": "often",
        "individual's": "person's",
        "youngsters": "children",
        "cash": "money",
        "buddies": "friends",
        "hubby": "husband",
        "pics": "pictures",
        "pic": "picture",
        "photos": "pictures",
        "totally": "",
    }
)
_PRETTY_BEFORE = frozenset(
    [
        "good",
        "bad",
        "sure",
        "much",
        "well",
        "big",
        "small",
        "hard",
        "easy",
        "great",
        "close",
        "quick",
        "fast",
        "long",
        "happy",
        "nice",
        "cool",
        "tired",
        "busy",
        "clear",
        "funny",
        "simple",
        "strong",
        "sweet",
        "bright",
        "excited",
    ]
)
_DROP_NEEDS_NEXT = {"pretty": _PRETTY_BEFORE, "super": None, "rather": None, "quite": None}
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[.,:]\d+)*")
_PRONOUNS = frozenset(["i", "you", "he", "she", "it", "we", "they", "this", "there"])
_JOIN_START = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "this",
        "that",
        "these",
        "those",
        "there",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "the",
        "a",
        "an",
        "its",
        "some",
    ]
)
_CONNECTIVES = frozenset(
    ["but", "because", "so", "except", "yet", "or", "then", "until", "since", "even"]
)
_FUNCTION = frozenset(FUNCTION_WORDS)
_SUBORDINATORS = frozenset(
    [
        "after",
        "when",
        "if",
        "because",
        "although",
        "though",
        "while",
        "since",
        "before",
        "as",
        "until",
        "once",
        "unless",
        "whenever",
        "whether",
    ]
)
_OPENER_AND = re.compile(r"^(?:and|and then|plus)\s+(?=\S)", re.IGNORECASE)
_RHETORICAL = re.compile(
    r",?\s*(?:and\s+|but\s+)?(?:honestly|seriously|really|right|okay|anyway|literally)\?",
    re.IGNORECASE,
)
_TAG_QUESTION = re.compile(r",\s*(?:right|yes|okay|fine|you know|huh|eh|see)\?$", re.IGNORECASE)


def _case_like(source: str, replacement: str) -> str:
    if replacement and source[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _n_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _phrase_sub(sentence: str) -> str:
    for phrase, plain in _PHRASES:
        pattern = re.compile(r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])\s*", re.IGNORECASE)

        def replace(m: re.Match[str], plain: str = plain) -> str:
            return _case_like(m.group(0), plain) + (" " if plain else "")

        sentence = pattern.sub(replace, sentence)
    # "a lot of apples" -> "many apples", "a lot of water" -> "much water"; "a lot" -> "much"
    sentence = re.sub(
        r"(?<![\w'])(?:a lot|lots) of (\w+)",
        lambda m: (
            _case_like(m.group(0), "many " if m.group(1).endswith("s") else "much ") + m.group(1)
        ),
        sentence,
        flags=re.IGNORECASE,
    )
    return re.sub(r"(?<![\w'])a lot(?![\w'])", "much", sentence)


def _lexicon(sentence: str) -> str:
    sentence = _phrase_sub(sentence)
    words = list(_WORD_RE.finditer(sentence))
    out: list[str] = []
    pos = 0
    for i, match in enumerate(words):
        word = match.group(0)
        lower = word.lower()
        replacement = word
        if lower in _WORDS and (word.islower() or (i == 0 and word[1:].islower())):
            plain = _WORDS[lower]
            following = words[i + 1].group(0).lower() if i + 1 < len(words) else ""
            needs = _DROP_NEEDS_NEXT.get(lower, ...)
            if plain == "" and needs is not ...:
                # an intensifier goes only before a word it can intensify (not "pretty dress")
                allowed = bool(following) and following not in _JOIN_START | {"than"}
                if needs is not None:
                    allowed = following in needs
                replacement = "" if allowed else word
            else:
                replacement = _case_like(word, plain)
        out.append(sentence[pos : match.start()])
        out.append(replacement)
        pos = match.end()
    out.append(sentence[pos:])
    return _tidy("".join(out))


def _tidy(sentence: str) -> str:
    sentence = re.sub(r"[ \t]+", " ", sentence).strip()
    sentence = re.sub(r"\s+([,.?:])", r"\1", sentence)
    sentence = re.sub(r",(\s*,)+", ",", sentence)
    sentence = re.sub(r"^[\s,]+", "", sentence)
    sentence = re.sub(r",\s*([.?:])$", r"\1", sentence)
    if not _WORD_RE.search(sentence):
        return ""
    if sentence[-1] not in ".?:\"'":
        sentence = sentence.rstrip(",") + "."
    return sentence[:1].upper() + sentence[1:]


def _openers(sentence: str) -> str:
    sentence = _OPENER_AND.sub("", sentence)
    sentence = _TAG_QUESTION.sub(".", sentence)
    return _tidy(sentence)


def _facts(text: str) -> tuple[set[str], Counter[str], int]:
    names = faithfulness.names(text) | {
        w for w in re.findall(r"[A-Z][\w'-]*", text) if w.lower() not in _FUNCTION
    }
    return names, faithfulness.numbers(text), sum(faithfulness.negations(text).values())


def _safe(before: str, after: str) -> bool:
    """``after`` keeps every capitalised word, number and negation of ``before``."""
    names_b, numbers_b, neg_b = _facts(before)
    _, numbers_a, neg_a = _facts(after)
    words_a = set(re.findall(r"[\w'-]+", after))
    return all(n in words_a for n in names_b) and numbers_b == numbers_a and neg_a >= neg_b


def _restyle(sentence: str) -> str:
    changed = _openers(_lexicon(sentence))
    return changed if changed and _safe(sentence, changed) else sentence


def _split_long(sentence: str) -> list[str]:
    """A sentence over LONG words cut once, near its middle, before a pronoun subject."""
    if _n_words(sentence) <= LONG or sentence.endswith("?"):
        return [sentence]
    first = _WORD_RE.search(sentence)
    skip_first_comma = bool(first and first.group(0).lower() in _SUBORDINATORS)
    best: tuple[float, int, int] | None = None
    commas = [m.start() for m in re.finditer(r",\s+", sentence)]
    for index, at in enumerate(commas):
        if skip_first_comma and index == 0:
            continue
        rest = sentence[at + 1 :].lstrip()
        m = re.match(r"(?:(?:and|but|so|then)\s+)?([^\W\d_]+)", rest, re.IGNORECASE)
        if not m or m.group(1).lower() not in _PRONOUNS:
            continue
        clause = re.split(r"[,.?:]", rest[m.end(1) :], maxsplit=1)[0]
        left, right = sentence[:at], rest
        if _n_words(left) < 8 or _n_words(right) < 8 or _n_words(clause) < 3:
            continue
        balance = abs(_n_words(left) - _n_words(right))
        start = at + 1 + (len(sentence[at + 1 :]) - len(rest)) + (m.start(1) if m else 0)
        if best is None or balance < best[0]:
            best = (balance, at, start)
    if best is None:
        return [sentence]
    _, at, start = best
    left = _tidy(sentence[:at])
    tail = sentence[start:]
    if tail[:2].lower() != "i ":
        tail = tail[:1].upper() + tail[1:]
    return [left, *_split_long(_tidy(tail))]


def _statement(sentence: str) -> bool:
    """Ends with a full stop after a real word (not "Dr." or "U.S.")."""
    return bool(re.search(r"[a-z0-9]{2,}\.$", sentence))


def _join_short(sentences: list[str]) -> list[str]:
    """A short sentence joined to its neighbour with ", and" (a clause) or ", " (a fragment).

    Only when the joined sentence stays within :data:`JOINED_MAX` words, so lengths move to the
    middle from below without making long ones longer.
    """
    out: list[str] = []
    for sentence in sentences:
        first = _WORD_RE.search(sentence)
        if (
            out
            and first
            and _statement(out[-1])
            and _statement(sentence)
            and min(_n_words(out[-1]), _n_words(sentence)) < SHORT
        ):
            word = first.group(0)
            head = word if word == "I" else word.lower()
            joined = ""
            if _n_words(out[-1]) + _n_words(sentence) + 1 <= JOINED_MAX:
                if word.lower() in _JOIN_START:
                    joined = out[-1][:-1] + ", and " + head + sentence[first.end() :]
                elif word.lower() in _CONNECTIVES or (
                    _n_words(sentence) <= 3 and word.lower() in _FUNCTION
                ):
                    joined = out[-1][:-1] + ", " + word.lower() + sentence[first.end() :]
            pair = out[-1] + " " + sentence
            if joined and _safe(pair, joined):
                out[-1] = joined
                continue
        out.append(sentence)
    return out


def generic_paragraph(text: str) -> str:
    """One paragraph: the deterministic neutral version, restyled towards generic English."""
    neutral = neutralise_paragraph(text)
    # A one-word rhetorical question inside a sentence ("..., and honestly? It ...") ends it.
    plain = _RHETORICAL.sub(".", neutral)
    if not _safe(neutral, plain):
        plain = neutral
    sentences: list[str] = []
    for start, end, _ in split_sentences(plain):
        for piece in _split_long(_restyle(plain[start:end].strip())):
            if piece:
                sentences.append(piece)
    result = " ".join(_join_short(sentences))
    if faithfulness.rejections(text, result, "stop"):
        return neutral
    return result


class GenericNeutraliser:
    """Deterministic, and further from the writer than "deterministic" (module docstring)."""

    name = "generic"

    def __call__(self, text: str) -> str:
        return by_paragraph(text, generic_paragraph)


register(GenericNeutraliser.name, GenericNeutraliser)
