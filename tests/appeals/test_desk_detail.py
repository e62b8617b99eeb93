"""The detail page: fields and names, the masked phone and its audited reveal (never for the unit on an
anonymous appeal), the whole timeline, records beside it, the classifier's suggestion, the exclusion link."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import NoReverseMatch

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.desk import detail as detail_view
from shegong.appeals.desk import suggest
from shegong.appeals.desk.suggest import register_classifier
from shegong.appeals.models import Category
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from tests.appeals.test_desk_support import PHONE, client_for, detail_url, drive, handler_of
from tests.support.world import World

pytestmark = pytest.mark.django_db
REASON = {"reveal_field": "phone", "reason": "回访核实联系方式"}


def test_fields_names_and_masked_phone(world: World) -> None:
    wage = Category.objects.get(code="WAGE")
    appeal = drive(world, world.home_community, State.DISPATCHED, category=wage, address="测试路1号")
    html = client_for(world.user(Role.INTAKE)).get(detail_url(appeal)).content.decode()
    for text in (
        appeal.tracking_no,
        wage.name,
        "测试路1号",
        world.home_unit.name,
        "美团",
        "Food delivery rider",
    ):
        assert text in html
    assert "辽宁省 / 沈阳市 / 皇姑区 / 测试街道 / 测试社区" in html
    assert "138****8000" in html
    assert PHONE not in html
    assert 'data-testid="reveal-form-phone"' in html
    assert 'data-testid="clock-sign_for"' in html


def test_overdue_badge(world: World) -> None:
    import datetime as dt

    from django.utils import timezone

    from shegong.appeals.models import Appeal

    appeal = drive(world, world.home_street, State.DISPATCHED)
    client = client_for(world.user(Role.LEADER))
    assert 'data-testid="overdue-badge"' not in client.get(detail_url(appeal)).content.decode()
    Appeal.all_objects.filter(pk=appeal.pk).update(sign_due_at=timezone.now() - dt.timedelta(minutes=5))
    assert 'data-testid="overdue-badge"' in client.get(detail_url(appeal)).content.decode()


def test_reveal_writes_an_audit_row_and_shows_the_number_once(world: World) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    client = client_for(world.user(Role.INTAKE))
    response = client.post(detail_url(appeal), REASON)
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    row = AuditEvent.objects.get(action=CoreAction.PII_REVEALED)
    assert row.changes == {"field": "phone", "reason": "回访核实联系方式"}
    assert PHONE not in client.get(detail_url(appeal)).content.decode()
    short = client.post(detail_url(appeal), {"reveal_field": "phone", "reason": "看"})
    assert short.status_code == 400
    assert PHONE not in short.content.decode()
    assert AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).count() == 1


def test_reveal_with_htmx_returns_the_panel(world: World) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    response = client_for(world.user(Role.INTAKE)).post(detail_url(appeal), REASON, HTTP_HX_REQUEST="true")
    assert response.content.decode().strip().startswith('<div id="sg-reveal-phone"')
    assert "no-store" in response["Cache-Control"]


def test_handler_may_reveal_a_named_workers_phone(world: World) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED)
    response = client_for(handler_of(world, world.home_unit)).post(detail_url(appeal), REASON)
    assert PHONE in response.content.decode()


def test_anonymous_phone_is_hidden_from_the_unit_and_not_revealable(world: World) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED, anonymous=True)
    handler = client_for(handler_of(world, world.home_unit))
    html = handler.get(detail_url(appeal)).content.decode()
    assert 'data-testid="anonymous-notice"' in html
    assert "138****8000" not in html
    assert PHONE not in html
    refused = handler.post(detail_url(appeal), REASON)
    assert refused.status_code == 403
    assert PHONE not in refused.content.decode()
    assert not AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).exists()
    # intake may still call the worker back
    intake = client_for(world.user(Role.INTAKE))
    assert PHONE in intake.post(detail_url(appeal), REASON).content.decode()
    assert AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).count() == 1


def test_post_without_a_reveal_field_is_a_bad_request(world: World) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    assert client_for(world.user(Role.INTAKE)).post(detail_url(appeal), {}).status_code == 400


def test_timeline_shows_internal_entries_and_records(world: World) -> None:
    appeal = drive(world, world.home_street, State.IN_PROGRESS)
    handler = handler_of(world, world.home_unit)
    s.appeal_request_extension(appeal=appeal, actor=handler, days=2, reason="需协调平台总部")
    s.appeal_supervise(appeal=appeal, actor=None, note="请尽快答复")
    html = client_for(world.user(Role.LEADER)).get(detail_url(appeal)).content.decode()
    for action in ("submit", "accept", "dispatch", "sign_for", "request_extension", "supervise"):
        assert f'data-action="{action}"' in html
    assert html.count('data-testid="internal-entry"') == 2
    assert 'data-testid="extensions"' in html
    assert "需协调平台总部" in html
    assert 'data-testid="supervisions"' in html
    assert "The system" in html


def test_returns_are_listed(world: World) -> None:
    appeal = drive(world, world.home_street, State.DISPATCHED)
    s.appeal_return(appeal=appeal, actor=handler_of(world, world.home_unit), reason="wrong_place")
    html = client_for(world.user(Role.INTAKE)).get(detail_url(appeal)).content.decode()
    assert 'data-testid="returns"' in html
    assert "Not in our area" in html


def test_merged_appeal_links_its_original(world: World) -> None:
    original = drive(world, world.home_street, State.ACCEPTED)
    duplicate = drive(world, world.home_street, State.SUBMITTED)
    s.appeal_merge(appeal=duplicate, into=original, actor=world.user(Role.INTAKE))
    client = client_for(world.user(Role.INTAKE))
    assert (
        f'href="{detail_url(original)}" data-testid="merged-into"'
        in client.get(detail_url(duplicate)).content.decode()
    )
    assert duplicate.tracking_no in client.get(detail_url(original)).content.decode()


def test_detail_url_matches_only_tracking_numbers(world: World) -> None:
    client = client_for(world.user(Role.INTAKE))
    assert client.get("/desk/appeals/abc-def-ghi/").status_code == 404
    assert client.get("/desk/appeals/I00-000-000/").status_code == 404


# --- classifier suggestion ---------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _installed_classifier_restored() -> Iterator[None]:
    # the smart app installs its classifier in ready(); each test here swaps it and puts it back
    installed = suggest._classifier
    yield
    register_classifier(installed)


@pytest.fixture
def classifier() -> None:
    register_classifier(lambda text: ([("WAGE", 0.91), ("NOPE", 0.05), ("CONTRACT", 0.04)], "urgent"))


def test_intake_sees_the_classifiers_suggestion_preselected(world: World, classifier: None) -> None:
    appeal = drive(world, world.home_street, State.SUBMITTED)
    wage = Category.objects.get(code="WAGE")
    html = client_for(world.user(Role.INTAKE)).get(detail_url(appeal)).content.decode()
    assert 'data-testid="classifier-suggestion"' in html
    assert f"{wage.name} (91%)" in html
    assert f'<option value="{wage.pk}" selected>' in html
    assert '<option value="urgent" selected>' in html


def test_a_failing_classifier_leaves_intake_working(world: World) -> None:
    def broken(text: str) -> tuple[list[tuple[str, float]], str | None]:
        raise RuntimeError("model file missing")

    register_classifier(broken)
    appeal = drive(world, world.home_street, State.SUBMITTED)
    response = client_for(world.user(Role.INTAKE)).get(detail_url(appeal))
    assert response.status_code == 200
    assert 'data-testid="classifier-suggestion"' not in response.content.decode()
    assert 'data-testid="action-form-accept"' in response.content.decode()


def test_without_a_classifier_intake_classifies_by_hand(world: World) -> None:
    register_classifier(None)
    appeal = drive(world, world.home_street, State.SUBMITTED)
    html = client_for(world.user(Role.INTAKE)).get(detail_url(appeal)).content.decode()
    assert 'data-testid="classifier-suggestion"' not in html
    assert 'data-testid="action-form-accept"' in html


# --- link to the exclusion page ----------------------------------------------------------------------------
def test_exclusion_link_only_with_the_permission_and_a_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    appeal = drive(world, world.home_street, State.CLOSED)
    leader, intake = world.user(Role.LEADER), world.user(Role.INTAKE)

    def missing(name: str, args: list[object]) -> str:
        raise NoReverseMatch(name)

    monkeypatch.setattr(detail_view, "reverse", missing)
    assert detail_view._exclude_url(leader, appeal) == ""
    response = client_for(leader).get(detail_url(appeal))
    assert response.status_code == 200
    assert 'data-testid="exclude-link"' not in response.content.decode()

    monkeypatch.setattr(detail_view, "reverse", lambda name, args: f"/desk/appeals/x/{args[0]}/exclude/")
    assert detail_view._exclude_url(leader, appeal) == f"/desk/appeals/x/{appeal.tracking_no}/exclude/"
    assert detail_view._exclude_url(intake, appeal) == ""  # no EXCLUDE permission
    assert 'data-testid="exclude-link"' in client_for(leader).get(detail_url(appeal)).content.decode()


# --- strict CSP ------------------------------------------------------------------------------------------
def test_desk_pages_need_no_inline_script_or_style(world: World) -> None:
    from tests.web.html import csp_problems

    appeal = drive(world, world.home_street, State.SUBMITTED)
    supervised = drive(world, world.home_street, State.IN_PROGRESS)
    s.appeal_supervise(appeal=supervised, actor=None, note="请尽快答复")
    intake, leader = client_for(world.user(Role.INTAKE)), client_for(world.user(Role.LEADER))
    pages = [
        intake.get("/desk/appeals/"),
        intake.get(detail_url(appeal)),
        intake.get("/desk/appeals/hotline/new/"),
        leader.get(detail_url(supervised)),
        leader.get("/desk/appeals/supervision/"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert csp_problems(response.content.decode()) == [], response.wsgi_request.path


def test_exclusion_link_goes_to_the_installed_page(world: World) -> None:
    from django.urls import reverse

    appeal = drive(world, world.home_street, State.CLOSED)
    url = reverse("appeals:exclude", args=[appeal.tracking_no])
    leader_html = client_for(world.user(Role.LEADER)).get(detail_url(appeal)).content.decode()
    assert f'href="{url}" data-testid="exclude-link"' in leader_html
    intake_html = client_for(world.user(Role.INTAKE)).get(detail_url(appeal)).content.decode()
    assert 'data-testid="exclude-link"' not in intake_html
