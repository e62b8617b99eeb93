"""派单目录: which unit an appeal of a category in a division goes to."""

from __future__ import annotations

from django.db.models import Q

from shegong.appeals.models import Category, DispatchRule
from shegong.divisions.models import Division, Unit


def route(*, division: Division, category: Category | None) -> Unit | None:
    """The responsible unit by the most specific active rule: the longest division prefix wins (nationwide
    rules last), and at the same prefix a rule for the category (or its parent) beats an 'any' rule."""
    rule = route_rule(division=division, category=category)
    return rule.unit if rule is not None else None


def route_rule(*, division: Division, category: Category | None) -> DispatchRule | None:
    """The rule `route()` follows (the catalogue pages show it: "which rule sent it there")."""
    categories: list[int] = []
    if category is not None:
        categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rules = (
        DispatchRule.objects.filter(is_active=True, unit__is_active=True)
        .filter(Q(category__isnull=True) | Q(category_id__in=categories))
        .select_related("division", "unit")
    )
    code = division.code
    best: tuple[int, int] | None = None
    chosen: DispatchRule | None = None
    for rule in rules:
        prefix = rule.division.prefix if rule.division is not None else ""
        if not code.startswith(prefix):
            continue
        if rule.category_id is None:
            specificity = 0
        elif rule.category_id == (category.pk if category else None):
            specificity = 2
        else:
            specificity = 1  # the parent category's rule
        rank = (len(prefix), specificity)
        if best is None or rank > best:
            best, chosen = rank, rule
    return chosen
