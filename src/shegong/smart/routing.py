"""Routing suggestion: which unit an appeal of a category at a place should go to.

The dispatch catalogue (派单目录, `appeals.routing.route_rule`) decides wherever it speaks precisely. Past
dispatch choices (the `Correction` rows written at 派单) decide where it does not: when no rule covers the
place and category, or when the rule that applies is broader than the place — a county-wide or nationwide
rule, or a rule for "any category" or the parent category — and the dispatchers of that place keep choosing
another unit. History needs `MIN_SUPPORT` appeals sent to the same unit, more than to any other unit.

Places: history is pooled over a street (an appeal filed for a community counts for its whole street); an
appeal filed above street level only learns from appeals filed at exactly that division, so a county's
desk is never told to send its appeals to one street office. An appeal filed for a county (or street) whose
address names one of its streets or communities is routed as if filed there (`place_of`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils.translation import gettext

from shegong.appeals.models import Appeal, Category, DispatchRule
from shegong.appeals.routing import route_rule
from shegong.divisions.choices import Level
from shegong.divisions.models import Division, Unit
from shegong.smart.models import Correction

# Past dispatches to one unit needed before history may suggest it (below that a single dispatcher's
# habit, or one mistake, would become the rule).
MIN_SUPPORT = 3
# The most recent dispatches looked at for one place and category: old habits fade as units change.
HISTORY_LIMIT = 500

CATALOGUE = "catalogue"
HISTORY = "history"
NONE = "none"


@dataclass(frozen=True)
class Reason:
    """Why a unit was suggested: `source` is "catalogue", "history" or "none"; `text` says it in words."""

    source: str
    text: str
    support: int = 0  # history: appeals of this place and category that went to the unit
    total: int = 0  # history: appeals of this place and category looked at

    def __str__(self) -> str:
        return self.text


class RouteSuggestion(NamedTuple):
    unit: Unit | None
    reason: Reason


def suggest_unit(division: Division, category: Category | None) -> RouteSuggestion:
    """The unit for an appeal of `category` at `division`, and why (see the module docstring)."""
    rule = route_rule(division=division, category=category)
    learned = learned_unit(division, category)
    if rule is None:
        if learned is not None:
            return learned
        return RouteSuggestion(
            None,
            Reason(
                NONE,
                gettext(
                    "No dispatch rule covers this place and category, and there are too few past "
                    "dispatches to learn from."
                ),
            ),
        )
    if learned is not None and learned.unit != rule.unit and _broader(rule, division, category):
        return learned
    return RouteSuggestion(rule.unit, Reason(CATALOGUE, _rule_text(rule)))


def history_prefix(division: Division) -> str:
    """The code prefix whose past dispatches count for `division`: its street's (see the docstring)."""
    if division.level >= Level.STREET:
        return division.code[: Level.STREET]
    return division.code


def _history(division: Division) -> QuerySet[Correction]:
    rows = Correction.objects.all()
    if division.level >= Level.STREET:
        return rows.filter(division__code__startswith=history_prefix(division))
    return rows.filter(division=division)


def _broader(rule: DispatchRule, division: Division, category: Category | None) -> bool:
    """Whether the rule speaks for more than this place and category, so that local practice may differ."""
    prefix = rule.division.prefix if rule.division is not None else ""
    place = division.code[: Level.STREET] if division.level >= Level.STREET else division.prefix
    exact_category = category is not None and rule.category_id == category.pk
    return len(prefix) < len(place) or not exact_category


def learned_unit(division: Division, category: Category | None) -> RouteSuggestion | None:
    """The unit most often chosen for this place and category, if it has the support (module docstring).
    Only each appeal's latest dispatch counts: a dispatch that was returned and re-sent was a mistake."""
    if category is None:
        return None
    rows = (
        _history(division)
        .filter(chosen_category=category.code, chosen_unit__isnull=False, chosen_unit__is_active=True)
        .order_by("-at", "-pk")
        .values_list("appeal_id", "chosen_unit_id")[:HISTORY_LIMIT]
    )
    latest: dict[int, int] = {}
    for appeal_id, unit_id in rows:
        latest.setdefault(appeal_id, unit_id)
    ranked = Counter(latest.values()).most_common(2)
    if not ranked:
        return None
    unit_id, support = ranked[0]
    if support < MIN_SUPPORT or (len(ranked) > 1 and ranked[1][1] == support):
        return None
    unit = Unit.all_objects.select_related("division").get(pk=unit_id)
    total = len(latest)
    text = gettext(
        "Learned from past dispatches: {support} of the last {total} such appeals here went to this unit."
    ).format(support=support, total=total)
    return RouteSuggestion(unit, Reason(HISTORY, text, support=support, total=total))


def _rule_text(rule: DispatchRule) -> str:
    place = rule.division.name if rule.division is not None else gettext("nationwide")
    category = rule.category.name if rule.category is not None else gettext("any category")
    return gettext("Dispatch catalogue: the rule for {place}, {category}.").format(
        place=place, category=category
    )


# --- address text → division -------------------------------------------------------------------------------

# Endings a division's name may be written without ("三里屯街道" is said "三里屯").
NAME_SUFFIXES = (
    "街道办事处",
    "社区居委会",
    "村民委员会",
    "居委会",
    "村委会",
    "街道",
    "社区",
    "地区",
    "镇",
    "乡",
    "村",
)
SHORT_NAME_MIN = 2  # characters left after the ending is dropped; a one-character name matches too much


def short_name(name: str) -> str:
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= SHORT_NAME_MIN:
            return name[: -len(suffix)]
    return ""


def division_from_address(text: str, *, within: Division) -> Division | None:
    """The street or community under `within` (a county or a street) that the text names, or None.

    Names are matched as written in the text: the full name ("测试街道") ranks above a short name ("测试"),
    a community above a street, a longer name above a shorter one; two different divisions that rank the
    same are ambiguous (None). Above county level nothing is searched (too many names to match blindly)."""
    text = (text or "").strip()
    if not text or within.level < Level.COUNTY:
        return None
    candidates = Division.objects.filter(
        code__startswith=within.prefix, level__gt=within.level, level__lte=Level.COMMUNITY
    ).values_list("code", "name", "level")
    best: tuple[int, int, int] | None = None
    found: set[str] = set()
    for code, name, level in candidates:
        rank: tuple[int, int, int] | None = None
        if name and name in text:
            rank = (level, 1, len(name))
        elif (short := short_name(name)) and short in text:
            rank = (level, 0, len(short))
        if rank is None:
            continue
        if best is None or rank > best:
            best, found = rank, {code}
        elif rank == best:
            found.add(code)
    if len(found) != 1:
        return None
    return Division.objects.get(code=found.pop())


def place_of(appeal: Appeal) -> Division:
    """Where the appeal is, for routing: its division, or the street/community its address names there."""
    division = appeal.division
    if division.level < Level.COMMUNITY and appeal.address:
        return division_from_address(appeal.address, within=division) or division
    return division


def desk_router(division: Division, category: Category | None) -> tuple[Unit | None, str]:
    """The desk's dispatch hook (`appeals.desk.suggest.register_router`): the unit and why, in words."""
    suggestion = suggest_unit(division, category)
    return suggestion.unit, str(suggestion.reason)
