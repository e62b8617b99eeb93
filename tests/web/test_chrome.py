"""The desk chrome: sidebar registry, calendar banner for calendar maintainers, messages, logout."""

from __future__ import annotations

import re
import sys
import types

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from shegong.accounts.choices import AccountsPerm, Role
from shegong.web import cards, nav
from shegong.web.templatetags.shegong_web import alert_class
from tests.support.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, nav.NavItem]:
    """A sidebar registry holding only this app's own entries (other modules' entries left out), restored
    after the test."""
    items = {name: item for name, item in nav._ITEMS.items() if name in {"desk:home", "dashboard:home"}}
    monkeypatch.setattr(nav, "_ITEMS", items)
    return items


def test_items_follow_permissions_and_skip_unresolvable_urls(world: World, registry: dict) -> None:
    nav.register(
        nav.NavItem("单位", "web:home", AccountsPerm.UNIT_MANAGE, section="管理", order=10),
        nav.NavItem("不存在", "nowhere:list", None, section="管理", order=11),
    )
    admin_urls = [i["url_name"] for i in nav.items_for(world.user(Role.PLATFORM_ADMIN))]
    intake_urls = [i["url_name"] for i in nav.items_for(world.user(Role.INTAKE))]
    assert admin_urls == ["desk:home", "web:home"]  # ordered; the unresolvable entry left out
    assert intake_urls == ["desk:home"]  # no UNIT_MANAGE


def test_register_keeps_the_first_entry_for_a_url_name(registry: dict) -> None:
    nav.register(nav.NavItem("甲", "web:home", None, section="一"))
    nav.register(nav.NavItem("乙", "web:home", None, section="二"))
    assert registry["web:home"].label == "甲"


def test_sections_group_entries_and_mark_the_longest_matching_url(world: World, registry: dict) -> None:
    nav.register(nav.NavItem("首页", "web:home", None, section="其他", order=50))
    user = world.user(Role.LEADER)
    sections = nav.sections_for(user, "/dashboard/")
    assert [str(s["title"]) for s in sections] == [
        str(nav._ITEMS["desk:home"].section),
        "其他",
        str(nav._ITEMS["dashboard:home"].section),
    ]
    active = [i["url_name"] for s in sections for i in s["items"] if i["active"]]
    assert active == ["dashboard:home"]  # "/" also matches, but the longer URL wins


def test_desk_sidebar_shows_registered_entries_with_counts(
    client: Client, world: World, registry: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    nav.register(nav.NavItem("诉求列表", "h5:home", None, section="诉求办理", order=20))
    monkeypatch.setitem(cards._COUNTERS, "h5:home", lambda user: 7)
    client.force_login(world.user(Role.INTAKE))
    html = client.get("/desk/").content.decode()
    assert "诉求办理" in html
    assert re.search(r'<a [^>]*data-nav="h5:home"[^>]*>诉求列表</a>', html)
    card = re.search(r'data-card="h5:home".*?</a>', html, re.S)
    assert card is not None
    assert ">7<" in card.group(0)


def _fake_calendar(text: str | None) -> types.ModuleType:
    module = types.ModuleType("shegong.core.calendar")
    module.missing_years_warning = lambda: text  # type: ignore[attr-defined]
    return module


def test_calendar_maintainers_see_the_missing_year_warning(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "shegong.core.calendar", _fake_calendar("2027 年节假日安排未导入"))
    client.force_login(world.user(Role.PLATFORM_ADMIN))
    html = client.get("/desk/").content.decode()
    assert 'data-testid="calendar-warning"' in html
    assert "2027 年节假日安排未导入" in html

    client.force_login(world.user(Role.INTAKE))
    assert "2027 年节假日安排未导入" not in client.get("/desk/").content.decode()


def test_no_banner_when_every_year_is_loaded_or_the_helper_is_missing(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN))
    monkeypatch.setitem(sys.modules, "shegong.core.calendar", _fake_calendar(None))
    assert 'data-testid="calendar-warning"' not in client.get("/desk/").content.decode()
    monkeypatch.setitem(sys.modules, "shegong.core.calendar", None)  # import fails
    response = client.get("/desk/")
    assert response.status_code == 200
    assert 'data-testid="calendar-warning"' not in response.content.decode()


def test_the_real_calendar_helper_renders(client: Client, world: World) -> None:
    from shegong.core.calendar import missing_years_warning

    client.force_login(world.user(Role.PLATFORM_ADMIN))
    html = client.get("/desk/").content.decode()
    warning = missing_years_warning()
    assert ('data-testid="calendar-warning"' in html) == bool(warning)


@pytest.mark.urls("tests.web.urls")
def test_messages_are_shown_on_the_next_desk_page(client: Client, world: World) -> None:
    client.force_login(world.user(Role.INTAKE))
    response = client.get("/_test/flash/", follow=True)
    html = response.content.decode()
    assert re.search(r'<div class="alert alert-success" data-testid="message">单位已保存</div>', html)


def test_alert_class_maps_message_levels() -> None:
    from django.contrib.messages import constants

    assert alert_class(constants.ERROR) == "alert-danger"
    assert alert_class(constants.SUCCESS) == "alert-success"
    assert alert_class(12345) == "alert-info"


def test_desk_logs_out_with_a_post_form(client: Client, world: World) -> None:
    client.force_login(world.user(Role.INTAKE))
    html = client.get("/desk/").content.decode()
    try:
        logout_url = reverse("accounts:logout")
    except NoReverseMatch:
        pytest.fail("accounts:logout is not defined")
    form = re.search(rf'<form method="post" action="{logout_url}"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert 'data-testid="logout"' in form.group(1)
