"""Scoped reads for the Open311 endpoints.

Who reads what is the appeals API's rule: a key of staff holding `appeals:appeal:view` reads the appeals of
its jurisdiction (`appeals_visible_to`), a platform enterprise's key (`appeals:appeal:file`) only the appeals
it filed (`appeals_filed_by`); a key holding neither reads nothing (403). An appeal outside that is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from shegong.appeals.choices import OPEN_STATES, AppealsPerm
from shegong.appeals.models import Appeal, AppealEvent
from shegong.appeals.selectors import appeals_filed_by, appeals_visible_to
from shegong.appeals.tracking import normalise_tracking_no
from shegong.core.scoping import prefixes_for
from shegong.divisions import codes
from shegong.divisions.models import Division
from shegong.divisions.selectors import pad_code
from shegong.open311.render import Open311Error

# The spec's response volume: at most 90 days and the first 1,000 requests, whichever is smaller.
MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)


def jurisdiction(value: str | None) -> Division | None:
    """The division a `jurisdiction_id` names (a division code or its 2/4/6/9-digit prefix); None when it
    is not given, 404 when no division has it."""
    value = (value or "").strip()
    if not value:
        return None
    code = pad_code(value)
    division = Division.objects.filter(code=code).first() if code else None
    if division is None:
        raise Open311Error(
            404,
            _("jurisdiction_id {value} was not found; give a division code such as 210105.").format(
                value=value[:20]
            ),
        )
    return division


def prefix_of(division: Division) -> str:
    return division.code[: codes.level_of(division.code)]


def readable_appeals(user: Any) -> tuple[Any, list[str]]:
    """The appeals this key's account may read, and the division prefixes that scope covers."""
    view = prefixes_for(user, AppealsPerm.VIEW)
    if view:
        return appeals_visible_to(user=user), view
    filed = prefixes_for(user, AppealsPerm.FILE)
    if filed:
        return appeals_filed_by(user=user), filed
    raise Open311Error(403, _("This api_key may not read service requests."))


def _in_jurisdiction(qs: Any, prefixes: list[str], division: Division | None) -> Any:
    """Narrow to the jurisdiction's subtree; one that does not meet the caller's scope is a 404, as a list
    division is in the appeals API."""
    if division is None:
        return qs
    prefix = prefix_of(division)
    if not any(p.startswith(prefix) or prefix.startswith(p) for p in prefixes):
        raise Open311Error(404, _("jurisdiction_id {value} was not found.").format(value=division.code))
    return qs.in_subtree(prefix)


def _for_output(qs: Any) -> Any:
    # The phone stays encrypted in the database: nothing here shows it. The latest timeline entry gives
    # updated_datetime without a query per request.
    last_event = AppealEvent.objects.filter(appeal=OuterRef("pk")).order_by("-at", "-pk").values("at")[:1]
    return qs.defer("phone").annotate(last_event_at=Subquery(last_event))


def request_for(*, user: Any, request_id: str, division: Division | None) -> Appeal:
    qs, prefixes = readable_appeals(user)
    appeal: Appeal | None = (
        _for_output(_in_jurisdiction(qs, prefixes, division))
        .filter(tracking_no=normalise_tracking_no(request_id))
        .first()
    )
    if appeal is None:
        # the same answer whether it does not exist or is outside the key's scope
        raise Open311Error(404, _("No such service_request_id."))
    return appeal


@dataclass(frozen=True)
class RequestsQuery:
    """GET requests' parameters, parsed (forms.parse_requests_query)."""

    ids: list[str] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: frozenset[str] = frozenset()


def requests_for(*, user: Any, query: RequestsQuery, division: Division | None) -> list[Appeal]:
    """Newest first, at most MAX_RESULTS. Ids override every other parameter (the spec's rule); otherwise
    the window [start, end] applies (forms fills in the spec's default: the most recent 90 days)."""
    qs, prefixes = readable_appeals(user)
    qs = _in_jurisdiction(qs, prefixes, division)
    if query.ids:
        qs = qs.filter(tracking_no__in=[normalise_tracking_no(i) for i in query.ids])
    else:
        if query.category_ids:
            qs = qs.filter(category_id__in=query.category_ids)
        if query.start is not None:
            qs = qs.filter(submitted_at__gte=query.start)
        if query.end is not None:
            qs = qs.filter(submitted_at__lte=query.end)
        if query.statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif query.statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    return list(_for_output(qs).order_by("-submitted_at", "-pk")[:MAX_RESULTS])
