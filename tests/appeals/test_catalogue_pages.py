"""Desk pages for the appeals reference data: categories, time limits and the dispatch catalogue (派单目录),
with the services added for them (retire/reactivate, reset a time limit, deactivate a rule)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals import catalogue
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Clock, LimitUnit, Urgency
from shegong.appeals.limits import limit_for
from shegong.appeals.models import Category, DispatchRule, TimeLimit
from shegong.appeals.routing import route
from shegong.core.api import ConflictError
from shegong.core.models import AuditEvent
from shegong.divisions.models import Division, Unit
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db

BASE = "/desk/appeals/catalogue"


def _unit(division: Division, name: str, **extra: Any) -> Unit:
    return Unit.all_objects.create(name=name, unit_type="government_dept", division=division, **extra)


def _rule(division: Division | None, unit: Unit, category: Category | None = None) -> DispatchRule:
    return DispatchRule.objects.create(division=division, category=category, unit=unit)


def _login(client: Client, user: Any) -> Any:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()  # type: ignore[attr-defined]
        for m in (AuditEvent, Category, TimeLimit, DispatchRule)
    }


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- the scoped suite: rules of another province are 404, no catalogue permission is 403 ------------------
class TestRuleReplacePage(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.PLATFORM_ADMIN
    forbidden_role = Role.INTAKE  # dispatches appeals but does not maintain the catalogue

    def make_object(self, world: World, division: Any) -> models.Model:
        _unit(division, f"替换目标-{division.code}")
        return _rule(division, _unit(division, f"原单位-{division.code}"))

    def url(self, obj: models.Model) -> str:
        return f"{BASE}/rules/{obj.pk}/replace/"

    def marker(self, obj: models.Model) -> str:
        assert isinstance(obj, DispatchRule)
        return obj.unit.name


class TestRuleReplacePost(TestRuleReplacePage):
    method = "post"
    success_status = 302
    watched_models = (DispatchRule,)

    def payload(self, obj: models.Model) -> dict[str, Any]:
        assert isinstance(obj, DispatchRule)
        target = Unit.all_objects.get(name=f"替换目标-{obj.division_id}")
        return {"unit": target.pk}


class TestRuleDeactivatePage(TestRuleReplacePage):
    def url(self, obj: models.Model) -> str:
        return f"{BASE}/rules/{obj.pk}/deactivate/"


class TestRuleDeactivatePost(TestRuleDeactivatePage):
    method = "post"
    success_status = 302
    watched_models = (DispatchRule,)


def test_scoped_post_really_writes(world: World, client: Client) -> None:
    """The suite's 302 is a real replacement, not a redirect that wrote nothing."""
    suite = TestRuleReplacePost()
    rule = suite.make_object(world, world.home_street)
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    assert suite.call(client, rule).status_code == 302
    assert DispatchRule.objects.get(division=world.home_street, is_active=True).unit.name.startswith(
        "替换目标"
    )


# --- categories --------------------------------------------------------------------------------------------
def test_category_tree_lists_levels_and_counts_rules_in_scope(world: World, client: Client) -> None:
    wage = Category.objects.get(code="WAGE")
    Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    _rule(world.home, world.home_unit, wage)
    _rule(world.away, world.away_unit, wage)  # another province: not counted for a county admin
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/categories/").content.decode()
    assert html.count('data-testid="category-row"') == Category.objects.count()
    assert (
        html.index('data-code="WAGE"')
        < html.index('data-code="WAGE_ARREARS"')
        < html.index('data-code="PLATFORM"')
    )
    assert 'data-code="WAGE_ARREARS" data-level="2"' in html
    wage_row = html[html.index('data-code="WAGE"') : html.index('data-code="WAGE_ARREARS"')]
    assert f'?category={wage.pk}" data-testid="rule-count">1<' in wage_row
    # read-only for a county admin: categories apply nationwide
    assert 'data-testid="read-only-note"' in html
    assert "category-edit" not in html


