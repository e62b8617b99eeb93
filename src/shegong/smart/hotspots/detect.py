"""Finding hotspots (未诉先办) in recent appeals.

One query reads the appeals of the window (the last `window_days`) and of the baseline weeks before it:
key, division, first-level category, time and the first 500 characters of the text. Everything else is
Python over those rows, with bounded work:

- **Clusters**: appeals of the window grouped by street (the first 9 digits of the division code) and
  first-level category. Only groups with at least `min_count` appeals can alert; in each, texts are compared
  by character unigram+bigram TF-IDF cosine and linked above `similarity`; a connected component of at
  least `min_count` appeals is a hotspot. So five appeals about five different gates of one category in one
  street are not one hotspot, and five about the same estate are.
- **Stock phrases** are left out of the comparison first: a clause (text between punctuation) that occurs
  word for word in appeals from `STOCK_STREETS` or more streets is a greeting, an operator's template or a
  platform's canned complaint, not evidence of one local problem ("你好，我想反映个事", "诉求：请相关部门
  核实处理"). What is left is what the appeal says about its own place: the estate, the gate, the road.
- **Surges**: per county and first-level category, the window's count against the weekly average of the
  `baseline_weeks` before it; at least `surge_factor` times that average and at least `surge_floor`
  appeals is a surge.

The window ends at the start of the current hour, so every run within one hour sees the same window and
the hourly job's alerts are keyed by it (services.hotspot_record keeps one row per hotspot while it lasts).
Rejected appeals (不予受理) are left out everywhere; appeals without a category yet are left out too.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from shegong.appeals.choices import State
from shegong.appeals.models import Appeal

logger = logging.getLogger(__name__)

STREET_DIGITS = 9
COUNTY_DIGITS = 6
STOCK_STREETS = 3
TEXT_CHARS = 500  # enough for what an appeal is about; bounds memory per row
MAX_GROUP = 1000  # most recent appeals compared in one street × category (a 1000² similarity matrix)
MAX_FIT = 50_000  # most recent window texts the IDF is fitted on
SAMPLE_CHARS = 200
KEYWORDS = 5

_CLAUSE = re.compile(r"[\s，。！？；：、,.!?;:\"'“”‘’（）()【】\[\]《》<>…—~～·|/]+")


@dataclass(frozen=True)
class Params:
    window_days: int = 7
    min_count: int = 5
    similarity: float = 0.2
    surge_factor: float = 2.0
    surge_floor: int = 8
    baseline_weeks: int = 4

    @classmethod
    def from_settings(cls) -> Params:
        return cls(
            window_days=settings.SHEGONG_HOTSPOT_WINDOW_DAYS,
            min_count=settings.SHEGONG_HOTSPOT_MIN_COUNT,
            similarity=settings.SHEGONG_HOTSPOT_SIMILARITY,
            surge_factor=settings.SHEGONG_HOTSPOT_SURGE_FACTOR,
            surge_floor=settings.SHEGONG_HOTSPOT_SURGE_FLOOR,
            baseline_weeks=settings.SHEGONG_HOTSPOT_BASELINE_WEEKS,
        )


@dataclass(frozen=True)
class Row:
    pk: int
    division: str  # 12-digit code
    category: int  # first-level category id
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Finding:
    """A hotspot as found in one run, before it is recorded (or shown by --dry-run)."""

    kind: str  # AlertKind value
    division_code: str  # the street (cluster) or the county (surge), 12 digits
    category_id: int
    window_start: dt.datetime
    window_end: dt.datetime
    appeal_ids: tuple[int, ...]
    baseline: float  # weekly average in the baseline weeks
    keywords: str = ""
    sample: str = ""

    @property
    def count(self) -> int:
        return len(self.appeal_ids)


@dataclass
class Window:
    start: dt.datetime
    end: dt.datetime
    baseline_start: dt.datetime


def window_for(now: dt.datetime, params: Params) -> Window:
    """The window ending at the start of `now`'s hour, and where its baseline weeks begin."""
    end = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=params.window_days)
    return Window(start=start, end=end, baseline_start=start - dt.timedelta(weeks=params.baseline_weeks))


def load_rows(window: Window, *, division_prefix: str = "") -> list[Row]:
    """The one query: every categorised, not rejected appeal of the window and its baseline weeks."""
    qs = Appeal.objects.unscoped().filter(
        submitted_at__gte=window.baseline_start,
        submitted_at__lt=window.end,
        category__isnull=False,
    )
    if division_prefix:
        qs = qs.in_subtree(division_prefix)
    values = (
        qs.exclude(state=State.REJECTED)
        .annotate(
            top=Coalesce(F("category__parent_id"), F("category_id")), snippet=Substr("text", 1, TEXT_CHARS)
        )
        .order_by("submitted_at", "pk")
        .values_list("pk", "division_id", "top", "submitted_at", "snippet")
    )
    return [
        Row(pk, code, top, at, text or "") for pk, code, top, at, text in values.iterator(chunk_size=5000)
    ]


# --- text ------------------------------------------------------------------------------------------------


def clauses(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text).lower()
    return [c for c in _CLAUSE.split(normal) if c]


