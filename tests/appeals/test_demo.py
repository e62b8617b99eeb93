"""The demo appeals: a working centre's worth of consistent history, and a second run that changes nothing.

The demo is seeded once for the module (inside a transaction rolled back at the end); every test reads it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.accounts.models import Grant
from shegong.appeals.choices import (
    AppealsPerm,
    AppealType,
    Channel,
    Clock,
    ExtensionStatus,
    Satisfaction,
    SlaStage,
    State,
    Urgency,
    WorkerType,
)
from shegong.appeals.demo import APPEALS, DAYS, demo_tracking_numbers
from shegong.appeals.limits import due
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    DispatchRule,
    ExtensionRequest,
    RateExclusion,
    ReturnRecord,
    SlaMark,
    Supervision,
)
from shegong.appeals.routing import route
from shegong.appeals.selectors import appeals_visible_to
from shegong.appeals.services import common as c
from shegong.core.pii import pii_match
from shegong.divisions.models import Division
from shegong.ops.demo_data import DEMO_DISTRICTS, seed_demo

pytestmark = pytest.mark.django_db

OPEN = [State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.REPLIED]


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        yield
        transaction.set_rollback(True)


def _appeals() -> list[Appeal]:
    return list(Appeal.all_objects.select_related("category", "unit").order_by("pk"))


def _checksum() -> dict[str, Any]:
    """Row counts of every table the demo writes and a hash over the appeals' key fields and events."""
    digest = hashlib.sha256()
    fields = (
        "tracking_no",
        "state",
        "unit_id",
        "category_id",
        "division_id",
        "text",
        "submitted_at",
        "dispatched_at",
        "signed_at",
        "replied_at",
        "closed_at",
        "handle_due_at",
        "satisfaction",
        "redo_count",
        "merged_into_id",
        "version",
        "phone_hash",
    )
    for row in Appeal.all_objects.order_by("pk").values_list(*fields):
        digest.update(repr(row).encode())
    for row in AppealEvent.objects.order_by("pk").values_list(
        "appeal_id", "at", "action", "actor_label", "note"
    ):
        digest.update(repr(row).encode())
    models = (
        Appeal,
        AppealEvent,
        ReturnRecord,
        ExtensionRequest,
        Supervision,
        SlaMark,
        RateExclusion,
        DispatchRule,
    )
    counts = {m.__name__: m._default_manager.count() for m in models}
    return {"counts": counts, "hash": digest.hexdigest()}


def test_every_state_category_channel_urgency_and_district_is_there() -> None:
    appeals = _appeals()
    assert len(appeals) == APPEALS
    assert {a.state for a in appeals} == set(State.values)
    assert {a.category.code for a in appeals} == set(
        Category.objects.filter(parent__isnull=True).values_list("code", flat=True)
    )
    assert {a.channel for a in appeals} == set(Channel.values)
    assert {a.appeal_type for a in appeals} == set(AppealType.values)
    assert {a.worker_type for a in appeals} == set(WorkerType.values)
    assert {a.division_id[:6] for a in appeals} == {code[:6] for code in DEMO_DISTRICTS}
    assert {"美团", "饿了么", "顺丰", "京东", "滴滴", "货拉拉", "闪送", "达达"} <= {
        a.platform for a in appeals
    }
    channels = Counter(a.channel for a in appeals)
    assert channels.most_common(1)[0][0] == Channel.H5
    urgent = sum(a.urgency == Urgency.URGENT for a in appeals) / len(appeals)
    assert 0.05 <= urgent <= 0.15
    # mostly closed, and the open ones recent
    states = Counter(a.state for a in appeals)
    assert states[State.CLOSED] > 0.75 * len(appeals)
    now = timezone.now()
    assert all((now - a.submitted_at).days <= DAYS for a in appeals)
    open_ages = sorted((now - a.submitted_at).days for a in appeals if a.state in OPEN)
    assert open_ages[len(open_ages) // 2] <= 10  # the median open appeal is days old, not months


def test_texts_are_varied_natural_and_addresses_real() -> None:
    appeals = _appeals()
    texts = Counter(a.text for a in appeals)
    assert len(texts) >= 1000
    assert texts.most_common(1)[0][1] <= 5
    assert all(not any(mark in a.text for mark in "{}") for a in appeals)  # every placeholder was filled
    hotline = [a.text for a in appeals if a.channel == Channel.HOTLINE]
    assert all("来电" in t and "诉求：" in t for t in hotline)  # the operator's third person
    assert sum(bool(a.address) for a in appeals) > 0.9 * len(appeals)
    assert all(
        a.address.startswith(("沈阳市皇姑区", "南宁市青秀区", "呼和浩特市新城区"))
        for a in appeals
        if a.address
    )
    replies = {a.reply_text for a in appeals if a.reply_text}
    assert len(replies) >= 60


def test_phones_are_encrypted_well_formed_and_some_workers_file_again() -> None:
    phones = Counter(a.phone for a in _appeals())
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)
    regular = phones.most_common(1)[0][0]
    assert phones[regular] >= 2
    assert Appeal.all_objects.filter(pii_match("phone_hash", "phone", regular)).count() == phones[regular]