def test_nationwide_admin_adds_a_second_level_category(world: World, client: Client) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    html = client.get(f"{BASE}/categories/").content.decode()
    assert 'data-testid="category-create"' in html
    assert client.get(f"{BASE}/categories/new/", {"parent": wage.pk}).status_code == 200
    response = client.post(
        f"{BASE}/categories/new/",
        {"parent": wage.pk, "code": "wage_arrears", "name": " 欠薪 ", "scope": "", "default_unit_type": ""},
    )
    assert response.status_code == 302
    arrears = Category.objects.get(code="WAGE_ARREARS")
    assert (arrears.parent, arrears.name, arrears.default_unit_type) == (wage, "欠薪", wage.default_unit_type)
    assert _audits(AppealsAction.CATEGORY_CREATED) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "WAGE", "name": "重复"}, "code"),  # the code is taken
        ({"code": "9X", "name": "坏代码"}, "code"),
        ({"code": "中文", "name": "坏代码"}, "code"),
        ({"code": "GOOD_CODE", "name": "   "}, "name"),
        ({"code": "GOOD_CODE", "name": "三级", "parent": "child"}, "parent"),  # a second level as parent
    ],
)
def test_category_create_refuses_bad_input(world: World, client: Client, data: dict, field: str) -> None:
    admin = _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    child = catalogue.category_create(actor=admin, parent=wage, code="WAGE_X", name="子类")
    payload = {"parent": wage.pk, "scope": "", "default_unit_type": "", **data}
    if payload["parent"] == "child":
        payload["parent"] = child.pk
    before = _counts()
    response = client.post(f"{BASE}/categories/new/", payload)
    assert response.status_code == 200
    assert f'data-testid="field-error-{field}"' in response.content.decode()
    assert _counts() == before


def test_category_edit_changes_the_default_unit_type(world: World, client: Client) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    assert client.get(f"{BASE}/categories/{wage.pk}/edit/").status_code == 200
    response = client.post(
        f"{BASE}/categories/{wage.pk}/edit/",
        {"name": wage.name, "scope": wage.scope, "default_unit_type": "street_office"},
    )
    assert response.status_code == 302
    wage.refresh_from_db()
    assert wage.default_unit_type == "street_office"
    event = AuditEvent.objects.get(action=AppealsAction.CATEGORY_UPDATED)
    assert event.changes == {"default_unit_type": ["government_dept", "street_office"]}


def test_retiring_a_first_level_category_retires_its_children(world: World, client: Client) -> None:
    admin = _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    arrears = catalogue.category_create(actor=admin, parent=wage, code="WAGE_ARREARS", name="欠薪")
    confirm = client.get(f"{BASE}/categories/{wage.pk}/retire/").content.decode()
    assert 'data-testid="children-retired"' in confirm
    assert "欠薪" in confirm
    assert Category.objects.get(pk=wage.pk).is_active  # GET only asks

    assert client.post(f"{BASE}/categories/{wage.pk}/retire/").status_code == 302
    wage.refresh_from_db()
    arrears.refresh_from_db()
    assert not wage.is_active
    assert not arrears.is_active
    assert _audits(AppealsAction.CATEGORY_UPDATED) == 2

    # the child cannot come back while its parent is retired
    before = _counts()
    client.post(f"{BASE}/categories/{arrears.pk}/reactivate/")
    assert not Category.objects.get(pk=arrears.pk).is_active
    assert _counts() == before
    # the parent can; its children stay retired until reactivated one by one
    client.post(f"{BASE}/categories/{wage.pk}/reactivate/")
    client.post(f"{BASE}/categories/{wage.pk}/reactivate/")  # a second POST changes nothing
    assert Category.objects.get(pk=wage.pk).is_active
    assert not Category.objects.get(pk=arrears.pk).is_active
    assert _audits(AppealsAction.CATEGORY_UPDATED) == 3
    client.post(f"{BASE}/categories/{arrears.pk}/reactivate/")
    assert Category.objects.get(pk=arrears.pk).is_active


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "categories/new/"),
        ("post", "categories/new/"),
        ("get", "categories/{pk}/edit/"),
        ("post", "categories/{pk}/edit/"),
        ("post", "categories/{pk}/retire/"),
        ("post", "categories/{pk}/reactivate/"),
        ("get", "time-limits/{pk}/handle/normal/"),
        ("post", "time-limits/{pk}/handle/normal/"),
        ("post", "time-limits/default/handle/normal/"),
        ("post", "time-limits/{pk}/handle/normal/reset/"),
    ],
)
@pytest.mark.parametrize("who", ["county_admin", "intake"])
def test_only_nationwide_admins_change_categories_and_limits(
    world: World, client: Client, method: str, path: str, who: str
) -> None:
    wage = Category.objects.get(code="WAGE")
    TimeLimit.objects.create(
        category=wage, clock=Clock.HANDLE, urgency=Urgency.NORMAL, amount=4, unit="working_days"
    )
    role = Role.PLATFORM_ADMIN if who == "county_admin" else Role.INTAKE
    _login(client, world.user(role, world.home))
    data = {
        "parent": wage.pk,
        "code": "NEW_ONE",
        "name": "新",
        "default_unit_type": "",
        "amount": 3,
        "unit": "working_days",
    }
    before = _counts()
    response = getattr(client, method)(f"{BASE}/" + path.format(pk=wage.pk), data if method == "post" else {})
    assert response.status_code == 403
    assert _counts() == before