def stock_phrases(rows: Iterable[Row]) -> set[str]:
    """Clauses found word for word in appeals from STOCK_STREETS or more streets."""
    streets: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        street = row.division[:STREET_DIGITS]
        for clause in set(clauses(row.text)):
            streets[clause].add(street)
    return {clause for clause, where in streets.items() if len(where) >= STOCK_STREETS}


def local_text(text: str, stock: set[str]) -> str:
    """The appeal without its stock phrases (may be empty: then it is like no other appeal)."""
    return "，".join(c for c in clauses(text) if c not in stock)


class Similarity:
    """Character unigram+bigram TF-IDF over the window's local texts; IDF from the window itself."""

    def __init__(self, texts: dict[int, str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts = texts
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        fit = [t for t in list(texts.values())[-MAX_FIT:] if t]
        self.fitted = bool(fit)
        if self.fitted:
            self.vectorizer.fit(fit)

    def matrix(self, pks: Sequence[int]):  # type: ignore[no-untyped-def]  # scipy sparse, no stubs
        from scipy.sparse import csr_matrix

        if not self.fitted:
            return csr_matrix((len(pks), 1))
        return self.vectorizer.transform([self.texts[pk] for pk in pks])

    def components(self, pks: Sequence[int], threshold: float) -> list[list[int]]:
        """Groups of appeals linked by cosine ≥ threshold (single linkage), largest first."""
        from scipy.sparse.csgraph import connected_components

        x = self.matrix(pks)
        sims = (x @ x.T).tocsr()
        sims.data = (sims.data >= threshold).astype("int8")
        sims.eliminate_zeros()
        _n, labels = connected_components(sims, directed=False)
        groups: dict[int, list[int]] = defaultdict(list)
        for pk, label in zip(pks, labels, strict=True):
            groups[int(label)].append(pk)
        return sorted(groups.values(), key=len, reverse=True)

    def typical(self, pks: Sequence[int]) -> int:
        """The appeal closest to the group's centroid (what the group is about, in one worker's words)."""
        x = self.matrix(pks)
        centroid = x.mean(axis=0)
        scores = x @ centroid.T
        return pks[int(scores.argmax())]


def keywords(texts: Iterable[str]) -> str:
    """A few words that say what the appeals share (jieba's TF-IDF keyword extraction)."""
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    joined = "。".join(t for t in texts if t)
    if not joined:
        return ""
    return " ".join(jieba.analyse.extract_tags(joined, topK=KEYWORDS))[:120]


def _sample(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"


# --- finding ---------------------------------------------------------------------------------------------


@dataclass
class Scan:
    """What one pass over the rows found (findings) and how much it looked at."""

    rows: int = 0
    groups: int = 0
    findings: list[Finding] = field(default_factory=list)


def find(rows: Sequence[Row], window: Window, params: Params, *, surges: bool = True) -> Scan:
    """Clusters and surges among `rows` (the window and its baseline weeks, oldest first). `surges=False`
    when the rows cover less than whole counties (a county's rise cannot be judged from one street)."""
    scan = Scan(rows=len(rows))
    recent = [r for r in rows if window.start <= r.at < window.end]
    before = [r for r in rows if window.baseline_start <= r.at < window.start]
    weeks = max(params.baseline_weeks, 1)
    stock = stock_phrases(rows)
    texts = {r.pk: local_text(r.text, stock) for r in recent}
    sim = Similarity(texts)
    by_pk = {r.pk: r for r in recent}

    streets: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for row in recent:
        streets[(row.division[:STREET_DIGITS], row.category)].append(row)
    street_before = Counter((r.division[:STREET_DIGITS], r.category) for r in before)
    for (street, category), members in sorted(streets.items()):
        if len(members) < params.min_count:
            continue
        scan.groups += 1
        pks = [r.pk for r in members[-MAX_GROUP:]]
        for component in sim.components(pks, params.similarity):
            if len(component) < params.min_count:
                break
            scan.findings.append(
                _finding("cluster", street, category, component, street_before, weeks, window, sim, by_pk)
            )

    if not surges:
        return scan
    counties: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for row in recent:
        counties[(row.division[:COUNTY_DIGITS], row.category)].append(row)
    county_before = Counter((r.division[:COUNTY_DIGITS], r.category) for r in before)
    for (county, category), members in sorted(counties.items()):
        average = county_before[(county, category)] / weeks
        if len(members) < params.surge_floor or len(members) < params.surge_factor * average:
            continue
        pks = [r.pk for r in members[-MAX_GROUP:]]
        scan.findings.append(
            _finding("surge", county, category, pks, county_before, weeks, window, sim, by_pk)
        )
    return scan


def _finding(
    kind: str,
    prefix: str,
    category: int,
    pks: list[int],
    before: Counter[tuple[str, int]],
    weeks: int,
    window: Window,
    sim: Similarity,
    by_pk: dict[int, Row],
) -> Finding:
    return Finding(
        kind=kind,
        division_code=prefix.ljust(12, "0"),
        category_id=category,
        window_start=window.start,
        window_end=window.end,
        appeal_ids=tuple(sorted(pks)),
        baseline=round(before[(prefix, category)] / weeks, 2),
        # stock phrases only (a surge of template texts): the words of the texts themselves
        keywords=keywords(sim.texts[pk] or by_pk[pk].text for pk in pks[-200:]),
        sample=_sample(by_pk[sim.typical(pks)].text),
    )