def test_timelines_are_ordered_and_consistent() -> None:
    now = timezone.now()
    events: dict[int, list[AppealEvent]] = defaultdict(list)
    for event in AppealEvent.objects.order_by("appeal_id", "at", "pk"):
        events[event.appeal_id].append(event)
    for appeal in _appeals():
        timeline = events[appeal.pk]
        first = timeline[0]
        assert (first.action, first.from_state, first.to_state) == (c.SUBMIT, "", State.SUBMITTED)
        assert first.at == appeal.submitted_at
        for before, after in itertools.pairwise(timeline):
            assert after.from_state == before.to_state, (appeal.tracking_no, before.action, after.action)
            assert after.at >= before.at
        assert timeline[-1].to_state == appeal.state, appeal.tracking_no
        assert timeline[-1].at <= now
        chain = [appeal.submitted_at, appeal.accepted_at, appeal.dispatched_at, appeal.signed_at]
        chain += [appeal.replied_at, appeal.closed_at]
        present = [t for t in chain if t is not None]
        assert present == sorted(present), appeal.tracking_no
        if appeal.state == State.CLOSED:
            assert appeal.closed_at >= appeal.replied_at >= appeal.signed_at >= appeal.dispatched_at
        if appeal.state in (State.DISPATCHED, State.IN_PROGRESS, State.REPLIED, State.CLOSED):
            assert appeal.unit_id is not None
            assert appeal.dispatched_at is not None
        if appeal.state in (State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN):
            assert appeal.closed_at is not None
        else:
            assert appeal.closed_at is None
        if appeal.state in (State.REJECTED, State.WITHDRAWN):
            assert appeal.close_reason
        if appeal.state == State.MERGED:
            assert appeal.merged_into_id is not None
            assert timeline[-1].note == appeal.merged_into.tracking_no
        if appeal.state == State.CLOSED and appeal.satisfaction:
            assert appeal.resolved is True
        # the version counts the transitions the services recorded (the filing and the sweep's notices
        # are not transitions)
        recorded = [
            e for e in timeline if e.action not in {c.SUBMIT, "sla_warning", "sla_reminder", "sla_urge"}
        ]
        assert appeal.version == len(recorded)


def test_deadlines_are_the_time_limits_applied_to_the_events() -> None:
    checked = 0
    for appeal in _appeals()[::10]:
        if appeal.state == State.DISPATCHED:
            expected = due(
                clock=Clock.SIGN_FOR,
                urgency=appeal.urgency,
                category=appeal.category,
                start=appeal.dispatched_at,
            )
            assert appeal.sign_due_at == expected
            checked += 1
        if appeal.signed_at is not None and not appeal.redo_count and not appeal.extension_used:
            expected = due(
                clock=Clock.HANDLE, urgency=appeal.urgency, category=appeal.category, start=appeal.signed_at
            )
            assert appeal.handle_due_at == expected, appeal.tracking_no
            contact = due(
                clock=Clock.FIRST_CONTACT,
                urgency=appeal.urgency,
                category=appeal.category,
                start=appeal.signed_at,
            )
            assert appeal.contact_due_at == contact
            checked += 1
        if appeal.replied_at is not None and appeal.state in (State.REPLIED, State.CLOSED):
            expected = due(
                clock=Clock.REVISIT, urgency=appeal.urgency, category=appeal.category, start=appeal.replied_at
            )
            assert appeal.revisit_due_at == expected
    assert checked > 200