def test_catalogue_pages_need_the_permission_somewhere(world: World, client: Client) -> None:
    _rule(world.home, world.home_unit)
    for path in ("categories/", "time-limits/", "rules/", "rules/new/", "rules/preview/", "rules/divisions/"):
        client.logout()
        assert client.get(f"{BASE}/{path}").status_code == 302  # anonymous → login
        _login(client, world.user(Role.INTAKE))
        assert client.get(f"{BASE}/{path}").status_code == 403
        _login(client, world.user(Role.PLATFORM_ADMIN))
        assert client.get(f"{BASE}/{path}").status_code == 200


def test_unknown_category_is_404(world: World, client: Client) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    assert client.get(f"{BASE}/categories/999999/edit/").status_code == 404
    assert client.get(f"{BASE}/time-limits/", {"category": "999999"}).status_code == 404
    assert client.get(f"{BASE}/time-limits/", {"category": "abc"}).status_code == 404
    assert client.get(f"{BASE}/time-limits/nope/handle/normal/").status_code == 404
    assert client.get(f"{BASE}/time-limits/default/tea_break/normal/").status_code == 404


# --- time limits -------------------------------------------------------------------------------------------
def _cells(html: str) -> dict[tuple[str, str], str]:
    found = re.findall(r'data-clock="(\w+)" data-urgency="(\w+)" data-source="(\w+)"', html)
    return {(clock, urgency): source for clock, urgency, source in found}


def test_time_limit_table_shows_the_value_in_force_and_its_source(world: World, client: Client) -> None:
    admin = _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    arrears = catalogue.category_create(actor=admin, parent=wage, code="WAGE_ARREARS", name="欠薪")
    catalogue.time_limit_set(
        actor=admin, category=wage, urgency=Urgency.NORMAL, clock=Clock.HANDLE, amount=3, unit="working_days"
    )
    defaults = _cells(client.get(f"{BASE}/time-limits/").content.decode())
    assert len(defaults) == 8
    assert set(defaults.values()) == {"own"}

    html = client.get(f"{BASE}/time-limits/", {"category": arrears.pk}).content.decode()
    cells = _cells(html)
    assert cells[("handle", "normal")] == "parent"
    assert cells[("handle", "urgent")] == "default"
    assert 'data-testid="limit-reset"' not in html  # nothing of its own to reset

    wage_html = client.get(f"{BASE}/time-limits/", {"category": wage.pk}).content.decode()
    assert _cells(wage_html)[("handle", "normal")] == "own"
    assert wage_html.count('data-testid="limit-reset"') == 1


