"""The style profile: sufficient statistics per sample document, plus the writer's calibration.

Why per-document statistics: editing, adding or deleting one sample file must update the profile in
time proportional to that file (the daemon does it on every save), and two profiles must merge.
The profile therefore keeps each document's counts, their running total, and a bounded sample of
each document's paragraph features, from which leave-one-document-out calibration is recomputed.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from inkmod.style import analyses as an
from inkmod.style import features as ft
from inkmod.style.cohort import MIN_PROFILE_WORDS, CohortReference, shipped_cohort
from inkmod.style.drift import (
    COMPONENTS,
    MIN_SPREAD,
    MIN_WORDS,
    Calibration,
    ComponentCalibration,
    DriftResult,
    combine,
    drift,
    surprises,
)
from inkmod.style.features import (
    DocumentStats,
    ParagraphFeatures,
    text_features,
)
from inkmod.style.tokens import Paragraph
from inkmod.style.view import Excluded, ProfileView

SCHEMA_VERSION = 2  # 2: typography counts, repetition per passage (issue 14)
_WARM_UP_TEXT = (
    "The first paragraph of a session warms the caches. It has a few sentences, and it uses "
    "common words, punctuation and a question? It does. That is all it needs to do here."
)
CALIBRATION_PARAGRAPHS_PER_DOC = 120  # bounds calibration cost on very long samples
CALIBRATION_WORDS = 150  # long paragraphs are cut into passages of about this many words
EXEMPLARS_PER_DOC = 6  # paragraphs kept verbatim as few-shot examples for generation
EXEMPLAR_WORDS = (30, 180)
WARM_WORDS = 5000  # of the writer's exemplars scored by warm()


@dataclass
class DocumentEntry:
    """One sample document's statistics and its calibration paragraphs."""

    stats: DocumentStats
    paragraphs: list[ParagraphFeatures]
    digest: str
    words: int
    added_at: float = field(default_factory=time.time)
    exemplars: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stats": self.stats.to_dict(),
            "paragraphs": [p.to_dict() for p in self.paragraphs],
            "digest": self.digest,
            "words": self.words,
            "added_at": self.added_at,
            "exemplars": self.exemplars,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentEntry:
        return cls(
            stats=DocumentStats.from_dict(data["stats"]),
            paragraphs=[ParagraphFeatures.from_dict(p) for p in data["paragraphs"]],
            digest=str(data["digest"]),
            words=int(data["words"]),
            added_at=float(data["added_at"]),
            exemplars=[str(e) for e in data.get("exemplars", [])],
        )


def _calibration_passages(paragraphs: list[ft.CountedParagraph]) -> list[ParagraphFeatures]:
    """Passages of roughly paragraph size for calibration.

    Short paragraphs are joined and long ones cut at sentence boundaries so that the writer's
    spread is measured on passages the size the editor will judge. Sentences are reused as
    counted for the document's statistics, and only the passages kept (at most
    ``CALIBRATION_PARAGRAPHS_PER_DOC``, evenly spread) are assembled.
    """
    groups: list[list[ft.SentenceCounts]] = []
    pending: list[ft.SentenceCounts] = []
    pending_words = 0
    for paragraph in paragraphs:
        for sentence in paragraph.sentences:
            pending.append(sentence)
            pending_words += len(sentence[2])
            if pending_words >= CALIBRATION_WORDS:
                groups.append(pending)
                pending, pending_words = [], 0
        if pending_words >= MIN_WORDS * 2:
            groups.append(pending)
            pending, pending_words = [], 0
    if pending_words >= MIN_WORDS:
        groups.append(pending)
    if len(groups) > CALIBRATION_PARAGRAPHS_PER_DOC:
        step = len(groups) / CALIBRATION_PARAGRAPHS_PER_DOC
        groups = [groups[int(i * step)] for i in range(CALIBRATION_PARAGRAPHS_PER_DOC)]
    return [ft.passage_features(group) for group in groups]


