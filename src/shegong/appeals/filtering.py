"""The filters shared by the desk lists, the API list and the exports: one dataclass, one function.

    f = AppealFilter(queue=Queue.OVERDUE, category_id=3, q="欠薪")
    qs = apply_filter(appeals_visible_to(user=request.user), f)

Every field is optional; an empty filter is "everything the caller may see". Dates are local dates of
`submitted_at` (inclusive).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import OPEN_STATES, State
from shegong.appeals.models import Appeal
from shegong.appeals.tracking import ALPHABET, GROUP_LEN, GROUPS, normalise_tracking_no
from shegong.core import pii
from shegong.core.scoping import ScopedQuerySet


class Queue(models.TextChoices):
    """Work lists by role: intake (待受理/待派单), a unit (待签收/办理中), everyone (超期)."""

    TO_ACCEPT = "to_accept", _("Awaiting acceptance")
    TO_DISPATCH = "to_dispatch", _("Awaiting dispatch")
    TO_SIGN = "to_sign", _("Awaiting sign-for")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Awaiting rating")
    OVERDUE = "overdue", _("Overdue")
    SUPERVISED = "supervised", _("Under supervision")
    OPEN = "open", _("All open")
    CLOSED = "closed", _("Finished")


_QUEUE_STATES = {
    Queue.TO_ACCEPT: [State.SUBMITTED],
    Queue.TO_DISPATCH: [State.ACCEPTED],
    Queue.TO_SIGN: [State.DISPATCHED],
    Queue.IN_PROGRESS: [State.IN_PROGRESS],
    Queue.REPLIED: [State.REPLIED],
    Queue.OPEN: sorted(OPEN_STATES),
    Queue.CLOSED: [State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN],
}


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Open appeals whose running clock has run out: not signed for, not contacted, not replied, not
    revisited in time."""
    now = now or timezone.now()
    return (
        Q(state=State.DISPATCHED, sign_due_at__lt=now)
        | Q(state=State.IN_PROGRESS, handle_due_at__lt=now)
        | Q(state=State.IN_PROGRESS, first_contact_at__isnull=True, contact_due_at__lt=now)
        | Q(state=State.REPLIED, revisit_due_at__lt=now)
    )


@dataclass(frozen=True)
class AppealFilter:
    queue: str = ""
    states: tuple[str, ...] = ()
    category_id: int | None = None
    division_prefix: str = ""
    unit_id: int | None = None
    urgency: str = ""
    overdue: bool = False
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""


def _looks_like_tracking_no(text: str) -> bool:
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return len(raw) == GROUPS * GROUP_LEN and all(ch in ALPHABET for ch in raw)


def _search_q(text: str) -> Q:
    text = text.strip()
    q = Q(text__icontains=text)
    if _looks_like_tracking_no(text):
        q |= Q(tracking_no=normalise_tracking_no(text))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        q |= pii.pii_match("phone_hash", pii.PIIKind.PHONE, digits)  # an operator looking up a caller
    return q


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def apply_filter(
    qs: ScopedQuerySet[Appeal], f: AppealFilter, *, now: dt.datetime | None = None
) -> ScopedQuerySet[Appeal]:
    """`qs` narrowed by every field of `f` that is set."""
    now = now or timezone.now()
    if f.queue == Queue.OVERDUE:
        qs = qs.filter(overdue_q(now))
    elif f.queue == Queue.SUPERVISED:
        qs = qs.filter(supervised=True, state__in=sorted(OPEN_STATES))
    elif f.queue in _QUEUE_STATES:
        qs = qs.filter(state__in=_QUEUE_STATES[Queue(f.queue)])
    if f.states:
        qs = qs.filter(state__in=list(f.states))
    if f.category_id is not None:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.division_prefix:
        qs = qs.in_subtree(f.division_prefix)
    if f.unit_id is not None:
        qs = qs.filter(unit_id=f.unit_id)
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.overdue:
        qs = qs.filter(overdue_q(now))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.date_from:
        qs = qs.filter(submitted_at__gte=_local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(submitted_at__lt=_local_midnight(f.date_to + dt.timedelta(days=1)))
    if f.q.strip():
        qs = qs.filter(_search_q(f.q))
    return qs
