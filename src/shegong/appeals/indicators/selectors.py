"""Scoped reads for the indicator pages: the division a report is drilled into, and the exclusions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Appeal, RateExclusion
from shegong.appeals.selectors import appeals_visible_to
from shegong.appeals.tracking import normalise_tracking_no
from shegong.core.scoping import covers, prefixes_for
from shegong.divisions.models import Division
from shegong.divisions.selectors import pad_code


def division_for_report(*, user: Any, code: str) -> Division:
    """The division `code` (a code or prefix) if the user sees appeals there; Http404 when malformed,
    unknown or outside their jurisdiction (answered alike, so nothing leaks)."""
    padded = pad_code(code or "")
    if not padded or not covers(prefixes_for(user, AppealsPerm.VIEW), padded):
        raise Http404
    division = Division.objects.filter(code=padded).first()
    if division is None:
        raise Http404
    return division


def report_breadcrumbs(*, user: Any, division: Division) -> list[Division]:
    """The visible divisions above `division` (its ancestors inside the jurisdiction), top first."""
    from shegong.divisions.selectors import division_ancestors

    prefixes = prefixes_for(user, AppealsPerm.VIEW)
    return [d for d in division_ancestors(division) if covers(prefixes, d.code)]


def appeal_for_exclusion(*, user: Any, tracking_no: str) -> Appeal:
    """An appeal the user may see, by tracking number; Http404 otherwise."""
    appeal = appeals_visible_to(user=user).filter(tracking_no=normalise_tracking_no(tracking_no)).first()
    if appeal is None:
        raise Http404
    return appeal


def exclusions_visible_to(*, user: Any, division: Division | None = None) -> QuerySet[RateExclusion]:
    """Exclusions of the appeals `user` may see (in `division`'s subtree when given), newest first."""
    appeals = appeals_visible_to(user=user, division_prefix=division.prefix if division else None)
    return (
        RateExclusion.objects.filter(appeal__in=appeals.values("pk"))
        .select_related("appeal", "appeal__unit", "appeal__category", "appeal__division", "by")
        .order_by("-at", "-pk")
    )