def make_entry(text: str, fmt: str) -> DocumentEntry:
    """Analyse one document into a profile entry (the per-file work of training)."""
    from inkmod.style.document import parse

    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return entry_from_counts([ft.count_text(b.text) for b in parse(text, fmt)], digest)


def entry_from_paragraphs(paragraphs: list[Paragraph], digest: str) -> DocumentEntry:
    """A profile entry from already-parsed prose paragraphs."""
    return entry_from_counts([ft.paragraph_counts(p) for p in paragraphs], digest)


def entry_from_counts(paragraphs: list[ft.CountedParagraph], digest: str) -> DocumentEntry:
    """A profile entry from its prose paragraphs' counts."""
    stats = ft.document_counts(paragraphs)
    return DocumentEntry(
        stats=stats,
        paragraphs=_calibration_passages(paragraphs),
        digest=digest,
        words=stats.n_words,
        exemplars=_exemplars(paragraphs),
    )


def _exemplars(paragraphs: list[ft.CountedParagraph]) -> list[str]:
    """Up to EXEMPLARS_PER_DOC paragraphs of a useful size, spread over the document.

    Kept verbatim because generation needs the writer's own words as few-shot examples, and the
    sample files may be gone (or on another machine) when the profile is used.
    """
    low, high = EXEMPLAR_WORDS
    fitting = [p.text for p in paragraphs if low <= p.word_count <= high]
    if len(fitting) <= EXEMPLARS_PER_DOC:
        return fitting
    step = len(fitting) / EXEMPLARS_PER_DOC
    return [fitting[int(i * step)] for i in range(EXEMPLARS_PER_DOC)]


