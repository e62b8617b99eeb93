"""Idle timeout, logout, password change ending other sessions, forced change and rotation, no-store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from shegong.accounts import services
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from tests.accounts.conftest import post_login
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.django_db

PAGE = "/accounts/security/"
API_ME = "/api/v1/accounts/me"
NEW_PASSWORD = "Brand-New-Secret-77"


def _logged_in(world: World, role: str = Role.INTAKE) -> tuple[Any, Client]:
    user = world.user(role)
    client = Client()
    assert post_login(client, user.username, PASSWORD).status_code == 302
    return user, client


def test_idle_session_is_logged_out_with_a_message(world: World) -> None:
    _, client = _logged_in(world)
    with time_machine.travel(timezone.now() + timedelta(minutes=29), tick=False):
        assert client.get(PAGE).status_code == 200  # activity keeps the session alive …
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 29), tick=False):
        assert client.get(PAGE).status_code == 200  # … measured from the last request
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 29 + 31), tick=False):
        response = client.get(PAGE)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?expired=1")
        login_page = client.get(response["Location"])
        assert "30" in login_page.content.decode()  # the message names the idle minutes
        assert client.get(PAGE).status_code == 302  # the session is gone, not just refused once
    assert AuditEvent.objects.filter(action=AccountsAction.LOGOUT, changes__reason="idle").count() == 1


def test_idle_api_session_gets_the_401_envelope(world: World) -> None:
    _, client = _logged_in(world)
    assert client.get(API_ME).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = client.get(API_ME)
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_logout_is_post_only_and_kills_the_session_key(world: World) -> None:
    _, client = _logged_in(world)
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "cookies" in response["Clear-Site-Data"]
    assert AuditEvent.objects.filter(action=AccountsAction.LOGOUT).count() == 1
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old_key
    assert replay.get(PAGE).status_code == 302
    assert replay.get(API_ME).status_code == 401


def test_password_change_keeps_this_session_and_ends_the_others(world: World) -> None:
    user, first = _logged_in(world)
    second = Client()
    assert post_login(second, user.username, PASSWORD).status_code == 302
    response = first.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert first.get(PAGE).status_code == 200
    assert second.get(PAGE).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AccountsAction.PASSWORD_CHANGED, actor=user).count() == 1


def test_password_change_needs_the_current_password(world: World) -> None:
    user, client = _logged_in(world)
    response = client.post(
        "/accounts/password/",
        {"old_password": "not-it-at-all", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_must_change_password_redirects_every_page(world: World) -> None:
    user, client = _logged_in(world)
    user.must_change_password = True
    user.save()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200
    assert client.get(API_ME).json()["code"] == "password_change_required"
    client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.get(PAGE).status_code == 200


def test_rotation_is_off_by_default_and_switchable(world: World, settings: Any) -> None:
    user, client = _logged_in(world)
    user.password_changed_at = timezone.now() - timedelta(days=400)
    user.save()
    assert client.get(PAGE).status_code == 200
    settings.SHEGONG_PASSWORD_MAX_AGE_DAYS = 90
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"


def test_signed_in_pages_are_not_cached(world: World) -> None:
    _, client = _logged_in(world)
    assert "no-store" in client.get(PAGE)["Cache-Control"]
    assert "no-store" in client.get(API_ME)["Cache-Control"]


def test_admin_reset_forces_a_change_at_next_login(world: World) -> None:
    user = world.user(Role.INTAKE)
    services.user_set_password(user=user, password="Temporary-Pass-19", actor=None, must_change=True)
    client = Client()
    post_login(client, user.username, "Temporary-Pass-19")
    assert client.get(PAGE)["Location"] == "/accounts/password/"
