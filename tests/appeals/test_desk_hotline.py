"""A hotline operator files an appeal for a caller: hotline channel, phone typed without a code, the operator
as filer and actor, one appeal per form even when submitted twice, and refusals that write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from shegong.accounts.choices import Role
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.models import AuditEvent, OutboxMessage
from tests.appeals.test_desk_support import client_for, detail_url
from tests.support.world import World

pytestmark = pytest.mark.django_db
URL = "/desk/appeals/hotline/new/"


def _form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "phone": "139-1234-5678",
        "text": "来电：站点扣押押金不退。",
        "division": world.home_community.code,
        "address": "测试路8号",
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.COURIER,
        "platform": "顺丰",
        "category": "",
        "urgency": "normal",
        "form_token": "token-1",
    }
    data.update(overrides)
    return data


def test_operator_files_for_a_caller(world: World) -> None:
    operator = world.user(Role.INTAKE)
    client = client_for(operator)
    assert 'data-testid="hotline-form"' in client.get(URL).content.decode()
    response = client.post(URL, _form(world))
    appeal = Appeal.all_objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(appeal)
    assert (appeal.channel, appeal.state, appeal.phone) == (Channel.HOTLINE, State.SUBMITTED, "13912345678")
    assert appeal.filed_by == operator
    assert AppealEvent.objects.get(appeal=appeal).actor == operator
    assert AuditEvent.objects.filter(actor=operator, action="appeals.appeal.submitted").exists()
    message = " ".join(str(m) for m in response.wsgi_request._messages)
    assert appeal.tracking_no in message


def test_double_submit_files_once(world: World) -> None:
    client = client_for(world.user(Role.INTAKE))
    first = client.post(URL, _form(world))
    second = client.post(URL, _form(world))
    assert Appeal.all_objects.count() == 1
    assert first["Location"] == second["Location"]
    reused = client.post(URL, _form(world, text="另一通电话"))
    assert reused.status_code == 400
    assert 'data-testid="form-error"' in reused.content.decode()
    assert Appeal.all_objects.count() == 1


def test_invalid_input_writes_nothing(world: World) -> None:
    client = client_for(world.user(Role.INTAKE))
    response = client.post(URL, _form(world, phone="12345", text="   "))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="field-error-phone"' in html
    assert 'data-testid="field-error-text"' in html
    assert not Appeal.all_objects.exists()


def test_division_outside_the_operators_area_is_refused(world: World) -> None:
    client = client_for(world.user(Role.INTAKE))
    before = AuditEvent.objects.count()
    response = client.post(URL, _form(world, division=world.away_street.code))
    assert response.status_code == 400
    assert 'data-testid="field-error-division"' in response.content.decode()
    assert not Appeal.all_objects.exists()
    assert AuditEvent.objects.count() == before


def test_anonymous_caller(world: World) -> None:
    client_for(world.user(Role.INTAKE)).post(URL, _form(world, anonymous="on"))
    assert Appeal.all_objects.get().anonymous


def test_only_intake_may_file(world: World) -> None:
    client = client_for(world.user(Role.LEADER))
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form(world)).status_code == 403
    assert not Appeal.all_objects.exists()


def test_the_caller_gets_the_tracking_number_by_sms(world: World) -> None:
    client_for(world.user(Role.INTAKE)).post(URL, _form(world))
    assert OutboxMessage.objects.filter(channel="sms", template="appeals.received").count() == 1
