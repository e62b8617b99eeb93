"""The second factor: login in two steps, no code replay, wrong codes lock, forced enrolment for staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from shegong.accounts import services, totp
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.core.models import AuditEvent
from tests.accounts.conftest import post_login
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.django_db


def _enrolled(world: World, role: str = Role.INTAKE) -> tuple[User, str]:
    user = world.user(role)
    secret = pyotp.random_base32()
    # enrol with the code of the previous step, so the current one is still usable in the test
    previous = pyotp.TOTP(secret).at(timezone.now() - timedelta(seconds=30))
    services.totp_enable(user=user, secret=secret, code=previous, actor=user)
    return user, secret


def _uid(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def test_password_alone_does_not_log_in(world: World, client: Client) -> None:
    user, secret = _enrolled(world)
    response = post_login(client, user.username, PASSWORD)
    assert response["Location"] == "/accounts/login/totp/"
    assert _uid(client) is None
    assert client.get("/accounts/security/").status_code == 302  # still anonymous
    response = client.post("/accounts/login/totp/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert _uid(client) == str(user.pk)
    assert AuditEvent.objects.filter(action=AccountsAction.LOGIN_SUCCEEDED, actor=user).count() == 1


def test_a_code_cannot_be_used_twice(world: World) -> None:
    user, secret = _enrolled(world)
    code = pyotp.TOTP(secret).now()
    first, second = Client(), Client()
    post_login(first, user.username, PASSWORD)
    assert first.post("/accounts/login/totp/", {"code": code}).status_code == 302
    post_login(second, user.username, PASSWORD)
    response = second.post("/accounts/login/totp/", {"code": code})
    assert response.status_code == 200
    assert _uid(second) is None
    assert AuditEvent.objects.filter(
        action=AccountsAction.LOGIN_FAILED, changes__reason="bad_second_factor"
    ).exists()


def test_wrong_codes_lock_the_account_even_across_password_reentry(world: World, client: Client) -> None:
    user, _secret = _enrolled(world)
    for _ in range(5):
        post_login(client, user.username, PASSWORD)
        client.post("/accounts/login/totp/", {"code": "000000"})
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 200  # locked: the password step refuses
    assert _uid(client) is None
    assert AuditEvent.objects.filter(action=AccountsAction.LOGIN_LOCKED, target_id=str(user.pk)).exists()


def test_totp_step_without_a_password_step_goes_back_to_login(world: World, client: Client) -> None:
    assert client.get("/accounts/login/totp/")["Location"] == "/accounts/login/"
    assert client.post("/accounts/login/totp/", {"code": "123456"})["Location"] == "/accounts/login/"


def test_pending_login_expires(world: World, client: Client) -> None:
    user, secret = _enrolled(world)
    post_login(client, user.username, PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        response = client.post("/accounts/login/totp/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/accounts/login/"
    assert _uid(client) is None


def test_staff_must_enrol_when_required(world: World, client: Client, settings: Any) -> None:
    settings.SHEGONG_TOTP_REQUIRED_FOR_STAFF = True
    user = world.user(Role.HANDLER)
    response = post_login(client, user.username, PASSWORD)
    assert response["Location"] == "/accounts/login/totp/setup/"
    assert _uid(client) is None
    page = client.get("/accounts/login/totp/setup/")
    assert page.status_code == 200
    assert page.context["qr"].startswith("data:image/svg+xml;base64,")
    assert page.context["uri"].startswith("otpauth://totp/")
    secret = page.context["secret"]
    assert client.post("/accounts/login/totp/setup/", {"code": "000000"}).status_code == 200
    response = client.post("/accounts/login/totp/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert _uid(client) == str(user.pk)
    user.refresh_from_db()
    assert user.totp_enabled
    assert user.totp_secret == secret


def test_volunteers_are_not_forced_to_enrol(world: World, client: Client, settings: Any) -> None:
    settings.SHEGONG_TOTP_REQUIRED_FOR_STAFF = True
    user = world.user(Role.VOLUNTEER)
    assert post_login(client, user.username, PASSWORD).status_code == 302
    assert _uid(client) == str(user.pk)


def test_self_enrolment_and_disable_need_a_code(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    client.force_login(user)
    page = client.get("/accounts/security/totp/")
    secret = page.context["secret"]
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    client.post("/accounts/security/totp/", {"code": pyotp.TOTP(secret).now()})
    user.refresh_from_db()
    assert user.totp_enabled
    client.post("/accounts/security/totp/disable/", {"code": "000000"})
    user.refresh_from_db()
    assert user.totp_enabled
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        client.post("/accounts/security/totp/disable/", {"code": pyotp.TOTP(secret).now()})
    user.refresh_from_db()
    assert not user.totp_enabled
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AccountsAction.TOTP_ENABLED, AccountsAction.TOTP_DISABLED} <= actions


def test_codes_from_far_away_steps_are_refused() -> None:
    secret = pyotp.random_base32()
    now = timezone.now()
    code = pyotp.TOTP(secret).at(now - timedelta(minutes=2))
    assert totp.matching_step(secret, code, after_step=0, now=now) is None
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now), after_step=0, now=now) == totp.current_step(
        now
    )


def test_security_admin_turns_off_a_lost_factor(world: World) -> None:
    user, _secret = _enrolled(world)
    user.division = world.home_street
    user.save()
    admin = Client()
    admin.force_login(world.user(Role.SECURITY_ADMIN, world.home))
    assert 'data-testid="totp-off-form"' in admin.get(f"/accounts/users/{user.pk}/").content.decode()
    assert admin.post(f"/accounts/users/{user.pk}/totp-off/").status_code == 302
    user.refresh_from_db()
    assert not user.totp_enabled
    platform = Client()
    platform.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    assert platform.post(f"/accounts/users/{user.pk}/totp-off/").status_code == 403


def test_full_width_digits_are_read_and_other_digits_refused() -> None:
    secret = pyotp.random_base32()
    now = timezone.now()
    code = pyotp.TOTP(secret).at(now)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)  # what a Chinese input method types
    assert totp.matching_step(secret, full_width, after_step=0, now=now) == totp.current_step(now)
    arabic_indic = "".join(chr(ord(c) - ord("0") + 0x0660) for c in code)  # digits, but not ASCII ones
    assert totp.matching_step(secret, arabic_indic, after_step=0, now=now) is None


def test_login_code_in_other_digits_is_a_clear_refusal(world: World, client: Client) -> None:
    user, _secret = _enrolled(world)
    post_login(client, user.username, PASSWORD)
    response = client.post("/accounts/login/totp/", {"code": "\u0661\u0662\u0663\u0664\u0665\u0666"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert _uid(client) is None


def test_disabling_the_factor_allows_only_a_few_tries(world: World, client: Client) -> None:
    user, secret = _enrolled(world)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(5):
        client.post("/accounts/security/totp/disable/", {"code": "000000"})
    response = client.post(
        "/accounts/security/totp/disable/", {"code": pyotp.TOTP(secret).now()}, follow=True
    )
    user.refresh_from_db()
    assert user.totp_enabled  # even the right code is refused once the tries are used up
    assert not AuditEvent.objects.filter(action=AccountsAction.TOTP_DISABLED).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert shown[-1].startswith("Too many attempts.")
