"""The closed loop along the main line: every step leaves a timeline entry, an audit row and the worker's
notifications in the outbox."""

from __future__ import annotations

import pytest
from django.db import connection

from shegong.appeals import services as s
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Satisfaction, State
from shegong.appeals.models import Appeal
from shegong.appeals.selectors import appeal_timeline
from shegong.core import pii
from shegong.core.models import AuditEvent, OutboxMessage
from tests.appeals.conftest import PHONE, Actors

pytestmark = pytest.mark.django_db


def test_submit_to_closed_satisfied(actors: Actors) -> None:
    world = actors.world
    appeal = actors.submit()
    assert appeal.state == State.SUBMITTED
    assert appeal.phone == PHONE
    # the phone is stored encrypted and findable by its blind index only
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM appeals_appeal WHERE id = %s", [appeal.pk])
        (raw,) = cursor.fetchone()
    assert raw
    assert PHONE not in raw
    assert Appeal.all_objects.filter(phone_hash=pii.blind_index("phone", PHONE)).get() == appeal

    appeal = s.appeal_accept(appeal=appeal, actor=actors.intake)
    appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=world.home_unit)
    assert appeal.sign_due_at is not None
    appeal = s.appeal_sign_for(appeal=appeal, actor=actors.handler)
    assert appeal.contact_due_at is not None
    assert appeal.handle_due_at is not None
    appeal = s.appeal_record_contact(appeal=appeal, actor=actors.handler, note="电话联系了骑手")
    appeal = s.appeal_reply(appeal=appeal, actor=actors.handler, text="站点已承诺周五前结清。", resolved=True)
    assert appeal.revisit_due_at is not None
    appeal = s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED, comment="谢谢")

    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED
    assert appeal.resolved is True
    assert appeal.satisfaction == Satisfaction.SATISFIED
    for stamp in ("accepted_at", "dispatched_at", "signed_at", "first_contact_at", "replied_at", "closed_at"):
        assert getattr(appeal, stamp) is not None, stamp
    assert appeal.version == 6

    timeline = appeal_timeline(appeal=appeal)
    assert [(e.action, e.from_state, e.to_state) for e in timeline] == [
        ("submit", "", State.SUBMITTED),
        ("accept", State.SUBMITTED, State.ACCEPTED),
        ("dispatch", State.ACCEPTED, State.DISPATCHED),
        ("sign_for", State.DISPATCHED, State.IN_PROGRESS),
        ("record_contact", State.IN_PROGRESS, State.IN_PROGRESS),
        ("reply", State.IN_PROGRESS, State.REPLIED),
        ("rate", State.REPLIED, State.CLOSED),
    ]
    assert timeline[1].actor == actors.intake
    assert timeline[-1].actor is None
    assert timeline[-1].actor_label == "worker"

    audit_actions = list(
        AuditEvent.objects.filter(target_id=str(appeal.pk), target_type="appeals.appeal")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert audit_actions == [
        AppealsAction.SUBMITTED,
        AppealsAction.ACCEPTED,
        AppealsAction.DISPATCHED,
        AppealsAction.SIGNED_FOR,
        AppealsAction.CONTACTED,
        AppealsAction.REPLIED,
        AppealsAction.RATED,
    ]
    assert AuditEvent.objects.filter(action=AppealsAction.SUBMITTED).get().division_code == (
        world.home_community.code
    )

    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [(m.channel, m.template) for m in messages] == [
        ("sms", "appeals.received"),
        ("in_app", "appeals.unit_new"),
        ("sms", "appeals.signed"),
        ("sms", "appeals.replied"),
    ]
    assert messages[0].context["number"] == appeal.tracking_no
    assert pii.decrypt(messages[0].recipient) == PHONE
    assert messages[1].recipient == f"unit:{world.home_unit.pk}"


def test_submit_validates_text(actors: Actors) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as empty:
        actors.submit(text="   ")
    assert "text" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        actors.submit(text="欠" * 4001)
    assert "text" in long.value.message_dict
    assert actors.submit(text="欠" * 4000).state == State.SUBMITTED
    assert Appeal.all_objects.count() == 1
    assert not OutboxMessage.objects.filter(template="appeals.received").count() > 1


def test_reject_tells_the_worker_why(actors: Actors) -> None:
    appeal = actors.appeal_in(State.REJECTED)
    assert appeal.state == State.REJECTED
    assert appeal.closed_at is not None
    sms = OutboxMessage.objects.get(template="appeals.rejected")
    assert sms.context["reason"] == "与新就业群体无关"
