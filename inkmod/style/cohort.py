"""The impostor cohort: writers like this one, so that the drift score can discount what they share.

Why: the vocabulary and syntax surprises compare a paragraph with the writer's profile against
general English. Much of what makes a passage "unlike general English" is the genre — Victorian
narrative, a government blog's house style and topics — which every writer of that genre shares,
so it cannot tell the writer from their peers. Speaker and authorship verification answer this
with a cohort of impostors (cohort normalisation, the impostors method): judge a passage by how
much better the writer's model explains it *than the models of similar writers do*.

The cohort ships as counts (``data/cohort.json.gz``, built by ``scripts/build_cohort.py``; sources
and licences in ``data/cohort_sources.json``): 64 public-domain writers, never the benchmark's test
authors. When a profile is calibrated, the ``COHORT_SIZE`` members whose word model best predicts
the writer's own text are chosen (:meth:`Cohort.nearest`) and named in the calibration, so that
scoring and calibration always use the same members. The drift score then subtracts, from the
vocabulary and syntax surprises, ``COHORT_WEIGHTS`` times their mean under those members' models
(``drift.surprises``). Weights and size were chosen on the benchmark's novels and checked unchanged
on its blogs (``benchmarks/bench_style.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from inkmod.style.background import Background, default_background
from inkmod.style.features import DocumentStats
from inkmod.style.view import ProfileView

DATA_FILE = Path(__file__).resolve().parent / "data" / "cohort.json.gz"
COHORT_SIZE = 16  # members a profile is judged against
# A profile with less text than the thinnest member (4,000 words) is not compared with the cohort:
# its word model is mostly the general-English prior, sharper models of well-sampled writers would
# then explain a foreign paragraph's rare words *worse* than the writer's blur does, and the ratio
# would call that paragraph typical. Every benchmark profile has at least 8,000 words.
MIN_PROFILE_WORDS = 4_000
# How much of the members' mean surprise each component subtracts (others: none). Vocabulary at 1
# is the likelihood ratio writer vs cohort; syntax is already relative to the writer's own shape
# frequencies, and half of the cohort's gain is what measured best.
COHORT_WEIGHTS: dict[str, float] = {"vocabulary": 1.0, "syntax": 0.5}


@dataclass(frozen=True)
class Member:
    """One cohort writer: their counts as a profile view (shared by every profile)."""

    name: str
    genre: str
    view: ProfileView


@dataclass(frozen=True)
class CohortReference:
    """The members one profile is compared with (chosen at calibration, named in it).

    ``cache`` holds what depends on these members alone (the drift score's tables of their
    counts, their mean gains by n-gram), so that the many leave-one-out views of a calibration
    and the live profile share it instead of each building its own.
    """

    members: tuple[Member, ...]
    cache: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)


class Cohort:
    """The shipped cohort: members and their views, loaded once per process."""

    def __init__(self, members: Sequence[Member], digest: str) -> None:
        self.members = tuple(members)
        self.digest = digest
        self._by_name = {m.name: m for m in self.members}

    @classmethod
    def from_bytes(cls, raw: bytes) -> Cohort:
        data = json.loads(gzip.decompress(raw))
        members = []
        for item in data["members"]:
            stats = DocumentStats()
            stats.n_docs = 1
            stats.n_words = int(item["n_words"])
            stats.tokens = Counter(item["tokens"])
            stats.shape_ngrams = Counter(item["shapes"])
            view = ProfileView(stats)
            # Entries seen once were pruned; the models' denominator is the full token total.
            view.n_tokens = int(item["n_tokens"])
            members.append(Member(str(item["name"]), str(item["genre"]), view))
        return cls(members, hashlib.sha256(raw).hexdigest()[:16])

    def reference(self, names: Sequence[str]) -> CohortReference | None:
        """The members named (by a calibration); None if any is not in this cohort."""
        found = [self._by_name.get(name) for name in names]
        if not found or any(m is None for m in found):
            return None
        return CohortReference(tuple(m for m in found if m is not None))

    def nearest(
        self,
        totals: DocumentStats,
        size: int = COHORT_SIZE,
        background: Background | None = None,
    ) -> CohortReference:
        """The ``size`` members whose smoothed word model gives the writer's text the highest
        likelihood: writers of the same kind, whatever the kind is (only the writer's own
        counts are read)."""
        from inkmod.style.drift import PRIOR_WEIGHT

        bg = background or default_background()
        items = [(t, c) for t, c in totals.tokens.items() if c > 0]
        priors = [PRIOR_WEIGHT * bg(t) for t, _ in items]
        log = math.log

        def fit(member: Member) -> float:
            view = member.view
            total = view.n_tokens + PRIOR_WEIGHT
            return sum(
                c * log((view.count(t) + prior) / total)
                for (t, c), prior in zip(items, priors, strict=True)
            )

        ranked = sorted(self.members, key=lambda m: (-fit(m), m.name))
        return CohortReference(tuple(ranked[:size]))


@lru_cache(maxsize=1)
def shipped_cohort() -> Cohort | None:
    """The cohort shipped with InkMod, or None when its data file is missing."""
    if not DATA_FILE.is_file():
        return None
    return Cohort.from_bytes(DATA_FILE.read_bytes())
