"""Possible duplicates (重复诉求): open appeals about the same problem at the same place, found while a worker
types (a count, never shown to them as appeals) and at intake (a list intake may merge with one click).

A candidate is an open appeal (待受理 … 已答复) that

- was filed in the last `SHEGONG_SMART_DUP_DAYS` days (counted back from the appeal being looked at);
- is in the same street (the first 9 digits of the division code) — or, when both appeals carry
  coordinates, within `SHEGONG_SMART_DUP_METRES` metres (two workers may pick neighbouring streets for
  the same gate);
- has the same first-level category, or none yet (an H5 filing may leave the subject to staff); when the
  appeal being looked at has no category, any category.

Among the candidates (at most `MAX_POOL`, newest first) the text decides: TF-IDF vectors of character
1- and 2-grams, the inverse document frequencies fitted on the candidates and the query text together, and
their cosine. Character unigrams and bigrams were chosen over 2–3-grams on the labelled pairs in
`data/dup_pairs.jsonl`: paraphrases of one incident ("不让电动车进" / "禁止电动车进入") share single
characters and short words far more often than trigrams (docs/smart.md has the numbers). A candidate
scoring at least `SHEGONG_SMART_DUP_THRESHOLD` is a possible duplicate.

Scope is the caller's: `duplicates_for` searches only the appeals the user sees; the worker's hint
(`similar_exists`) searches every appeal but answers only yes or no.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import zhconv
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from shegong.appeals.choices import OPEN_STATES
from shegong.appeals.models import Appeal, Category
from shegong.appeals.selectors import appeals_visible_to
from shegong.core.scoping import division_q
from shegong.divisions.choices import Level
from shegong.stations.geo import bounding_box, haversine_m

# The newest candidates compared with the query: a street has a few dozen open appeals of one category in
# two weeks; past this many the oldest add time, not duplicates.
MAX_POOL = 200
# Matches shown at intake.
LIMIT = 5
NGRAMS = (1, 2)
# Text shorter than this says too little to compare (the worker has only started typing).
MIN_CHARS = 8
# Appeals are a few sentences; a pasted document would only cost time.
MAX_CHARS = 1000

_NOT_TEXT = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


@dataclass(frozen=True)
class Rules:
    """How far back, how far away and how similar (settings `SHEGONG_SMART_DUP_*`)."""

    days: int = 14
    metres: int = 500
    threshold: float = 0.22

    @classmethod
    def from_settings(cls) -> Rules:
        return cls(
            days=settings.SHEGONG_SMART_DUP_DAYS,
            metres=settings.SHEGONG_SMART_DUP_METRES,
            threshold=settings.SHEGONG_SMART_DUP_THRESHOLD,
        )


@dataclass(frozen=True)
class Probe:
    """What is known about the appeal being filed or looked at."""

    text: str
    division_code: str = ""
    category: Category | None = None
    lat: float | None = None
    lng: float | None = None
    at: dt.datetime | None = None  # the window ends here (default: now)
    exclude_pk: int | None = None

    @classmethod
    def of(cls, appeal: Appeal) -> Probe:
        located = appeal.lat is not None and appeal.lng is not None
        return cls(
            text=appeal.text,
            division_code=appeal.division_id,
            category=appeal.category,
            lat=float(appeal.lat) if located else None,  # type: ignore[arg-type]
            lng=float(appeal.lng) if located else None,  # type: ignore[arg-type]
            at=appeal.submitted_at,
            exclude_pk=appeal.pk,
        )

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lng is not None


@dataclass(frozen=True)
class Match:
    appeal: Appeal
    score: float
    same_street: bool
    metres: float | None  # when both appeals carry coordinates

    @property
    def percent(self) -> int:
        return round(self.score * 100)


# --- text ---------------------------------------------------------------------------------------------------


def normal(text: str) -> str:
    """Simplified characters, half-width, lower case; punctuation, emoji and spaces become one space."""
    value = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS]).lower()
    return _NOT_TEXT.sub(" ", zhconv.convert(value, "zh-cn")).strip()


def grams(text: str) -> Counter[str]:
    """Character n-grams within each run of text (never across punctuation)."""
    counts: Counter[str] = Counter()
    low, high = NGRAMS
    for run in normal(text).split():
        for n in range(low, high + 1):
            counts.update(run[i : i + n] for i in range(len(run) - n + 1))
    return counts


def similarities(query: str, texts: Sequence[str]) -> list[float]:
    """Cosine of `query` with each text: sublinear TF × smoothed IDF (fitted on the query and the texts,
    as scikit-learn's TfidfVectorizer does), L2-normalised. Plain Python: the sets are small."""
    docs = [grams(query), *(grams(t) for t in texts)]
    n = len(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    idf = {g: math.log((1 + n) / (1 + k)) + 1 for g, k in df.items()}
    vectors = []
    for doc in docs:
        weights = {g: (1 + math.log(c)) * idf[g] for g, c in doc.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({g: w / norm for g, w in weights.items()})
    head = vectors[0]
    return [sum(w * other.get(g, 0.0) for g, w in head.items()) for other in vectors[1:]]


# --- candidates ---------------------------------------------------------------------------------------------


def street_of(code: str) -> str:
    """The street part of a 12-digit division code (an appeal filed for a county keeps its county's
    'no street' prefix, so it meets only other county-level filings there)."""
    return code[: Level.STREET] if len(code) >= Level.STREET else ""


def _category_q(category: Category | None) -> Q:
    if category is None:
        return Q()
    top = category.parent_id or category.pk
    return Q(category_id=top) | Q(category__parent_id=top) | Q(category__isnull=True)


def candidates(base: QuerySet[Appeal], probe: Probe, rules: Rules) -> list[tuple[Appeal, bool, float | None]]:
    """Open appeals of `base` that may be about the same thing as `probe`: (appeal, same street, metres)."""
    street = street_of(probe.division_code)
    place = division_q("division_id", [street]) if street else Q(pk__in=[])
    if probe.located:
        low_lat, high_lat, low_lng, high_lng = bounding_box(probe.lat, probe.lng, rules.metres)  # type: ignore[arg-type]
        place |= Q(lat__gte=low_lat, lat__lte=high_lat, lng__gte=low_lng, lng__lte=high_lng)
    elif not street:
        return []
    since = (probe.at or timezone.now()) - dt.timedelta(days=rules.days)
    rows = base.filter(place, _category_q(probe.category), state__in=OPEN_STATES, submitted_at__gte=since)
    if probe.exclude_pk is not None:
        rows = rows.exclude(pk=probe.exclude_pk)
    found = []
    for appeal in rows.order_by("-submitted_at", "-pk")[:MAX_POOL]:
        same_street = bool(street) and appeal.division_id.startswith(street)
        metres = None
        if probe.located and appeal.lat is not None and appeal.lng is not None:
            metres = haversine_m(probe.lat, probe.lng, float(appeal.lat), float(appeal.lng))  # type: ignore[arg-type]
        if same_street or (metres is not None and metres <= rules.metres):
            found.append((appeal, same_street, metres))
    return found


def find(base: QuerySet[Appeal], probe: Probe, rules: Rules | None = None, limit: int = LIMIT) -> list[Match]:
    """The candidates whose text is similar enough, best first (ties: the newest first), at most `limit`."""
    rules = rules or Rules.from_settings()
    if len(normal(probe.text).replace(" ", "")) < MIN_CHARS:
        return []
    pool = candidates(base, probe, rules)
    scores = similarities(probe.text, [appeal.text for appeal, _s, _m in pool])
    matches = [
        Match(appeal=appeal, score=score, same_street=same, metres=metres)
        for (appeal, same, metres), score in zip(pool, scores, strict=True)
        if score >= rules.threshold
    ]
    matches.sort(key=lambda m: (-m.score, -m.appeal.submitted_at.timestamp()))
    return matches[:limit]


def duplicates_for(appeal: Appeal, *, user: Any, limit: int = LIMIT) -> list[Match]:
    """Possible duplicates of `appeal` among the appeals `user` sees (intake's list)."""
    base = appeals_visible_to(user=user).select_related("category", "division", "unit")
    return find(base, Probe.of(appeal), limit=limit)


def similar_exists(probe: Probe) -> bool:
    """Whether any open appeal anywhere is a possible duplicate of what a worker is typing. Unscoped on
    purpose: the worker has no scope, and the answer is only yes or no (no appeal, text or number leaves
    this function)."""
    return bool(find(Appeal.objects.unscoped(), probe, limit=1))