def test_time_limit_table_agrees_with_limit_for(world: World, client: Client) -> None:
    from shegong.appeals.catalogue_pages.selectors import limit_table

    admin = world.nationwide(Role.PLATFORM_ADMIN)
    wage = Category.objects.get(code="WAGE")
    arrears = catalogue.category_create(actor=admin, parent=wage, code="WAGE_ARREARS", name="欠薪")
    catalogue.time_limit_set(
        actor=admin,
        category=wage,
        urgency=Urgency.URGENT,
        clock=Clock.SIGN_FOR,
        amount=20,
        unit="calendar_minutes",
    )
    catalogue.time_limit_set(
        actor=admin,
        category=arrears,
        urgency=Urgency.NORMAL,
        clock=Clock.REVISIT,
        amount=2,
        unit="working_days",
    )
    TimeLimit.objects.filter(category=None, clock=Clock.FIRST_CONTACT, urgency=Urgency.NORMAL).delete()
    for category in (None, wage, arrears):
        for row in limit_table(category):
            for cell in row.cells:
                assert (cell.amount, cell.unit) == limit_for(
                    clock=cell.clock, urgency=cell.urgency, category=category
                )
    first_contact = next(r for r in limit_table(arrears) if r.clock == "first_contact")
    assert first_contact.cells[0].source == "built_in"


def test_edit_a_time_limit(world: World, client: Client) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    url = f"{BASE}/time-limits/{wage.pk}/handle/urgent/"
    page = client.get(url).content.decode()
    assert 'value="1"' in page  # prefilled with the inherited 1 working day
    response = client.post(url, {"amount": 12, "unit": LimitUnit.CALENDAR_HOURS})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?category={wage.pk}")
    assert limit_for(clock=Clock.HANDLE, urgency=Urgency.URGENT, category=wage) == (12, "calendar_hours")
    event = AuditEvent.objects.get(action=AppealsAction.TIME_LIMIT_SET)
    assert event.changes == {"before": None, "after": [12, "calendar_hours"]}
    # the default row is edited in place
    client.post(f"{BASE}/time-limits/default/handle/normal/", {"amount": 4, "unit": "working_days"})
    assert TimeLimit.objects.get(category=None, clock="handle", urgency="normal").amount == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": 0, "unit": "working_days"}, "A time limit must be longer than zero."),
        ({"amount": -3, "unit": "working_days"}, "A time limit must be longer than zero."),
        ({"amount": "two", "unit": "working_days"}, "Enter a whole number."),
        ({"amount": 61, "unit": "working_days"}, "At most 60 in this unit of time."),
        ({"amount": 2, "unit": "fortnights"}, None),
    ],
)
def test_time_limit_bad_input_writes_nothing(
    world: World, client: Client, data: dict, message: str | None
) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    before = _counts()
    response = client.post(f"{BASE}/time-limits/default/handle/normal/", data)
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()
    if message:
        assert message in response.content.decode()
    assert _counts() == before


def test_zero_amount_error_is_in_chinese(world: World, client: Client) -> None:
    client.force_login(world.nationwide(Role.PLATFORM_ADMIN))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(
        f"{BASE}/time-limits/default/handle/normal/", {"amount": 0, "unit": "working_days"}
    )
    assert "时限必须大于零" in response.content.decode()


def test_reset_a_time_limit_to_the_inherited_value(world: World, client: Client) -> None:
    admin = _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    catalogue.time_limit_set(
        actor=admin, category=wage, urgency=Urgency.NORMAL, clock=Clock.HANDLE, amount=3, unit="working_days"
    )
    url = f"{BASE}/time-limits/{wage.pk}/handle/normal/reset/"
    confirm = client.get(url).content.decode()
    assert 'data-testid="reset-question"' in confirm
    assert "5 Working days" in confirm
    assert client.post(url).status_code == 302
    assert not TimeLimit.objects.filter(category=wage).exists()
    assert limit_for(clock=Clock.HANDLE, urgency=Urgency.NORMAL, category=wage) == (5, "working_days")
    assert _audits(AppealsAction.TIME_LIMIT_RESET) == 1
    # again: nothing left to reset, nothing written
    before = _counts()
    assert client.post(url).status_code == 302
    assert _counts() == before
    # the default rows have nothing to inherit from
    assert client.post(f"{BASE}/time-limits/default/handle/normal/reset/").status_code == 404
    assert _counts() == before


