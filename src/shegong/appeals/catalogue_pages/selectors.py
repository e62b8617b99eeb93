"""Reads for the catalogue pages: the category tree with its counts, the effective time limits of one
category (and where each comes from), and the dispatch rules and divisions inside the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from shegong.appeals.catalogue_pages.access import PERM
from shegong.appeals.choices import Clock, LimitUnit, Urgency
from shegong.appeals.limits import DEFAULT_LIMITS
from shegong.appeals.models import Category, DispatchRule, TimeLimit
from shegong.core.scoping import division_q, prefixes_for
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit

# --- categories --------------------------------------------------------------------------------------------


def _with_counts(qs: QuerySet[Category], prefixes: list[str]) -> QuerySet[Category]:
    # Rules are counted inside the viewer's scope only: a county admin sees how many of *their* rules name
    # the category, not how many other provinces have.
    in_scope = Q(dispatch_rules__is_active=True)
    if "" not in prefixes:
        in_scope &= division_q("dispatch_rules__division_id", prefixes)
    return qs.annotate(
        rule_count=Count("dispatch_rules", filter=in_scope, distinct=True),
        own_limit_count=Count("time_limits", distinct=True),
    )


def category_tree(*, user: Any) -> list[Category]:
    """First-level categories in order, each with `.children` prefetched; every node carries `rule_count`
    (active rules in the user's scope) and `own_limit_count` (its own time-limit rows)."""
    prefixes = prefixes_for(user, PERM)
    children = _with_counts(Category.objects.order_by("order", "code"), prefixes)
    roots = _with_counts(Category.objects.filter(parent=None), prefixes).order_by("order", "code")
    return list(roots.prefetch_related(Prefetch("children", queryset=children)))


def category_get(pk: Any) -> Category:
    """One category (reference data, not scoped); 404 when unknown."""
    try:
        return Category.objects.select_related("parent").get(pk=pk)
    except (Category.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- time limits -------------------------------------------------------------------------------------------

OWN, PARENT, DEFAULT, BUILT_IN = "own", "parent", "default", "built_in"


@dataclass(frozen=True)
class LimitCell:
    """One clock × urgency of a category: the value appeals get (as limits.limit_for computes it) and
    where it comes from."""

    clock: str
    urgency: str
    amount: int
    unit: str
    source: str  # OWN, PARENT, DEFAULT or BUILT_IN

    @property
    def is_own(self) -> bool:
        return self.source == OWN

    @property
    def unit_label(self) -> str:
        return str(LimitUnit(self.unit).label)


@dataclass(frozen=True)
class LimitRow:
    clock: str
    label: str
    cells: list[LimitCell]


URGENCY_ORDER = (Urgency.NORMAL, Urgency.URGENT)


def limit_table(category: Category | None) -> list[LimitRow]:
    """Clock × urgency for `category` (None: the default rows), in one query. The lookup order is the one
    limits.limit_for uses: own row, parent's row, default row, built-in default."""
    chain: list[tuple[int | None, str]] = []
    if category is not None:
        chain.append((category.pk, OWN))
        if category.parent_id is not None:
            chain.append((category.parent_id, PARENT))
    chain.append((None, OWN if category is None else DEFAULT))
    keys = [pk for pk, _ in chain if pk is not None]
    rows = {
        (row.category_id, row.clock, row.urgency): row
        for row in TimeLimit.objects.filter(Q(category_id__in=keys) | Q(category__isnull=True))
    }
    table = []
    for clock in Clock:
        cells = []
        for urgency in URGENCY_ORDER:
            for pk, source in chain:
                row = rows.get((pk, clock.value, urgency.value))
                if row is not None:
                    cells.append(LimitCell(clock, urgency, row.amount, row.unit, source))
                    break
            else:
                amount, unit = DEFAULT_LIMITS[(clock, urgency)]
                cells.append(LimitCell(clock, urgency, amount, unit, BUILT_IN))
        table.append(LimitRow(clock.value, str(clock.label), cells))
    return table


def limit_cell(category: Category | None, clock: str, urgency: str) -> LimitCell:
    for row in limit_table(category):
        for cell in row.cells:
            if cell.clock == clock and cell.urgency == urgency:
                return cell
    raise Http404


# --- dispatch rules ----------------------------------------------------------------------------------------

RULE_ORDERINGS: dict[str, tuple[str, ...]] = {
    "division": ("division_id", "category__order", "category__code", "pk"),
    "-division": ("-division_id", "category__order", "category__code", "-pk"),
    "unit": ("unit__name", "pk"),
    "-unit": ("-unit__name", "-pk"),
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
}
DEFAULT_RULE_ORDERING = "division"
ANY_CATEGORY = "any"


def rules_visible_to(
    *,
    user: Any,
    division_prefix: str = "",
    category: Category | str | None = None,
    q: str = "",
    is_active: bool | None = True,
    ordering: str = DEFAULT_RULE_ORDERING,
) -> QuerySet[DispatchRule]:
    """Dispatch rules whose division lies in the user's catalogue scope (nationwide rules only for a
    nationwide grant). `category`: a category (its second-level categories' rules included) or
    ANY_CATEGORY for the rules without one; `q` matches the unit's name."""
    prefixes = prefixes_for(user, PERM)
    qs = DispatchRule.objects.select_related("division", "category", "unit", "unit__division")
    if "" not in prefixes:
        qs = qs.filter(division_q("division_id", prefixes))
    if division_prefix:
        qs = qs.filter(division_q("division_id", [division_prefix]))
    if category == ANY_CATEGORY:
        qs = qs.filter(category__isnull=True)
    elif isinstance(category, Category):
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if q.strip():
        qs = qs.filter(unit__name__icontains=q.strip())
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs.order_by(*RULE_ORDERINGS.get(ordering, RULE_ORDERINGS[DEFAULT_RULE_ORDERING]))


def rule_get_visible(*, user: Any, pk: Any) -> DispatchRule:
    """One rule in the user's scope; 404 otherwise (the caller checked that they hold the permission)."""
    try:
        return rules_visible_to(user=user, is_active=None).get(pk=pk)
    except (DispatchRule.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- pickers -----------------------------------------------------------------------------------------------


def divisions_in_scope(*, user: Any) -> QuerySet[Division]:
    return Division.objects.filter(division_q("code", prefixes_for(user, PERM)))


def division_search(*, user: Any, text: str, limit: int = 20) -> list[Division]:
    """Divisions in scope whose code starts with `text` (digits) or whose name contains it."""
    text = text.strip()
    if not text or "\x00" in text:  # no name holds a NUL, and PostgreSQL refuses one in a query (a 500)
        return []
    qs = divisions_in_scope(user=user)
    if text.isascii() and text.isdigit():
        # a range rather than LIKE 'x%': the primary-key B-tree serves it on PostgreSQL too
        qs = qs.filter(code__gte=text[:12].ljust(12, "0"), code__lte=text[:12].ljust(12, "9"))
    else:
        qs = qs.filter(name__icontains=text)
    return list(qs.order_by("level", "code")[:limit])


def division_paths(divisions: list[Division]) -> dict[str, str]:
    """code → '辽宁省 › 沈阳市 › 皇姑区' (telling apart the many 新华街道), all ancestors in one query."""
    chains: dict[str, list[str]] = {}
    for division in divisions:
        chain: list[str] = []
        code = codes.parent_code(division.code)
        while code is not None:
            chain.insert(0, code)
            code = codes.parent_code(code)
        chains[division.code] = chain
    wanted = {c for chain in chains.values() for c in chain}
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "name"))
    return {
        d.code: " › ".join([names[c] for c in chains[d.code] if c in names] + [d.name]) for d in divisions
    }


def division_path(division: Division) -> str:
    return division_paths([division])[division.code]


def rule_units(*, user: Any, division: Division | None) -> QuerySet[Unit]:
    """Units a rule for `division` may name: active ones inside its subtree (anywhere in the user's scope
    for a nationwide rule)."""
    qs = Unit.objects.visible_to(user, PERM).filter(is_active=True)
    if division is not None:
        qs = qs.in_subtree(division.prefix)
    return qs.select_related("division").order_by("division_id", "name")
