"""/api/v1/accounts: who am I, the accounts in my scope, and revealing an account's phone with a reason."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from shegong.accounts import selectors, services
from shegong.accounts.choices import Role
from shegong.accounts.models import Grant, User
from shegong.core.api import Page, paginate
from shegong.core.pii import mask_phone

router = Router(tags=["accounts"])


class RoleOut(Schema):
    value: str
    label: str


class GrantOut(Schema):
    role: RoleOut
    division_code: str | None
    division_name: str
    unit_id: int | None
    unit_name: str


class MeOut(Schema):
    id: int
    username: str
    real_name: str
    roles: list[RoleOut]
    grants: list[GrantOut]
    totp_enabled: bool


class UserOut(Schema):
    id: int
    username: str
    real_name: str
    phone_masked: str
    division_code: str | None
    division_name: str
    is_active: bool
    roles: list[RoleOut]


class UserDetailOut(UserOut):
    grants: list[GrantOut]


class RevealIn(Schema):
    reason: str = Field(max_length=200)  # the same bound as the pages' reason form (core.forms)


class RevealOut(Schema):
    phone: str


def _role(value: str) -> dict[str, str]:
    try:
        return {"value": value, "label": str(Role(value).label)}
    except ValueError:
        return {"value": value, "label": value}


def _grant(grant: Grant) -> dict[str, Any]:
    return {
        "role": _role(grant.role),
        "division_code": grant.division_id,
        "division_name": grant.division.name if grant.division is not None else _("Nationwide"),
        "unit_id": grant.unit_id,
        "unit_name": grant.unit.name if grant.unit is not None else "",
    }


def _user(user: User, *, grants: bool = False) -> dict[str, Any]:
    active = [g for g in user.grants.all() if g.is_active]
    out: dict[str, Any] = {
        "id": user.pk,
        "username": user.username,
        "real_name": user.real_name,
        "phone_masked": mask_phone(user.phone) if user.phone else "",
        "division_code": user.division_id,
        "division_name": user.division.name if user.division is not None else "",
        "is_active": user.is_active,
        "roles": [_role(r) for r in sorted({g.role for g in active})],
    }
    if grants:
        out["grants"] = [_grant(g) for g in active]
    return out


_GRANTS = Prefetch(
    "grants", queryset=Grant.objects.select_related("division", "unit").order_by("role", "division")
)


@router.get("/me", response=MeOut, summary="The calling account")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    grants = list(user.grants.filter(is_active=True).select_related("division", "unit"))
    return {
        "id": user.pk,
        "username": user.username,
        "real_name": user.real_name,
        "roles": [_role(r) for r in user.roles()],
        "grants": [_grant(g) for g in grants],
        "totp_enabled": user.totp_enabled,
    }


@router.get("/users", response=Page[UserOut], summary="Accounts in my scope")
def user_list(request: HttpRequest, q: str = "", page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """`q` searches username and real name; an 11-digit mobile number matches the phone exactly."""
    qs = selectors.users_visible_to(user=request.user, q=q).prefetch_related(_GRANTS)
    result = paginate(qs, page=page, page_size=page_size)
    result["items"] = [_user(u) for u in result["items"]]
    return result


@router.get("/users/{user_id}", response=UserDetailOut, summary="One account in my scope")
def user_detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    target = selectors.user_get_visible(user=request.user, pk=user_id)
    return _user(target, grants=True)


@router.post("/users/{user_id}/reveal-phone", response=RevealOut, summary="Show an account's phone in full")
def reveal_phone(request: HttpRequest, user_id: int, body: RevealIn) -> dict[str, str]:
    """Needs account management over the account's division and a reason (≥ 5 characters); audited."""
    target = selectors.user_get_visible(user=request.user, pk=user_id)
    # core.reveal checks USER_MANAGE over the account (403) before it looks at the reason (422).
    return {"phone": services.reveal_user_phone(target=target, actor=request.user, reason=body.reason)}
