"""Desk account pages: scoped list and detail, masked phone, create, grant, reveal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shegong.accounts import services
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.accounts.models import Grant, User
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

PHONE = "13812345678"


def _account(division: Any, name: str = "王五") -> User:
    return services.user_create(
        actor=None, username=f"desk-{division.code}", real_name=name, phone=PHONE, division=division
    )


class TestUserDetailPage(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.PLATFORM_ADMIN
    forbidden_role = Role.SOCIAL_WORKER

    def make_object(self, world: World, division: Any) -> User:
        return _account(division)

    def url(self, obj: Any) -> str:
        return f"/accounts/users/{obj.pk}/"


class TestRevealPhonePage(ScopedEndpointSuite):
    is_api = False
    method = "post"
    allowed_role = Role.PLATFORM_ADMIN
    forbidden_role = Role.LEADER

    def make_object(self, world: World, division: Any) -> User:
        return _account(division)

    def url(self, obj: Any) -> str:
        return f"/accounts/users/{obj.pk}/"  # the detail page takes its reveal panel's POST

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reveal_field": "phone", "reason": "核实联系方式"}


pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_and_detail_never_show_the_middle_digits(world: World) -> None:
    target = _account(world.home_street)
    client = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    listing = client.get("/accounts/users/").content.decode()
    detail = client.get(f"/accounts/users/{target.pk}/").content.decode()
    for html in (listing, detail):
        assert "138****5678" in html
        assert PHONE not in html


def test_list_is_scoped_and_searches_by_exact_phone(world: World) -> None:
    inside, outside = _account(world.home_street, "赵六"), _account(world.away_street, "钱七")
    client = _client(world.user(Role.LEADER, world.home))
    html = client.get("/accounts/users/").content.decode()
    assert inside.username in html
    assert outside.username not in html
    assert inside.username in client.get("/accounts/users/", {"q": PHONE}).content.decode()
    assert inside.username not in client.get("/accounts/users/", {"q": "13900000000"}).content.decode()
    assert client.get("/accounts/users/", {"page": "999"}).status_code == 200


def test_list_is_403_without_the_permission(world: World) -> None:
    assert _client(world.user(Role.VOLUNTEER)).get("/accounts/users/").status_code == 403


def test_reveal_shows_the_number_once_and_audits(world: World) -> None:
    target = _account(world.home_street)
    client = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    url = f"/accounts/users/{target.pk}/"
    assert 'data-testid="reveal-form-phone"' in client.get(url).content.decode()
    response = client.post(url, {"reveal_field": "phone", "reason": "核实联系方式"})
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    row = AuditEvent.objects.get(action=CoreAction.PII_REVEALED)
    assert row.changes == {"field": "phone", "reason": "核实联系方式"}
    assert PHONE not in client.get(url).content.decode()
    short = client.post(url, {"reveal_field": "phone", "reason": "看"})
    assert short.status_code == 400
    assert PHONE not in short.content.decode()
    assert 'data-testid="reveal-error"' in short.content.decode()
    assert AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).count() == 1


def test_reveal_with_htmx_returns_the_panel_alone(world: World) -> None:
    target = _account(world.home_street)
    client = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    response = client.post(
        f"/accounts/users/{target.pk}/",
        {"reveal_field": "phone", "reason": "核实联系方式"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="sg-reveal-phone"')
    assert PHONE in html
    assert "no-store" in response["Cache-Control"]


def test_viewers_without_management_see_no_reveal_form(world: World) -> None:
    target = _account(world.home_street)
    html = _client(world.user(Role.LEADER, world.home)).get(f"/accounts/users/{target.pk}/").content.decode()
    assert "138****5678" in html
    assert "reveal-form-phone" not in html


def test_create_account_then_grant_with_separation_of_duties(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    client = _client(admin)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "new-auditor",
            "real_name": "孙八",
            "phone": PHONE,
            "division": world.home.code,
            "password": "Initial-Pass-2024",
        },
    )
    assert response.status_code == 302
    target = User.objects.get(username="new-auditor")
    assert target.must_change_password
    url = f"/accounts/users/{target.pk}/grants/"
    assert client.post(url, {"role": Role.AUDITOR, "division": world.home.code}).status_code == 302
    refused = client.post(url, {"role": Role.SECURITY_ADMIN, "division": world.home.code})
    assert refused.status_code == 400
    assert refused.context["grant_form"].errors["role"]
    outside = client.post(url, {"role": Role.LEADER, "division": world.away.code})
    assert outside.status_code == 400
    assert list(Grant.objects.filter(user=target).values_list("role", flat=True)) == [Role.AUDITOR]
    grant = Grant.objects.get(user=target)
    assert client.post(f"/accounts/users/{target.pk}/grants/{grant.pk}/remove/").status_code == 302
    assert not Grant.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action=AccountsAction.GRANT_REMOVED).count() == 1


def test_create_refuses_a_division_outside_scope(world: World) -> None:
    client = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "far",
            "real_name": "周九",
            "division": world.away.code,
            "password": "Initial-Pass-2024",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["division"]
    assert not User.objects.filter(username="far").exists()


def test_leader_cannot_open_the_create_page(world: World) -> None:
    assert _client(world.user(Role.LEADER, world.home)).get("/accounts/users/new/").status_code == 403


def test_admin_reset_and_disable(world: World) -> None:
    target = _account(world.home_street)
    client = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    assert client.post(f"/accounts/users/{target.pk}/password/", {"password": "short"}).status_code == 400
    assert (
        client.post(f"/accounts/users/{target.pk}/password/", {"password": "Temporary-Pass-55"}).status_code
        == 302
    )
    assert client.post(f"/accounts/users/{target.pk}/disable/").status_code == 302
    target.refresh_from_db()
    assert target.must_change_password
    assert not target.is_active
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AccountsAction.PASSWORD_RESET, AccountsAction.USER_DISABLED} <= actions


def test_sidebar_shows_accounts_to_those_who_may_view(world: World) -> None:
    admin = _client(world.user(Role.PLATFORM_ADMIN, world.home))
    assert 'data-nav="accounts:user_list"' in admin.get("/accounts/security/").content.decode()
    intake = _client(world.user(Role.INTAKE, world.home))
    assert 'data-nav="accounts:user_list"' not in intake.get("/accounts/security/").content.decode()