def test_time_limit_reset_service_refuses_default_rows_and_county_admins(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    with pytest.raises(ValidationError):
        catalogue.time_limit_reset(actor=admin, category=None, urgency="normal", clock="handle")
    with pytest.raises(PermissionDenied):
        catalogue.time_limit_reset(
            actor=world.user(Role.PLATFORM_ADMIN),
            category=Category.objects.get(code="WAGE"),
            urgency="normal",
            clock="handle",
        )
    assert TimeLimit.objects.filter(category=None).count() == 8


# --- dispatch rules: list ----------------------------------------------------------------------------------
def test_rule_list_shows_only_rules_in_scope(world: World, client: Client) -> None:
    _rule(world.home, world.home_unit)
    _rule(world.away, world.away_unit)
    _rule(None, world.home_unit, Category.objects.get(code="PARKING"))  # nationwide: nationwide admins only
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/rules/").content.decode()
    assert html.count('data-testid="rule-row"') == 1
    assert "青秀区社会工作部" not in html
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    assert client.get(f"{BASE}/rules/").content.decode().count('data-testid="rule-row"') == 3


def test_rule_list_filters_search_and_pagination(world: World, client: Client) -> None:
    wage = Category.objects.get(code="WAGE")
    arrears = Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    street_office = _unit(world.home_street, "测试街道办事处")
    labour = _unit(world.home, "区人社局")
    _rule(world.home, labour, wage)
    _rule(world.home_street, street_office, arrears)
    old = _rule(world.home_street, street_office)
    old.is_active = False
    old.save()
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))

    def rows(**params: Any) -> int:
        response = client.get(f"{BASE}/rules/", params)
        assert response.status_code == 200
        return response.content.decode().count('data-testid="rule-row"')

    assert rows() == 2
    assert rows(division="210105001") == 1
    assert rows(category=wage.pk) == 2  # its second-level category's rule too
    assert rows(category=arrears.pk) == 1
    assert rows(category="any") == 0
    assert rows(category="any", status="inactive") == 1
    assert rows(status="all") == 3
    assert rows(q="人社") == 1
    assert rows(q="不存在") == 0
    assert rows(division="12x", category="nope", sort="evil", page="z") == 2  # bad filters are ignored
    assert 'data-testid="empty-state"' in client.get(f"{BASE}/rules/", {"q": "不存在"}).content.decode()

    county_units = [_unit(world.home, f"单位{n:02d}") for n in range(30)]
    communities = [
        Division.objects.create(code=f"210105001{n:03d}", name=f"社区{n}", level=12, parent=world.home_street)
        for n in range(2, 32)
    ]
    for community, unit in zip(communities, county_units, strict=True):
        _rule(community, _unit(community, f"居委会{unit.name}"))
    assert rows() == 25
    assert rows(page=2) == 7


# --- dispatch rules: add, replace, deactivate --------------------------------------------------------------
def test_add_a_rule_by_division_code_or_name(world: World, client: Client) -> None:
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    wage = Category.objects.get(code="WAGE")
    labour = _unit(world.home, "区人社局")
    assert client.get(f"{BASE}/rules/new/").status_code == 200
    response = client.post(
        f"{BASE}/rules/new/", {"division": "210105", "category": wage.pk, "unit": labour.pk}
    )
    assert response.status_code == 302
    rule = DispatchRule.objects.get(is_active=True)
    assert (rule.division, rule.category, rule.unit) == (world.home, wage, labour)
    assert _audits(AppealsAction.DISPATCH_RULE_SET) == 1

    street_office = _unit(world.home_street, "测试街道办事处")
    response = client.post(
        f"{BASE}/rules/new/", {"division": "测试街道", "category": "", "unit": street_office.pk}
    )
    assert response.status_code == 302
    assert DispatchRule.objects.get(division=world.home_street, category=None).unit == street_office


def _post_rule(client: Client, **data: Any) -> str:
    before = _counts()
    response = client.post(f"{BASE}/rules/new/", data)
    assert response.status_code == 200
    assert _counts() == before
    return response.content.decode()


