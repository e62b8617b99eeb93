"""Accounts: login and own-security pages, account management pages and the accounts API."""

from __future__ import annotations

from typing import Any

from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken, Grant, LoginFailure, User
from tests.security.matrix.registry import EVERYONE, Case, Fx, register
from tests.security.matrix.roles import ALL_ROLES, SECURITY, USER_MANAGE, USER_VIEW

WATCH = (User, Grant, ApiToken, LoginFailure)


def _account(fx: Fx, side: str, marker: str) -> User:
    """A staff account whose home division is the side's street, holding a role there."""
    user = User.objects.create_user(
        username=f"acct{marker.lower()}",
        password=None,
        real_name=f"姓名{marker}",
        phone="13912345678",
        division=fx.division(side),
    )
    Grant.objects.create(user=user, role=Role.SOCIAL_WORKER, division=fx.division(side))
    return user


def _nothing(fx: Fx, side: str, marker: str) -> Any:
    return None


def own(endpoint: str, url: str, **kwargs: Any) -> Case:
    """A page about the caller's own account: the same answer on both sides."""
    kwargs.setdefault("ok", ALL_ROLES)
    return Case(endpoint, _nothing, lambda obj: url, listing=True, watch=WATCH, **kwargs)


def _grant_of(obj: User) -> int:
    return Grant.objects.filter(user=obj).values_list("pk", flat=True).get()


register(
    # --- login and the caller's own security (no object: the out marker must simply never appear) ---
    own("accounts:login", "/accounts/login/", ok=EVERYONE, public="the login form"),
    own(
        "accounts:login",
        "/accounts/login/",
        method="post",
        ok=EVERYONE,
        public="the login form's answer",
        payload=lambda obj: {"username": "nobody-here", "password": "wrong-password-1"},
    ),
    own("accounts:login_totp", "/accounts/login/totp/", ok=EVERYONE, status=302, public="back to login"),
    own(
        "accounts:login_totp",
        "/accounts/login/totp/",
        method="post",
        ok=EVERYONE,
        status=302,
        payload=lambda obj: {"code": "123456"},
        public="back to login (no password step pending)",
    ),
    own(
        "accounts:login_enrol", "/accounts/login/totp/setup/", ok=EVERYONE, status=302, public="back to login"
    ),
    own(
        "accounts:login_enrol",
        "/accounts/login/totp/setup/",
        method="post",
        ok=EVERYONE,
        status=302,
        payload=lambda obj: {"code": "123456"},
        public="back to login (no password step pending)",
    ),
    own("accounts:logout", "/accounts/logout/", method="post", ok=EVERYONE, status=302, public="logs out"),
    own("accounts:password_change", "/accounts/password/"),
    own(
        "accounts:password_change",
        "/accounts/password/",
        method="post",
        payload=lambda obj: {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    ),
    own("accounts:security", "/accounts/security/"),
    own("accounts:totp_enrol", "/accounts/security/totp/"),
    own(
        "accounts:totp_enrol",
        "/accounts/security/totp/",
        method="post",
        payload=lambda obj: {"code": "000000"},
    ),
    own(
        "accounts:totp_disable",
        "/accounts/security/totp/disable/",
        method="post",
        status=302,
        payload=lambda obj: {"code": "000000"},
    ),
    # --- account management pages ---
    Case("accounts:user_list", _account, lambda obj: "/accounts/users/", ok=USER_VIEW, listing=True),
    Case(
        "accounts:user_list",
        _account,
        lambda obj: f"/accounts/users/?q={obj.real_name[:8]}",
        ok=USER_VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "accounts:user_list",
        _account,
        lambda obj: "/accounts/users/?q=13912345678",
        ok=USER_VIEW,
        listing=True,
        label="search by phone",
    ),
    Case("accounts:user_detail", _account, lambda obj: f"/accounts/users/{obj.pk}/", ok=USER_VIEW),
    Case(
        "accounts:user_detail",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/",
        method="post",
        ok=USER_MANAGE,
        payload=lambda obj: {"reveal_field": "phone", "reason": "核实联系方式"},
        per_role=dict.fromkeys(USER_VIEW - USER_MANAGE, 403),
        watch=WATCH,
        label="reveal phone",
    ),
    Case("accounts:user_create", _account, lambda obj: "/accounts/users/new/", ok=USER_MANAGE, listing=True),
    Case(
        "accounts:user_create",
        _account,
        lambda obj: "/accounts/users/new/",
        method="post",
        ok=USER_MANAGE,
        status=302,
        out_status=200,
        watch=WATCH,
        payload=lambda obj: {
            "username": f"new{obj.username}",
            "real_name": "新用户",
            "phone": "",
            "division": obj.division_id,
            "password": "Correct-Horse-42-new",
        },
    ),
    Case(
        "accounts:grant_add",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/grants/",
        method="post",
        ok=USER_MANAGE,
        status=302,
        watch=WATCH,
        payload=lambda obj: {"role": Role.VOLUNTEER, "division": obj.division_id, "unit": ""},
    ),
    Case(
        "accounts:grant_remove",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/grants/{_grant_of(obj)}/remove/",
        method="post",
        ok=USER_MANAGE,
        status=302,
        watch=WATCH,
    ),
    Case(
        "accounts:user_unlock",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/unlock/",
        method="post",
        ok=SECURITY,
        status=302,
        watch=WATCH,
    ),
    Case(
        "accounts:user_totp_off",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/totp-off/",
        method="post",
        ok=SECURITY,
        status=302,
        watch=WATCH,
    ),
    Case(
        "accounts:user_disable",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/disable/",
        method="post",
        ok=USER_MANAGE,
        status=302,
        watch=WATCH,
    ),
    Case(
        "accounts:user_reset_password",
        _account,
        lambda obj: f"/accounts/users/{obj.pk}/password/",
        method="post",
        ok=USER_MANAGE,
        status=302,
        watch=WATCH,
        payload=lambda obj: {"password": "Temporary-Pass-77"},
    ),
    # --- API ---
    Case("GET /api/v1/accounts/me", _nothing, lambda obj: "/api/v1/accounts/me", ok=ALL_ROLES, listing=True),
    Case(
        "GET /api/v1/accounts/users",
        _account,
        lambda obj: "/api/v1/accounts/users",
        ok=USER_VIEW,
        listing=True,
    ),
    Case(
        "GET /api/v1/accounts/users",
        _account,
        lambda obj: f"/api/v1/accounts/users?q={obj.real_name[:8]}",
        ok=USER_VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "GET /api/v1/accounts/users",
        _account,
        lambda obj: "/api/v1/accounts/users?q=13912345678",
        ok=USER_VIEW,
        listing=True,
        label="search by phone",
    ),
    Case(
        "GET /api/v1/accounts/users/{user_id}",
        _account,
        lambda obj: f"/api/v1/accounts/users/{obj.pk}",
        ok=USER_VIEW,
    ),
    Case(
        "POST /api/v1/accounts/users/{user_id}/reveal-phone",
        _account,
        lambda obj: f"/api/v1/accounts/users/{obj.pk}/reveal-phone",
        method="post",
        ok=USER_MANAGE,
        payload=lambda obj: {"reason": "核实联系方式"},
        watch=WATCH,
    ),
)
