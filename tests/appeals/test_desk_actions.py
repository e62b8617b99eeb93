"""Every action form of the detail page: the happy path (state, records, message), a refusal in the wrong
state with the Chinese conflict message, a stale form, bad input, and who is offered which form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import Channel, ExtensionStatus, ReturnReason, State, Urgency
from shegong.appeals.models import Appeal, AppealEvent, ExtensionRequest, ReturnRecord, Supervision
from shegong.divisions.models import Unit
from tests.appeals.test_desk_support import action_url, client_for, detail_url, drive, handler_of
from tests.support.world import World

pytestmark = pytest.mark.django_db


def _post(client: Client, appeal: Appeal, slug: str, **data: Any) -> Any:
    data.setdefault("version", appeal.version)
    return client.post(action_url(appeal, slug), data)


def _fresh(appeal: Appeal) -> Appeal:
    return Appeal.all_objects.get(pk=appeal.pk)


def chinese(client: Client) -> Client:
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]  # the default language
    return client


def _message(response: Any) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


@pytest.fixture
def intake(world: World) -> Client:
    return client_for(world.user(Role.INTAKE))


@pytest.fixture
def handler(world: World) -> Client:
    return client_for(handler_of(world, world.home_unit))


@pytest.fixture
def leader(world: World) -> Client:
    return client_for(world.user(Role.LEADER))


# --- happy paths -------------------------------------------------------------------------------------------
def test_accept_with_corrected_category_and_urgency(world: World, intake: Client) -> None:
    from shegong.appeals.models import Category

    appeal = drive(world, world.home_street, State.SUBMITTED)
    wage = Category.objects.get(code="WAGE")
    response = _post(intake, appeal, "accept", category=wage.pk, urgency=Urgency.URGENT)
    assert response.status_code == 302
    assert response["Location"] == detail_url(appeal)
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.category_id, appeal.urgency) == (State.ACCEPTED, wage.pk, Urgency.URGENT)
    assert "accepted" in _message(response)


def test_reject_needs_a_reason_and_closes(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    empty = _post(intake, appeal, "reject", reason="  ")
    assert empty.status_code == 400
    assert 'data-testid="field-error"' in empty.content.decode()
    assert _fresh(appeal).state == State.SUBMITTED
    assert _post(intake, appeal, "reject", reason="与新就业群体无关").status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.close_reason) == (State.REJECTED, "与新就业群体无关")


def test_dispatch_preselects_the_catalogue_unit_and_sends_it(world: World, intake: Client) -> None:
    from shegong.appeals.catalogue import dispatch_rule_set

    street_unit = Unit.all_objects.create(name="测试街道办", unit_type="other", division=world.home_street)
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    dispatch_rule_set(actor=admin, division=world.home, category=None, unit=street_unit, replaces=None)
    appeal = drive(world, world.home_street, State.ACCEPTED)
    page = intake.get(detail_url(appeal)).content.decode()
    assert f'<option value="{street_unit.pk}" selected>' in page
    response = _post(intake, appeal, "dispatch", unit=street_unit.pk, note="请尽快签收")
    assert response.status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.unit_id) == (State.DISPATCHED, street_unit.pk)
    assert "测试街道办" in _message(response)


def test_redispatch_to_the_same_unit_is_a_form_error(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED)
    # the current unit is not offered for 转派; posting it anyway is refused by the form
    response = _post(intake, appeal, "dispatch", unit=world.home_unit.pk)
    assert response.status_code == 400
    assert _fresh(appeal).version == appeal.version


def test_handler_signs_for_contacts_and_replies(world: World, handler: Client) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED)
    assert _post(handler, appeal, "sign-for").status_code == 302
    appeal = _fresh(appeal)
    assert appeal.state == State.IN_PROGRESS
    assert _post(handler, appeal, "contact", note="电话联系了骑手").status_code == 302
    appeal = _fresh(appeal)
    assert appeal.first_contact_at is not None
    response = _post(handler, appeal, "reply", text="站点已补发配送费。", resolved="yes")
    assert response.status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.reply_text) == (State.REPLIED, "站点已补发配送费。")


def test_return_with_reason(world: World, handler: Client) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED)
    other = _post(handler, appeal, "return", reason=ReturnReason.OTHER, note="")
    assert other.status_code == 400  # "other" needs an explanation (the service says so)
    assert not ReturnRecord.objects.exists()
    assert _post(handler, appeal, "return", reason=ReturnReason.WRONG_PLACE, note="").status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.unit_id) == (State.ACCEPTED, None)
    assert ReturnRecord.objects.get().reason == ReturnReason.WRONG_PLACE


def test_extension_request_then_supervisor_approves(world: World, handler: Client, leader: Client) -> None:
    appeal = drive(world, world.home_street, State.IN_PROGRESS)
    before = appeal.handle_due_at
    assert _post(handler, appeal, "request-extension", days=11, reason="x").status_code == 400
    assert _post(handler, appeal, "request-extension", days=3, reason="需协调平台总部").status_code == 302
    appeal = _fresh(appeal)
    assert 'data-testid="action-request-extension"' not in handler.get(detail_url(appeal)).content.decode()
    assert 'data-testid="action-decide-extension"' in leader.get(detail_url(appeal)).content.decode()
    assert _post(leader, appeal, "decide-extension", decision="approve", note="同意").status_code == 302
    assert ExtensionRequest.objects.get().status == ExtensionStatus.APPROVED
    assert _fresh(appeal).handle_due_at > before
    # decided: the form is gone, and posting it again is a conflict
    assert 'data-testid="action-decide-extension"' not in leader.get(detail_url(appeal)).content.decode()
    again = _post(leader, _fresh(appeal), "decide-extension", decision="refuse")
    assert again.status_code == 409


def test_supervise_with_deadline(world: World, leader: Client) -> None:
    appeal = drive(world, world.home_street, State.IN_PROGRESS)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _post(leader, appeal, "supervise", note="请两日内答复", deadline=past).status_code == 400
    soon = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert _post(leader, appeal, "supervise", note="请两日内答复", deadline=soon).status_code == 302
    supervision = Supervision.objects.get()
    assert supervision.deadline is not None
    assert supervision.note == "请两日内答复"
    assert _fresh(appeal).supervised


def test_merge_into_an_open_appeal_by_number_typed_loosely(world: World, intake: Client) -> None:
    original = drive(world, world.home_street, State.DISPATCHED)
    appeal = drive(world, world.home_street, State.SUBMITTED)
    page = intake.get(detail_url(appeal)).content.decode()
    assert f'<option value="{original.tracking_no}">' in page  # the picker suggests it
    outside = drive(world, world.away_street, State.ACCEPTED)
    refused = _post(intake, appeal, "merge", into=outside.tracking_no)
    assert refused.status_code == 400
    assert outside.tracking_no not in refused.content.decode().split('id="merge-candidates"')[1]
    typed = original.tracking_no.replace("-", "").lower()
    assert _post(intake, appeal, "merge", into=typed).status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.merged_into_id) == (State.MERGED, original.pk)


def test_rate_on_behalf_of_a_hotline_caller_records_the_operator(world: World) -> None:
    operator = world.user(Role.INTAKE)
    appeal = drive(world, world.home_street, State.REPLIED, channel=Channel.HOTLINE)
    response = _post(client_for(operator), appeal, "rate", resolved="yes", satisfaction="satisfied")
    assert response.status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.resolved, appeal.satisfaction) == (State.CLOSED, True, "satisfied")
    assert AppealEvent.objects.filter(appeal=appeal, action="rate").get().actor == operator


def test_dissatisfied_rating_sends_it_back_for_redo(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.REPLIED, channel=Channel.HOTLINE)
    assert _post(intake, appeal, "rate", resolved="no", satisfaction="dissatisfied").status_code == 302
    appeal = _fresh(appeal)
    assert (appeal.state, appeal.redo_count) == (State.IN_PROGRESS, 1)


def test_rating_an_online_appeal_is_not_for_the_desk(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.REPLIED)  # filed on H5: the worker rates it
    assert 'data-testid="action-rate"' not in intake.get(detail_url(appeal)).content.decode()
    response = _post(intake, appeal, "rate", resolved="yes", satisfaction="satisfied")
    assert response.status_code == 403
    assert _fresh(appeal).state == State.REPLIED


def test_withdraw_on_the_workers_word(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.IN_PROGRESS)
    assert _post(intake, appeal, "withdraw", reason="已自行解决").status_code == 302
    assert _fresh(appeal).state == State.WITHDRAWN


# --- refusals ----------------------------------------------------------------------------------------------
def test_wrong_state_shows_the_chinese_conflict_message_and_writes_nothing(world: World) -> None:
    client = chinese(client_for(world.user(Role.INTAKE)))
    appeal = drive(world, world.home_street, State.ACCEPTED)
    events = AppealEvent.objects.count()
    response = _post(client, appeal, "accept", urgency=Urgency.NORMAL)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="action-error"' in html
    assert "该诉求当前状态为“待派单”，无法执行此操作。" in html
    assert AppealEvent.objects.count() == events
    assert _fresh(appeal).version == appeal.version


def test_stale_form_is_a_conflict_asking_to_reload(world: World, intake: Client) -> None:
    chinese(intake)
    appeal = drive(world, world.home_street, State.IN_PROGRESS)
    stale = appeal.version
    s.appeal_record_contact(appeal=appeal, actor=handler_of(world, world.home_unit), note="已联系")
    response = _post(intake, appeal, "withdraw", reason="已自行解决", version=stale)
    assert response.status_code == 409
    assert "请刷新页面" in response.content.decode()
    assert _fresh(appeal).state == State.IN_PROGRESS


def test_refused_form_keeps_the_phone_masked_without_a_reveal_form(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    html = _post(intake, appeal, "reject", reason="").content.decode()
    assert "138****8000" in html
    assert 'data-testid="reveal-form-phone"' not in html  # it would post to the action's URL


def test_handler_of_another_unit_gets_404_everywhere(world: World) -> None:
    other_unit = Unit.all_objects.create(name="另一承办单位", unit_type="other", division=world.home)
    appeal = drive(world, world.home_street, State.DISPATCHED)
    client = client_for(handler_of(world, other_unit))
    assert client.get(detail_url(appeal)).status_code == 404
    assert _post(client, appeal, "sign-for").status_code == 404
    assert _fresh(appeal).state == State.DISPATCHED


def test_unknown_action_is_404(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    assert _post(intake, appeal, "delete").status_code == 404


def test_get_on_an_action_url_is_not_allowed(world: World, intake: Client) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    assert intake.get(action_url(appeal, "accept")).status_code == 405


# --- which forms are offered -------------------------------------------------------------------------------
def _offered(client: Client, appeal: Appeal) -> set[str]:
    import re

    return set(
        re.findall(r'data-testid="action-form-([a-z-]+)"', client.get(detail_url(appeal)).content.decode())
    )


def test_forms_follow_role_and_state(world: World, intake: Client, handler: Client, leader: Client) -> None:
    submitted = drive(world, world.home_street, State.SUBMITTED)
    assert _offered(intake, submitted) == {"accept", "reject", "merge", "withdraw"}
    assert _offered(leader, submitted) == {"supervise"}
    dispatched = drive(world, world.home_street, State.DISPATCHED)
    assert _offered(intake, dispatched) == {"dispatch", "withdraw"}
    assert _offered(handler, dispatched) == {"sign-for", "return"}
    in_progress = drive(world, world.home_street, State.IN_PROGRESS)
    assert _offered(handler, in_progress) == {"contact", "reply", "request-extension"}
    closed = drive(world, world.home_street, State.CLOSED)
    assert _offered(intake, closed) == set()
    assert 'data-testid="no-actions"' in intake.get(detail_url(closed)).content.decode()


# --- every action refuses a closed appeal and a stale form -------------------------------------------------
def _suites() -> list[Any]:
    from tests.appeals import test_desk_scoped as scoped

    return [
        cls
        for cls in vars(scoped).values()
        if isinstance(cls, type) and issubclass(cls, scoped.ActionSuite) and cls is not scoped.ActionSuite
    ]


@pytest.mark.parametrize("suite", _suites(), ids=lambda cls: cls.slug)
def test_every_action_on_a_closed_appeal_is_a_chinese_conflict(world: World, suite: Any) -> None:
    runner = suite()
    runner.make_object(world, world.home_street)  # sets up what the payload refers to (e.g. a merge target)
    closed = drive(world, world.home_street, State.CLOSED, channel=Channel.HOTLINE)
    client = chinese(runner.login(Client(), world.user(suite.allowed_role, world.home)))
    events = AppealEvent.objects.count()
    response = client.post(action_url(closed, suite.slug), runner.payload(closed))
    assert response.status_code == 409, response.content[:300]
    html = response.content.decode()
    assert 'data-testid="action-error"' in html
    if suite.slug != "decide-extension":  # that one says there is no request waiting for a decision
        assert "该诉求当前状态为“已办结”，无法执行此操作。" in html
    assert AppealEvent.objects.count() == events
    assert _fresh(closed).version == closed.version


@pytest.mark.parametrize("suite", _suites(), ids=lambda cls: cls.slug)
def test_every_action_refuses_a_stale_form(world: World, suite: Any) -> None:
    runner = suite()
    appeal = runner.make_object(world, world.home_street)
    client = chinese(runner.login(Client(), world.user(suite.allowed_role, world.home)))
    page = runner.payload(appeal)  # the form as drawn; then someone else acts on the appeal
    Appeal.all_objects.filter(pk=appeal.pk).update(version=F("version") + 1)
    events = AppealEvent.objects.count()
    response = client.post(action_url(appeal, suite.slug), page)
    assert response.status_code == 409, response.content[:300]
    assert "请刷新页面" in response.content.decode()
    assert AppealEvent.objects.count() == events