def test_add_rule_refuses_bad_input_and_writes_nothing(world: World, client: Client) -> None:
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    street_office = _unit(world.home_street, "测试街道办事处")
    _rule(world.home_street, street_office)

    # a unit off the rule's line of the tree: another province's unit
    html = _post_rule(client, division="210105", category="", unit=world.away_unit.pk)
    assert 'data-testid="field-error-unit"' in html
    # an inactive unit
    closed = _unit(world.home, "已撤销单位", is_active=False)
    assert 'data-testid="field-error-unit"' in _post_rule(
        client, division="210105", category="", unit=closed.pk
    )
    # a duplicate of the active rule
    other = _unit(world.home_street, "另一单位")
    html = _post_rule(client, division="210105001", category="", unit=other.pk)
    assert 'data-testid="non-field-error"' in html
    assert "already exists" in html
    # a division out of scope (exists, in another province) or unknown: the same message
    out = _post_rule(client, division="450103", category="", unit=world.home_unit.pk)
    unknown = _post_rule(client, division="990101", category="", unit=world.home_unit.pk)
    assert 'data-testid="field-error-division"' in out
    assert "There is no division with this code within your jurisdiction." in out
    assert "There is no division with this code within your jurisdiction." in unknown
    assert "青秀区" not in out
    # a name matching nothing in scope (青秀区 exists, elsewhere)
    assert "No division named" in _post_rule(client, division="青秀区", category="", unit=world.home_unit.pk)
    # nationwide rules are for nationwide admins
    assert 'data-testid="field-error-division"' in _post_rule(
        client, division="", category="", unit=world.home_unit.pk
    )
    # a retired category cannot get new rules
    retired = Category.objects.create(code="OLD", name="旧分类", is_active=False)
    html = _post_rule(client, division="210105", category=retired.pk, unit=world.home_unit.pk)
    assert 'data-testid="field-error-category"' in html


def test_ambiguous_division_name_asks_for_the_code(world: World, client: Client) -> None:
    Division.objects.create(code="210105002000", name="测试街道二", level=9, parent=world.home)
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = _post_rule(client, division="测试", category="", unit=world.home_unit.pk)
    assert "Several divisions match" in html
    assert "210105002000" in html


def test_nationwide_admin_sets_a_nationwide_rule(world: World, client: Client) -> None:
    _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    response = client.post(f"{BASE}/rules/new/", {"division": "", "category": "", "unit": world.away_unit.pk})
    assert response.status_code == 302
    assert route(division=world.home_community, category=None) == world.away_unit


def test_replace_a_rule_keeps_the_old_one_inactive(world: World, client: Client) -> None:
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    labour = _unit(world.home, "区人社局")
    old = _rule(world.home, world.home_unit)
    page = client.get(f"{BASE}/rules/{old.pk}/replace/").content.decode()
    assert "区人社局" in page
    assert 'data-testid="rule-summary"' in page
    # the same unit again is refused
    before = _counts()
    html = client.post(f"{BASE}/rules/{old.pk}/replace/", {"unit": world.home_unit.pk}).content.decode()
    assert 'data-testid="field-error-unit"' in html
    assert _counts() == before

    assert client.post(f"{BASE}/rules/{old.pk}/replace/", {"unit": labour.pk}).status_code == 302
    old.refresh_from_db()
    assert not old.is_active
    assert route(division=world.home_community, category=None) == labour
    event = AuditEvent.objects.get(action=AppealsAction.DISPATCH_RULE_SET)
    assert event.changes == {"before": [world.home_unit.pk], "unit": labour.pk}
    assert event.division_code == world.home.code
    # the replaced rule cannot be replaced again (someone else's stale form)
    before = _counts()
    response = client.post(f"{BASE}/rules/{old.pk}/replace/", {"unit": world.home_unit.pk})
    assert response.status_code == 302
    assert _counts() == before


