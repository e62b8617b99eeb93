"""The login policy: lockout per username, per-IP throttle, audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shegong.accounts import services
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.accounts.models import LoginFailure
from shegong.core.models import AuditEvent
from tests.accounts.conftest import post_login
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-1"


def _session_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_correct_password_logs_in_and_is_audited(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert _session_user_id(client) == str(user.pk)
    row = AuditEvent.objects.get(action=AccountsAction.LOGIN_SUCCEEDED)
    assert row.actor_id == user.pk
    assert row.ip == "127.0.0.1"


def test_username_is_case_insensitive(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    response = post_login(client, user.username.upper(), PASSWORD)
    assert response.status_code == 302
    assert _session_user_id(client) == str(user.pk)


def test_wrong_password_gives_the_same_message_as_an_unknown_user(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    known = post_login(client, user.username, WRONG)
    unknown = post_login(client, "nobody-here", WRONG)
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert _session_user_id(client) is None


def test_sixth_attempt_with_the_correct_password_is_refused(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    for _ in range(5):
        assert post_login(client, user.username, WRONG).status_code == 200
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert _session_user_id(client) is None
    message = " ".join(response.context["form"].non_field_errors())
    assert "30" in message  # minutes remaining are shown
    failed = AuditEvent.objects.filter(action=AccountsAction.LOGIN_FAILED)
    assert failed.count() == 6  # five wrong passwords and the refused sixth attempt
    assert failed.filter(changes__reason="locked").count() == 1
    locked = AuditEvent.objects.get(action=AccountsAction.LOGIN_LOCKED)
    assert locked.target_id == str(user.pk)
    assert not AuditEvent.objects.filter(action=AccountsAction.LOGIN_SUCCEEDED).exists()


def test_lock_lifts_after_thirty_minutes(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    for _ in range(5):
        post_login(client, user.username, WRONG)
    with time_machine.travel(timezone.now() + timedelta(minutes=29), tick=False):
        post_login(client, user.username, PASSWORD)
        assert _session_user_id(client) is None
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = post_login(client, user.username, PASSWORD)
        assert response.status_code == 302
        assert _session_user_id(client) == str(user.pk)
    assert LoginFailure.objects.get(username=user.username.lower()).failures == 0


def test_success_resets_the_failure_series(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    for _ in range(4):
        post_login(client, user.username, WRONG)
    post_login(client, user.username, PASSWORD)
    assert _session_user_id(client) == str(user.pk)
    other = Client()
    for _ in range(4):
        post_login(other, user.username, WRONG)
    assert post_login(other, user.username, PASSWORD).status_code == 302  # four new failures: not locked


def test_unknown_usernames_lock_too_and_are_audited_by_name(db: None, client: Client) -> None:
    for _ in range(5):
        post_login(client, "Ghost", WRONG)
    response = post_login(client, "ghost", WRONG)
    assert "30" in " ".join(response.context["form"].non_field_errors())
    rows = AuditEvent.objects.filter(action=AccountsAction.LOGIN_FAILED)
    assert rows.count() == 6
    assert set(rows.values_list("actor_label", flat=True)) == {"Ghost", "ghost"}
    assert AuditEvent.objects.filter(action=AccountsAction.LOGIN_LOCKED, actor_label="Ghost").exists()


def test_lockout_of_one_name_does_not_touch_another(world: World, client: Client) -> None:
    victim, other = world.user(Role.INTAKE), world.user(Role.INTAKE)
    for _ in range(5):
        post_login(client, victim.username, WRONG)
    assert post_login(client, other.username, PASSWORD).status_code == 302


def test_security_admin_unlocks(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    user.division = world.home_street
    user.save()
    for _ in range(5):
        post_login(client, user.username, WRONG)
    admin = world.user(Role.SECURITY_ADMIN, world.home)
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(f"/accounts/users/{user.pk}/unlock/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AccountsAction.ACCOUNT_UNLOCKED, actor=admin).exists()
    assert post_login(client, user.username, PASSWORD).status_code == 302


def test_platform_admin_may_not_unlock(world: World) -> None:
    user = world.user(Role.INTAKE)
    user.division = world.home_street
    user.save()
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    client = Client()
    client.force_login(admin)
    assert client.post(f"/accounts/users/{user.pk}/unlock/").status_code == 403
    assert not AuditEvent.objects.filter(action=AccountsAction.ACCOUNT_UNLOCKED).exists()


def test_unlock_command(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    for _ in range(5):
        post_login(client, user.username, WRONG)
    call_command("unlock_account", user.username.upper())
    assert post_login(client, user.username, PASSWORD).status_code == 302


def test_ip_throttle_is_separate_from_the_lockout(world: World, client: Client, settings: object) -> None:
    settings.SHEGONG_LOGIN_IP_LIMIT = 3  # type: ignore[attr-defined]
    user = world.user(Role.INTAKE)
    for n in range(3):
        post_login(client, f"someone-{n}", WRONG)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert _session_user_id(client) is None
    # the throttled attempt did not count against the account
    assert not LoginFailure.objects.filter(username=user.username.lower(), failures__gt=0).exists()
    # another address is not affected
    other = post_login(Client(), user.username, PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    assert (
        AuditEvent.objects.filter(action=AccountsAction.LOGIN_FAILED, changes__reason="ip_throttled").count()
        == 1
    )


def test_inactive_account_cannot_log_in(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    services.user_disable(user=user, actor=None)
    assert post_login(client, user.username, PASSWORD).status_code == 200
    assert _session_user_id(client) is None


def test_admin_login_form_is_replaced_by_the_policy_login(db: None, client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/admin/")
    # posting credentials to the admin's URL does not log anyone in
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302
    assert _session_user_id(client) is None