class StyleProfile:
    """A writer's style: per-document sufficient statistics, their total, and calibration."""

    def __init__(self, name: str = "default", samples_dir: str | None = None) -> None:
        self.name = name
        self.samples_dir = samples_dir
        self.documents: dict[str, DocumentEntry] = {}
        self.totals = DocumentStats()
        self.calibration: Calibration | None = None
        self.created_at = time.time()
        self.updated_at = self.created_at
        # Written by the training loop (learned rules, exemplar weights, generation settings).
        self.learned: dict[str, Any] = {}
        self._view: ProfileView | None = None
        self._top_fw: list[str] | None = None
        self._cohort: tuple[tuple[str, ...], CohortReference | None] | None = None

    # -- documents ---------------------------------------------------------------------------
    def add_document(self, doc_id: str, text: str, fmt: str = "plaintext") -> bool:
        """Add (or replace) one document. Returns False when the content is unchanged."""
        existing = self.documents.get(doc_id)
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if existing and existing.digest == digest:
            return False
        self.add_entry(doc_id, make_entry(text, fmt))
        return True

    def add_entry(self, doc_id: str, entry: DocumentEntry) -> None:
        """Add a pre-computed entry (training analyses files in worker processes)."""
        if doc_id in self.documents:
            self.totals.subtract(self.documents[doc_id].stats)
        self.documents[doc_id] = entry
        self.totals.add(entry.stats)
        self._changed()

    def remove_document(self, doc_id: str) -> bool:
        """Forget one document; False if it was not part of the profile."""
        entry = self.documents.pop(doc_id, None)
        if entry is None:
            return False
        self.totals.subtract(entry.stats)
        self._changed()
        return True

    def document_ids(self) -> list[str]:
        return sorted(self.documents)

    def exemplars(self) -> list[tuple[str, str]]:
        """Every stored exemplar paragraph with the id of the document it came from."""
        return [
            (doc_id, text)
            for doc_id in sorted(self.documents)
            for text in self.documents[doc_id].exemplars
        ]

    def merge(self, other: StyleProfile) -> StyleProfile:
        """A new profile holding both profiles' documents (ids prefixed on collision)."""
        merged = StyleProfile(self.name, self.samples_dir)
        for source in (self, other):
            for doc_id, entry in source.documents.items():
                key = doc_id if doc_id not in merged.documents else f"{source.name}:{doc_id}"
                merged.add_entry(key, entry)
        merged.recalibrate()
        return merged

    def _changed(self) -> None:
        self.updated_at = time.time()
        self._view = None
        self._top_fw = None

    # -- scoring -----------------------------------------------------------------------------
    @property
    def view(self) -> ProfileView:
        if self._view is None:
            self._view = ProfileView(self.totals)
        return self._view

    def top_function_words(self) -> list[str]:
        if self._top_fw is None:
            from inkmod.style.drift import _top_function_words

            self._top_fw = _top_function_words(self.view)
        return self._top_fw

    def cohort(self) -> CohortReference | None:
        """The impostor cohort members the calibration was measured against, if any.

        The one place the engine decides whether a score is relative to a cohort: only when the
        calibration names members (a profile calibrated before the cohort existed, or with the
        cohort data missing, scores as before until it is recalibrated).
        """
        names = self.calibration.cohort if self.calibration else ()
        if self._cohort is None or self._cohort[0] != names:
            shipped = shipped_cohort() if names else None
            self._cohort = (names, shipped.reference(names) if shipped else None)
        return self._cohort[1]

    def score_features(self, features: ParagraphFeatures) -> DriftResult:
        """Drift of one paragraph's features against the whole profile."""
        return drift(
            features,
            self.view,
            self.calibration,
            top_function_words=self.top_function_words(),
            cohort=self.cohort(),
        )

    def warm(self) -> None:
        """Build the scoring caches now: tone rates, the top function words, and the likelihood
        ratios and syntax gains of the writer's own common words and patterns.

        The first document scored against a freshly loaded (or changed) profile otherwise pays
        for all of them; the daemon calls this whenever its profile is loaded, retrained or
        recalibrated, so that the first diagnostics of a long document arrive about as fast
        as the later ones. The writer's exemplars (their own paragraphs, spread over the
        documents, at most ``WARM_WORDS`` words) are what is scored: most of what any English
        prose needs — the common words, the order of small words and commas — is in them.
        """
        self.score_text(_WARM_UP_TEXT)
        exemplars = [text for _, text in self.exemplars()]
        if not exemplars:
            return
        # Evenly spread over the documents: about 100 words an exemplar.
        step = max(1.0, len(exemplars) / (WARM_WORDS / 100))
        budget = WARM_WORDS
        for i in range(int(len(exemplars) / step)):
            text = exemplars[int(i * step)]
            self.score_text(text)
            budget -= len(text.split())
            if budget <= 0:
                break

    def score_text(self, paragraph_text: str) -> DriftResult:
        """Drift of one paragraph of plain prose."""
        return self.score_features(text_features(paragraph_text))

    def recalibrate(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        use_cohort: bool = True,
    ) -> None:
        """Measure the writer's own variation by leave-one-document-out scoring.

        With a single document, each passage is left out of the profile on its own instead
        (leave-one-paragraph-out), which understates the spread a little but still works.
        Unless ``use_cohort`` is False, the cohort data is missing or the profile is thinner
        than ``cohort.MIN_PROFILE_WORDS``, the impostor cohort members nearest the writer are
        chosen here, the components measured relative to them,
        and the calibration names them (see :mod:`inkmod.style.cohort`).
        """
        shipped = shipped_cohort() if use_cohort else None
        enough = self.totals.n_words >= MIN_PROFILE_WORDS
        cohort = shipped.nearest(self.totals) if shipped and enough else None
        raw: dict[str, list[float]] = {name: [] for name in COMPONENTS}
        samples: list[dict[str, float]] = []
        entries = list(self.documents.values())
        single = len(entries) == 1
        for index, entry in enumerate(entries):
            doc_view = (
                None if single else ProfileView(self.totals, Excluded.of_document(entry.stats))
            )
            for passage in entry.paragraphs:
                view = doc_view or ProfileView(self.totals, Excluded.of_paragraph(passage))
                values = surprises(passage, view, cohort=cohort).values
                samples.append(values)
                for name in COMPONENTS:
                    raw[name].append(values[name])
            if progress:
                progress(index + 1, len(entries))
        if len(samples) < 3:
            self.calibration = None
            return
        components = {
            name: _robust(values, MIN_SPREAD.get(name, 1e-3)) for name, values in raw.items()
        }
        draft = Calibration(components, 0.0, 1.0, len(samples))
        combined = [combine(values, draft)[0] for values in samples]
        centre = _robust(combined)
        names = cohort.names if cohort else ()
        self.calibration = Calibration(
            components, centre.median, centre.spread, len(samples), names
        )
        self._changed()

    # -- figures -----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """The spec's training stats, derived from the counts."""
        stats = self.totals
        phrases = an.common_phrases(stats)
        tone = an.tone_markers(stats)
        patterns = sum(1 for c in stats.phrases.values() if c >= 2) + sum(
            1 for c in stats.openers.values() if c >= 2
        )
        return {
            "vocabulary_size": an.vocabulary(stats)["vocabulary_size"],
            "common_phrases": [p for p, _ in phrases],
            "tone_markers": {k: round(v, 2) for k, v in tone["per_1000_words"].items()},
            "pattern_count": patterns,
            "tone_diversity": round(an.tone_diversity(stats), 4),
            "style_score": round(self.style_score(), 4),
            "documents": len(self.documents),
            "words": stats.n_words,
        }

    def style_score(self) -> float:
        """How consistent the writer's own paragraphs are (0–1): 1 minus their median drift.

        A scattered sample folder (several voices mixed) gives a low figure, a warning that
        drift scores against it will be blunt.
        """
        if not self.calibration:
            return 0.0
        spreads = [c.spread for c in self.calibration.components.values()]
        medians = [abs(c.median) for c in self.calibration.components.values()]
        ratio = statistics.fmean(s / (s + m + 1e-9) for s, m in zip(spreads, medians, strict=True))
        return max(0.0, min(1.0, 1.0 - ratio))

    def analyses(self) -> dict[str, Any]:
        """All analyses of the whole profile, for `inkmod profile show` and the style prompt."""
        stats = self.totals
        return {
            "vocabulary": an.vocabulary(stats),
            "sentences": an.sentence_patterns(stats),
            "paragraphs": an.paragraph_structure(stats),
            "tone": an.tone_markers(stats),
            "phrases": an.common_phrases(stats),
            "punctuation": an.punctuation(stats),
            "char_ngrams": an.char_ngrams(stats),
        }

    # -- persistence (see storage.py for files) ----------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "name": self.name,
            "samples_dir": self.samples_dir,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "documents": {k: v.to_dict() for k, v in self.documents.items()},
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "learned": self.learned,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StyleProfile:
        profile = cls(str(data["name"]), data.get("samples_dir"))
        for doc_id, entry in data["documents"].items():
            profile.add_entry(doc_id, DocumentEntry.from_dict(entry))
        cal = data.get("calibration")
        profile.calibration = Calibration.from_dict(cal) if cal else None
        profile.created_at = float(data["created_at"])
        profile.updated_at = float(data["updated_at"])
        profile.learned = dict(data.get("learned") or {})
        return profile


def _robust(values: Iterable[float], floor: float = 1e-3) -> ComponentCalibration:
    """Median and a robust spread (scaled MAD, floored so that it never divides by zero)."""
    data = sorted(values)
    median = statistics.median(data)
    mad = statistics.median(abs(v - median) for v in data) * 1.4826
    spread = max(mad, 0.05 * abs(median), floor)
    return ComponentCalibration(median, spread)