def test_replace_conflict_in_the_service(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    labour = _unit(world.home, "区人社局")
    seen = _rule(world.home, world.home_unit)
    catalogue.dispatch_rule_set(actor=admin, division=world.home, category=None, unit=labour, replaces=seen)
    before = _counts()
    with pytest.raises(ConflictError):
        catalogue.dispatch_rule_set(
            actor=admin, division=world.home, category=None, unit=world.home_unit, replaces=seen
        )
    assert _counts() == before


def test_deactivate_a_rule(world: World, client: Client) -> None:
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    street_office = _unit(world.home_street, "测试街道办事处")
    _rule(world.home, world.home_unit)
    street = _rule(world.home_street, street_office)
    assert route(division=world.home_community, category=None) == street_office
    confirm = client.get(f"{BASE}/rules/{street.pk}/deactivate/").content.decode()
    assert 'data-testid="confirm-form"' in confirm
    assert DispatchRule.objects.get(pk=street.pk).is_active  # GET only asks

    assert client.post(f"{BASE}/rules/{street.pk}/deactivate/").status_code == 302
    assert not DispatchRule.objects.get(pk=street.pk).is_active
    assert route(division=world.home_community, category=None) == world.home_unit  # the county rule now
    event = AuditEvent.objects.get(action=AppealsAction.DISPATCH_RULE_DEACTIVATED)
    assert event.division_code == world.home_street.code
    # twice: an error message, nothing written
    before = _counts()
    assert client.post(f"{BASE}/rules/{street.pk}/deactivate/").status_code == 302
    assert _counts() == before


def test_rule_deactivate_service_checks_scope(world: World) -> None:
    away_rule = _rule(world.away, world.away_unit)
    nationwide_rule = _rule(None, world.home_unit)
    county_admin = world.user(Role.PLATFORM_ADMIN, world.home)
    for rule in (away_rule, nationwide_rule):
        with pytest.raises(PermissionDenied):
            catalogue.dispatch_rule_deactivate(actor=county_admin, rule=rule)
    assert DispatchRule.objects.filter(is_active=True).count() == 2


# --- preview and pickers -----------------------------------------------------------------------------------
def test_preview_matches_route(world: World, client: Client) -> None:
    wage = Category.objects.get(code="WAGE")
    arrears = Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    labour = _unit(world.home, "区人社局")
    street_office = _unit(world.home_street, "测试街道办事处")
    city = Division.objects.get(code="210100000000")
    city_unit = _unit(city, "市社会工作部")
    rules = [
        _rule(city, city_unit),
        _rule(world.home, labour, wage),
        _rule(world.home_street, street_office, arrears),
    ]
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    for division in (world.home, world.home_street, world.home_community):
        for category in (None, wage, arrears, Category.objects.get(code="ACCESS")):
            html = client.get(
                f"{BASE}/rules/preview/",
                {"division": division.code, "category": category.pk if category else ""},
            ).content.decode()
            expected = route(division=division, category=category)
            shown = re.search(r'data-testid="preview-unit" data-unit="(\d+)"', html)
            assert shown is not None, (division, category)
            assert expected is not None
            assert int(shown.group(1)) == expected.pk, (division, category)
    # the city's rule covers the county but is set above this admin's grant: shown, not editable
    html = client.get(f"{BASE}/rules/preview/", {"division": world.home.code}).content.decode()
    assert f'data-rule="{rules[0].pk}"' in html
    assert "set above your jurisdiction" in html


def test_preview_without_a_rule_and_out_of_scope(world: World, client: Client) -> None:
    _rule(world.away, world.away_unit)
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/rules/preview/", {"division": world.home_community.code}).content.decode()
    assert 'data-testid="preview-none"' in html
    response = client.get(f"{BASE}/rules/preview/", {"division": world.away_street.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="field-error-division"' in html
    assert "preview-result" not in html
    assert "青秀区社会工作部" not in html
    assert 'data-testid="preview-result"' not in client.get(f"{BASE}/rules/preview/").content.decode()


def test_division_picker_suggests_only_divisions_in_scope(world: World, client: Client) -> None:
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/rules/divisions/", {"division": "街道"}).content.decode()
    assert 'value="210105001000"' in html
    assert "辽宁省 › 沈阳市 › 皇姑区 › 测试街道" in html
    assert "远方街道" not in html
    assert "450103" not in client.get(f"{BASE}/rules/divisions/", {"division": "45"}).content.decode()
    html = client.get(f"{BASE}/rules/divisions/", {"division": "210105001"}).content.decode()
    assert html.count("<option") == 2  # the street and its community


def test_unit_picker_follows_the_division(world: World, client: Client) -> None:
    street_office = _unit(world.home_street, "测试街道办事处")
    _unit(world.home_street, "已撤销单位", is_active=False)
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/rules/units/", {"division": "210105001"}).content.decode()
    assert f'value="{street_office.pk}"' in html
    assert "皇姑区社会工作部" not in html
    assert "已撤销单位" not in html
    html = client.get(f"{BASE}/rules/units/", {"division": ""}).content.decode()
    assert "皇姑区社会工作部" in html
    assert "青秀区社会工作部" not in html
    html = client.get(f"{BASE}/rules/units/", {"division": "450103"}).content.decode()
    assert "青秀区社会工作部" not in html


# --- query counts: list pages do not grow with their rows --------------------------------------------------
def _queries(client: Client, url: str, **params: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_use_a_fixed_number_of_queries(world: World, client: Client) -> None:
    admin = _login(client, world.nationwide(Role.PLATFORM_ADMIN))
    wage = Category.objects.get(code="WAGE")
    _rule(world.home, world.home_unit, wage)
    client.get(f"{BASE}/rules/")  # warm the per-process caches (calendar, nav)
    few = {
        "rules": _queries(client, f"{BASE}/rules/"),
        "categories": _queries(client, f"{BASE}/categories/"),
        "limits": _queries(client, f"{BASE}/time-limits/", category=wage.pk),
        "divisions": _queries(client, f"{BASE}/rules/divisions/", division="2101"),
    }
    for n in range(10):
        child = catalogue.category_create(actor=admin, parent=wage, code=f"WAGE_{n}", name=f"子类{n}")
        division = Division.objects.create(
            code=f"210105001{n + 100:03d}", name=f"社区{n}", level=12, parent=world.home_street
        )
        _rule(division, _unit(division, f"居委会{n}"), child)
    many = {
        "rules": _queries(client, f"{BASE}/rules/"),
        "categories": _queries(client, f"{BASE}/categories/"),
        "limits": _queries(client, f"{BASE}/time-limits/", category=wage.pk),
        "divisions": _queries(client, f"{BASE}/rules/divisions/", division="2101"),
    }
    assert many == few


def test_unit_lists_are_capped_and_searchable(world: World, client: Client, monkeypatch: Any) -> None:
    from shegong.appeals.catalogue_pages import rule_forms

    monkeypatch.setattr(rule_forms, "MAX_UNIT_OPTIONS", 2)
    for name in ("区人社局", "区交通局", "区市场监管局"):
        _unit(world.home, name)
    rule = _rule(world.home, world.home_unit)
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    html = client.get(f"{BASE}/rules/{rule.pk}/replace/").content.decode()
    assert html.count("<option") == 3  # the empty choice and two units
    assert "Only the first 2 units are listed" in html
    html = client.get(f"{BASE}/rules/{rule.pk}/replace/", {"unit_q": "交通"}).content.decode()
    assert "区交通局" in html
    assert "区人社局" not in html
    # a unit beyond the cap is still accepted: the cap only shortens the list
    market = Unit.all_objects.get(name="区市场监管局")
    assert client.post(f"{BASE}/rules/{rule.pk}/replace/", {"unit": market.pk}).status_code == 302
    assert route(division=world.home, category=None) == market


def test_a_street_rule_may_name_the_districts_unit(world: World, client: Client) -> None:
    # wage appeals of one street go to the district's labour inspection: a unit above the rule's division
    _login(client, world.user(Role.PLATFORM_ADMIN, world.home))
    response = client.post(
        f"{BASE}/rules/new/", {"division": "210105001", "category": "", "unit": world.home_unit.pk}
    )
    assert response.status_code == 302
    assert DispatchRule.objects.filter(
        division_id=world.home_street.code, unit=world.home_unit, is_active=True
    ).exists()