def test_side_exits_returns_extensions_supervision_redo_ratings_and_exclusions() -> None:
    appeals = _appeals()
    returns = list(ReturnRecord.objects.all())
    assert len(returns) >= 50
    assert len({r.reason for r in returns}) == 4
    assert all(r.note for r in returns)
    assert AppealEvent.objects.filter(action=c.RETURN).count() == len(returns)
    extensions = Counter(ExtensionRequest.objects.values_list("status", flat=True))
    assert extensions[ExtensionStatus.APPROVED] >= 20
    assert extensions[ExtensionStatus.REFUSED] >= 1
    assert all(a.extension_used for a in Appeal.all_objects.filter(extension_requests__isnull=False))
    supervisions = list(Supervision.objects.all())
    assert any(s.by_id is not None for s in supervisions)  # the leader's 督办
    assert any(s.by_id is None for s in supervisions)  # the sweep's
    assert all(s.deadline and s.level_id for s in supervisions)
    assert all(a.supervised for a in Appeal.all_objects.filter(supervisions__isnull=False))
    assert Counter(a.redo_count for a in appeals)[1] >= 30
    assert any(a.redo_count == 2 for a in appeals)
    closed = [a for a in appeals if a.state == State.CLOSED]
    ratings = Counter(a.satisfaction for a in closed)
    assert ratings[Satisfaction.SATISFIED] > ratings[Satisfaction.BASICALLY_SATISFIED] > 0
    assert ratings[""] > 0.05 * len(closed)  # closed without a rating (未评价)
    assert AppealEvent.objects.filter(action=c.REDO).count() >= 30  # 不满意 / 未解决 sent back
    assert 3 <= RateExclusion.objects.count() <= 20
    assert all(x.appeal.state == State.CLOSED for x in RateExclusion.objects.select_related("appeal"))
    merged = [a for a in appeals if a.state == State.MERGED]
    assert len(merged) >= 10
    for appeal in merged:
        target = appeal.merged_into
        assert target.state != State.MERGED
        assert target.submitted_at < appeal.submitted_at
        assert target.closed_at is None or target.closed_at > appeal.closed_at
    marks = Counter(SlaMark.objects.values_list("stage", flat=True))
    assert set(marks) == set(SlaStage.values)


def test_some_units_are_reliably_on_time_and_some_reliably_late() -> None:
    replies: dict[str, list[bool]] = defaultdict(list)
    for name, replied, handle_due in (
        Appeal.all_objects.filter(redo_count=0, replied_at__isnull=False)
        .values_list("unit__name", "replied_at", "handle_due_at")
        .iterator()
    ):
        replies[name].append(replied <= handle_due)
    busy = {name: sum(v) / len(v) for name, v in replies.items() if len(v) >= 20}
    assert sum(share >= 0.95 for share in busy.values()) >= 5
    assert sum(share <= 0.5 for share in busy.values()) >= 2
    overdue = Appeal.all_objects.filter(state=State.IN_PROGRESS, handle_due_at__lt=timezone.now())
    assert overdue.count() >= 3
    late_sign = Appeal.all_objects.filter(signed_at__gt=F("sign_due_at")).count()
    assert late_sign > 0


def test_dispatch_rules_route_every_category_in_every_district() -> None:
    categories = list(Category.objects.filter(parent__isnull=True))
    for code in DEMO_DISTRICTS:
        community = Division.objects.filter(code__startswith=code[:6], level=12).order_by("code").first()
        for category in categories:
            unit = route(division=community, category=category)
            assert unit is not None, (code, category.code)
            assert unit.division_id.startswith(code[:6]), (code, category.code)
    hrss = route(division=community, category=Category.objects.get(code="WAGE"))
    assert "人力资源和社会保障局" in hrss.name
    office = route(division=community, category=Category.objects.get(code="ACCESS"))
    assert office.unit_type == "street_office"
    assert community.code.startswith(office.division.prefix)


def test_the_demo_accounts_find_work_in_their_queues() -> None:
    intake = Grant.objects.get(user__username="demo_intake", role=Role.INTAKE).user
    for state in (State.SUBMITTED, State.ACCEPTED):
        assert appeals_visible_to(user=intake, states=[state]).count() >= 3, state
    handler_grant = Grant.objects.select_related("user").get(user__username="demo_handler", role=Role.HANDLER)
    handler = handler_grant.user
    mine = appeals_visible_to(user=handler, perm=AppealsPerm.HANDLE)
    for state, least in ((State.DISPATCHED, 3), (State.IN_PROGRESS, 3), (State.REPLIED, 2)):
        assert mine.filter(state=state).count() >= least, state
    assert all(a.unit_id == handler_grant.unit_id for a in mine)
    # the handler's own actions appear in the history under their account
    assert AppealEvent.objects.filter(actor=handler, action=c.SIGN_FOR).exists()


def test_the_demo_tracking_numbers_are_fixed_and_a_second_run_changes_nothing() -> None:
    numbers = demo_tracking_numbers()
    assert numbers == demo_tracking_numbers()
    assert len(set(numbers)) == APPEALS
    assert set(Appeal.all_objects.values_list("tracking_no", flat=True)) == set(numbers)
    before = _checksum()
    seed_demo()
    assert _checksum() == before
