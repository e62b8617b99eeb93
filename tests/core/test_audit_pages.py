"""The auditor's audit-log pages, export and API: scope, filters, pagination, export safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.core import exports
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from shegong.core.views import change_rows, register_nav
from shegong.web.nav import items_for
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db

LIST = "/desk/audit/"
EXPORT = "/desk/audit/export/"
API = "/api/v1/audit"


def event(division: Any, **fields: Any) -> AuditEvent:
    fields.setdefault("action", AccountsAction.USER_UPDATED)
    fields.setdefault("target_label", "目标")
    code = division if isinstance(division, str) else division.code
    return AuditEvent.objects.create(division_code=code, **fields)


def auditor(world: World, client: Client, division: Any = None) -> Client:
    client.force_login(world.user(Role.AUDITOR, division or world.home))
    return client


def shown_ids(response: Any) -> set[int]:
    return {row["event"].pk for row in response.context["rows"]}


# --- the generic scoped suite: detail page, API detail, export
class _AuditSuite(ScopedEndpointSuite):
    allowed_role = Role.AUDITOR
    forbidden_role = Role.PLATFORM_ADMIN  # 三权分立: the administrator may not read the audit log

    def make_object(self, world: World, division: Any) -> AuditEvent:
        return event(division, target_label=f"审计标记-{division.code}")

    def marker(self, obj: Any) -> str:
        return str(obj.target_label)


class TestAuditDetailPage(_AuditSuite):
    is_api = False

    def url(self, obj: Any) -> str:
        return f"/desk/audit/{obj.pk}/"


class TestAuditApiDetail(_AuditSuite):
    def url(self, obj: Any) -> str:
        return f"{API}/{obj.pk}"


class TestAuditExport(_AuditSuite):
    is_api = False

    def url(self, obj: Any) -> str:
        return EXPORT

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"format": "csv", "division": obj.division_code}


# --- list page
def test_list_shows_only_the_auditors_jurisdiction(world: World, client: Client) -> None:
    mine = event(world.home_community)
    theirs = event(world.away_street)
    nationwide = event("")
    response = auditor(world, client).get(LIST)
    assert response.status_code == 200
    assert shown_ids(response) == {mine.pk}
    assert {theirs.pk, nationwide.pk}.isdisjoint(shown_ids(response))


def test_a_nationwide_auditor_also_sees_system_events(world: World, client: Client) -> None:
    rows = {event(world.home).pk, event(world.away).pk, event("").pk}
    client.force_login(world.nationwide(Role.AUDITOR))
    assert shown_ids(client.get(LIST)) == rows


@pytest.mark.parametrize("role", [Role.PLATFORM_ADMIN, Role.SECURITY_ADMIN, Role.HANDLER, Role.LEADER])
def test_other_roles_are_refused_the_list(world: World, client: Client, role: str) -> None:
    client.force_login(world.user(role, world.home))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{API}").status_code == 403


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_newest_first_and_fifty_per_page_without_counting_everything(world: World, client: Client) -> None:
    start = timezone.now() - dt.timedelta(days=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AccountsAction.LOGIN_SUCCEEDED,
            division_code=world.home.code,
            at=start + dt.timedelta(minutes=i),
        )
        for i in range(51)
    )
    c = auditor(world, client)
    first = c.get(LIST)
    times = [row["event"].at for row in first.context["rows"]]
    assert len(times) == 50
    assert times == sorted(times, reverse=True)
    assert first.context["has_next"] is True
    assert "page=2" in first.content.decode()
    second = c.get(LIST, {"page": 2})
    assert [row["event"].at for row in second.context["rows"]] == [start]
    assert second.context["has_next"] is False
    assert first.context["total"] == 51


def test_the_count_is_capped(world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shegong.core.views.COUNT_CAP", 3)
    for _ in range(5):
        event(world.home)
    response = auditor(world, client).get(LIST)
    assert response.context["total_capped"] is True
    assert response.context["total"] == 3


def test_filters(world: World, client: Client) -> None:
    now = timezone.now()
    old = event(world.home, at=now - dt.timedelta(days=10), actor_label="zhang")
    failed = event(world.home, action=AccountsAction.LOGIN_FAILED, outcome=AuditEvent.Outcome.FAILURE)
    street = event(world.home_street, target_type="accounts.user", target_id="77")
    c = auditor(world, client)

    def ids(**params: str) -> set[int]:
        response = c.get(LIST, params)
        assert response.status_code == 200
        assert response.context["form"].is_valid(), response.context["form"].errors
        return shown_ids(response)

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert ids(since=yesterday.isoformat()) == {failed.pk, street.pk}
    assert ids(until=yesterday.isoformat()) == {old.pk}
    assert ids(actor="ZHANG") == {old.pk}
    assert ids(action=AccountsAction.LOGIN_FAILED) == {failed.pk}
    assert ids(outcome="failure") == {failed.pk}
    assert ids(division=world.home_street.code) == {street.pk}
    assert ids(division="210105001") == {street.pk}
    assert ids(division="21") == {
        old.pk,
        failed.pk,
        street.pk,
    }  # wider than the grant: the grant still limits
    assert ids(target_type="accounts.user", target_id="77") == {street.pk}


def test_out_of_range_dates_and_pages_are_answered_not_500(world: World, client: Client) -> None:
    mine = event(world.home)
    c = auditor(world, client)
    for params in ({"since": "0001-01-01"}, {"until": "9999-12-31"}):
        response = c.get(LIST, params)
        assert response.status_code == 200
        assert set(response.context["form"].errors) == set(params)
        assert c.get(EXPORT, {"format": "csv", **params}).status_code == 400
        assert c.get(API, params).json()["code"] == "invalid_input"
    far = c.get(LIST, {"page": "9" * 25})  # beyond what SQL's OFFSET can hold
    assert far.status_code == 200
    assert far.context["rows"] == []
    assert shown_ids(c.get(LIST, {"page": "-3"})) == {mine.pk}


def test_action_choices_carry_the_registered_labels(world: World, client: Client) -> None:
    choices = dict(auditor(world, client).get(LIST).context["form"].fields["action"].choices)
    assert CoreAction.PII_REVEALED.value in choices
    assert str(CoreAction.PII_REVEALED.label) in str(choices[CoreAction.PII_REVEALED.value])


def test_an_out_of_scope_division_filter_is_an_error_not_a_leak(world: World, client: Client) -> None:
    away = event(world.away_street, target_label="远方机密")
    response = auditor(world, client).get(LIST, {"division": world.away.code})
    assert response.status_code == 200
    assert response.context["form"].errors["division"]
    assert "远方机密" not in response.content.decode()
    assert away.pk not in shown_ids(response)


def test_invalid_filters_show_messages(world: World, client: Client) -> None:
    response = auditor(world, client).get(
        LIST, {"since": "2025-02-30", "division": "12a", "action": "no.such.action"}
    )
    form = response.context["form"]
    assert set(form.errors) == {"since", "division", "action"}
    assert response.context["rows"] == []


def test_the_audit_log_has_no_write_pages(world: World, client: Client) -> None:
    row = event(world.home)
    c = auditor(world, client)
    for url in (LIST, f"/desk/audit/{row.pk}/", EXPORT):
        assert c.post(url, {"action": "x"}).status_code == 405
    assert c.delete(f"{API}/{row.pk}").status_code == 405
    assert AuditEvent.objects.get(pk=row.pk).action == row.action


def test_sidebar_entry_only_for_auditors(world: World) -> None:
    register_nav()
    assert "audit:list" in {i["url_name"] for i in items_for(world.user(Role.AUDITOR))}
    assert "audit:list" not in {i["url_name"] for i in items_for(world.user(Role.PLATFORM_ADMIN))}


# --- detail page
def test_detail_shows_the_diff_readably(world: World, client: Client) -> None:
    row = event(
        world.home,
        action=AccountsAction.USER_UPDATED,
        changes={"real_name": ["张三", "李四"], "phone": ["138****1234", "139****5678"], "note": {"a": 1}},
    )
    html = auditor(world, client).get(f"/desk/audit/{row.pk}/").content.decode()
    assert '<del class="sg-diff-old">张三</del>' in html
    assert '<ins class="sg-diff-new">李四</ins>' in html
    assert "139****5678" in html
    assert str(AccountsAction.USER_UPDATED.label) in html


def test_change_rows_understands_the_service_shapes() -> None:
    assert change_rows({"x": [1, 2]}) == [{"key": "x", "is_diff": True, "before": "1", "after": "2"}]
    assert change_rows({"before": {"a": None}, "after": {"a": True}}) == [
        {"key": "a", "is_diff": True, "before": "—", "after": change_rows({"v": True})[0]["value"]}
    ]
    assert change_rows({"field": "phone"}) == [{"key": "field", "is_diff": False, "value": "phone"}]
    assert change_rows({}) == []


# --- export
def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_is_streamed_neutralised_and_audited(world: World, client: Client) -> None:
    dangerous = event(world.home, target_label='=HYPERLINK("http://evil")', actor_label="@admin")
    event(world.home, target_label="-2+3", changes={"phone": ["138****1234", "139****5678"]})
    event(world.home, target_label="\tTabbed")
    event(world.away, target_label="远方")
    c = auditor(world, client)
    response = c.get(EXPORT, {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    header, body = rows[0], rows[1:]
    assert len(body) == 3
    labels = {r[header.index(exports.headers()[8])] for r in body}
    assert labels == {'\'=HYPERLINK("http://evil")', "'-2+3", "'\tTabbed"}
    assert "'@admin" in {r[1] for r in body}
    assert any("138****1234" in r[-1] for r in body)  # masked by the service, exported as is
    assert not any("远方" in cell for r in body for cell in r)

    exported = AuditEvent.objects.filter(action=CoreAction.AUDIT_EXPORTED).get()
    assert exported.changes == {"format": "csv", "filter": {}, "rows": 3, "truncated": False}
    assert exported.division_code == world.home.code  # the auditor's one jurisdiction
    assert exported.ip == "127.0.0.1"
    assert exported.request_id == response["X-Request-ID"]
    assert dangerous.pk < exported.pk


def test_excel_export_has_the_filtered_rows_as_text(world: World, client: Client) -> None:
    event(world.home, target_label="=1+1", action=AccountsAction.LOGIN_FAILED)
    event(world.home, target_label="other")
    response = auditor(world, client).get(EXPORT, {"format": "xlsx", "action": AccountsAction.LOGIN_FAILED})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2
    assert values[1][8] == "'=1+1"  # a string cell, not a formula
    assert values[1][3] == AccountsAction.LOGIN_FAILED
    exported = AuditEvent.objects.get(action=CoreAction.AUDIT_EXPORTED)
    assert exported.changes["filter"] == {"action": AccountsAction.LOGIN_FAILED}
    assert exported.changes["rows"] == 1


def test_export_is_capped(world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 2)
    newest = [event(world.home, target_label=f"row{i}") for i in range(4)][-2:]
    response = auditor(world, client).get(EXPORT, {"format": "csv"})
    body = _csv_rows(response)[1:]
    assert [r[8] for r in body] == [e.target_label for e in reversed(newest)]
    exported = AuditEvent.objects.get(action=CoreAction.AUDIT_EXPORTED)
    assert exported.changes["rows"] == 2
    assert exported.changes["truncated"] is True


def test_export_with_a_bad_filter_or_format_writes_nothing(world: World, client: Client) -> None:
    c = auditor(world, client)
    assert c.get(EXPORT, {"format": "pdf"}).status_code == 400
    assert c.get(EXPORT, {"format": "csv", "since": "yesterday"}).status_code == 400
    assert not AuditEvent.objects.filter(action=CoreAction.AUDIT_EXPORTED).exists()


def test_the_page_states_the_export_cap(world: World, client: Client) -> None:
    html = auditor(world, client).get(LIST).content.decode()
    assert f"{exports.EXPORT_MAX_ROWS}" in html
    assert 'data-testid="export-csv"' in html


# --- API
def test_api_list_filters_and_paginates(world: World, client: Client) -> None:
    for i in range(3):
        event(world.home, target_label=f"t{i}", changes={"n": i})
    event(world.home, action=AccountsAction.LOGIN_FAILED, outcome="failure")
    event(world.away)
    c = auditor(world, client)
    page = c.get(API, {"page_size": 2}).json()
    assert page["count"] == 4
    assert len(page["items"]) == 2
    assert page["items"][0]["action_label"] == str(AccountsAction.LOGIN_FAILED.label)
    failed = c.get(API, {"outcome": "failure"}).json()
    assert [i["action"] for i in failed["items"]] == [AccountsAction.LOGIN_FAILED]
    assert c.get(API, {"page": 2, "page_size": 2}).json()["items"][1]["changes"] == {"n": 0}


def test_api_rejects_bad_filters_in_the_envelope(world: World, client: Client) -> None:
    c = auditor(world, client)
    bad = c.get(API, {"action": "no.such"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_input"
    assert "action" in bad.json()["details"]["fields"]
    assert c.get(API, {"division": world.away.code}).status_code == 404
    assert c.get(API, {"since": "not-a-date"}).json()["code"] == "invalid_input"
    assert c.get(API, {"since": "2025-03-02", "until": "2025-03-01"}).status_code == 400


def test_api_detail(world: World, client: Client) -> None:
    row = event(world.home_street, changes={"field": "phone", "reason": "核实身份信息"})
    data = auditor(world, client).get(f"{API}/{row.pk}").json()
    assert data["id"] == row.pk
    assert data["division_code"] == world.home_street.code
    assert data["changes"] == {"field": "phone", "reason": "核实身份信息"}
    assert json.dumps(data)  # JSON-serialisable, no model leaks


def test_list_queries_do_not_grow_with_rows_and_never_count_the_whole_table(
    world: World, client: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = auditor(world, client)
    event(world.home)
    c.get(LIST)  # warm the session and grant caches
    with CaptureQueriesContext(connection) as few:
        c.get(LIST)
    for _ in range(60):
        event(world.home, actor_label="someone")
    with CaptureQueriesContext(connection) as many:
        c.get(LIST)
    assert len(many) == len(few)
    counts = [q["sql"] for q in many if "COUNT(" in q["sql"].upper() and "core_auditevent" in q["sql"]]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts)
