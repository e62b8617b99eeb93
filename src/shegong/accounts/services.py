"""Every write to accounts: keyword-only, typed, one transaction each, audit row inside it.

Services re-check the actor's scope when an actor is given (defence in depth behind the views): an
administrator can only create, change or grant within the divisions their own USER_MANAGE grants cover, and
never change their own roles. Commands and the demo seeder pass `actor=None`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import totp
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import SEPARATED_ROLES, STAFF_ROLES, AccountsPerm, Role
from shegong.accounts.models import ApiToken, Grant, LoginFailure, User
from shegong.core import audit
from shegong.core.api import token_hash
from shegong.core.pii import mask_phone
from shegong.core.reveal import reveal
from shegong.core.scoping import covers, prefixes_for
from shegong.core.unset import UNSET, Unset
from shegong.divisions.models import Division, Unit


# --- helpers ---------------------------------------------------------------------------------------------
def _require_scope(actor: Any, perm: str, division: Division | None) -> None:
    """PermissionDenied unless `actor` (when given) holds `perm` over `division` (None: nationwide)."""
    if actor is None:
        return
    if not covers(prefixes_for(actor, perm), division.code if division is not None else None):
        raise PermissionDenied


def _check_password(password: str, user: User, *, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


def _locked(user: User) -> User:
    """Re-read the account with a row lock so concurrent writes to it queue up."""
    return User.objects.select_for_update().get(pk=user.pk)


def _division_code(division: Division | None) -> str:
    return division.code if division is not None else ""


# --- accounts ---------------------------------------------------------------------------------------------
@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    real_name: str = "",
    phone: str = "",
    division: Division | None = None,
    unit: Unit | None = None,
    must_change_password: bool = True,
    is_demo: bool = False,
) -> User:
    """Create an account in `division`. Without a password the account cannot log in until one is set."""
    _require_scope(actor, AccountsPerm.USER_MANAGE, division)
    user = User(
        username=username.strip(),
        real_name=real_name.strip(),
        phone=phone.strip(),
        division=division,
        unit=unit,
        must_change_password=must_change_password,
        is_demo=is_demo,
    )
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit.record(
        action=AccountsAction.USER_CREATED,
        actor=actor,
        target=user,
        changes={
            "username": user.username,
            "real_name": user.real_name,
            "phone": mask_phone(user.phone) if user.phone else "",
            "division": _division_code(division),
            "unit": unit.pk if unit is not None else None,
        },
    )
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: Any,
    real_name: str | None = None,
    phone: str | None = None,
    division: Division | Unset | None = UNSET,
    unit: Unit | Unset | None = UNSET,
) -> User:
    """Change an account's profile; only the fields passed change. The audit row records old → new."""
    locked = _locked(user)
    _require_scope(actor, AccountsPerm.USER_MANAGE, locked.division)
    changes: dict[str, Any] = {}
    if real_name is not None and real_name.strip() != locked.real_name:
        changes["real_name"] = [locked.real_name, real_name.strip()]
        locked.real_name = real_name.strip()
    if phone is not None and phone.strip() != locked.phone:
        # Phone numbers appear in the audit log masked only.
        changes["phone"] = [mask_phone(locked.phone or ""), mask_phone(phone.strip())]
        locked.phone = phone.strip()
    if not isinstance(division, Unset) and division != locked.division:
        _require_scope(actor, AccountsPerm.USER_MANAGE, division)
        changes["division"] = [locked.division_id or "", _division_code(division)]
        locked.division = division
    if not isinstance(unit, Unset) and unit != locked.unit:
        changes["unit"] = [locked.unit_id, unit.pk if unit is not None else None]
        locked.unit = unit
    locked.full_clean()
    if changes:
        locked.save()
        audit.record(action=AccountsAction.USER_UPDATED, actor=actor, target=locked, changes=changes)
    return locked


@transaction.atomic
def user_disable(*, user: User, actor: Any) -> User:
    """Disable an account: its sessions and API tokens stop working at once (both check `is_active`)."""
    locked = _locked(user)
    _require_scope(actor, AccountsPerm.USER_MANAGE, locked.division)
    if actor is not None and actor.pk == locked.pk:
        raise ValidationError(_("You cannot disable your own account."))
    if locked.is_active:
        locked.is_active = False
        locked.full_clean()
        locked.save(update_fields=["is_active"])
        audit.record(action=AccountsAction.USER_DISABLED, actor=actor, target=locked)
    return locked


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: Any, must_change: bool = False) -> User:
    """Set a new password after checking the password rules.

    Changing the password changes the session auth hash, so every other session of the account stops
    authenticating on its next request (Django checks the hash per request); the view keeps the current
    session with `update_session_auth_hash`. `must_change=True` (an administrator's reset) makes the user
    choose their own password at next login.
    """
    locked = _locked(user)
    by_other = actor is not None and actor.pk != locked.pk
    if by_other:
        _require_scope(actor, AccountsPerm.USER_MANAGE, locked.division)
    _check_password(password, locked)
    if locked.has_usable_password() and locked.check_password(password):
        raise ValidationError({"password": [_("The new password must differ from the current one.")]})
    locked.set_password(password)
    locked.password_changed_at = timezone.now()
    locked.must_change_password = must_change
    locked.full_clean()
    locked.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit.record(
        action=AccountsAction.PASSWORD_RESET if by_other else AccountsAction.PASSWORD_CHANGED,
        actor=actor,
        target=locked,
    )
    # The caller's object must carry the new hash too (update_session_auth_hash reads it).
    user.password, user.password_changed_at = locked.password, locked.password_changed_at
    user.must_change_password = locked.must_change_password
    return locked


# --- grants -----------------------------------------------------------------------------------------------
@transaction.atomic
def grant_add(
    *, user: User, role: str, division: Division | None, actor: Any, unit: Unit | None = None
) -> Grant:
    """Give `user` the `role` over `division` (None: nationwide), optionally for one unit.

    三权分立: the platform administrator, security administrator and auditor roles are mutually exclusive.
    The account row is locked first, so two concurrent grants cannot both pass the check.
    """
    locked = _locked(user)
    role = Role(role)
    if actor is not None and actor.pk == locked.pk:
        raise ValidationError(_("You cannot change your own roles."))
    _require_scope(actor, AccountsPerm.USER_MANAGE, locked.division)
    _require_scope(actor, AccountsPerm.USER_MANAGE, division)
    if role in SEPARATED_ROLES:
        clash = (
            Grant.objects.filter(user=locked, is_active=True, role__in=[str(r) for r in SEPARATED_ROLES])
            .exclude(role=role)
            .values_list("role", flat=True)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "role": _(
                        "{role} cannot be combined with {other}: the administrator, security and audit "
                        "duties must be held by different people."
                    ).format(role=role.label, other=Role(clash).label)
                }
            )
    if unit is not None and division is not None and not unit.division_id.startswith(division.prefix):
        raise ValidationError({"unit": _("The unit must lie within the division of the grant.")})
    grant = Grant.objects.filter(
        user=locked, role=role, division=division, unit=unit, is_active=False
    ).first()
    if grant is not None:
        grant.is_active = True
    else:
        grant = Grant(user=locked, role=role, division=division, unit=unit)
    grant.full_clean()
    grant.save()
    user.invalidate_grant_cache()
    audit.record(
        action=AccountsAction.GRANT_ADDED,
        actor=actor,
        target=grant,
        target_label=f"{locked.username} · {role.label}",
        changes={"role": str(role), "division": _division_code(division), "unit": unit.pk if unit else None},
    )
    return grant


@transaction.atomic
def grant_remove(*, grant: Grant, actor: Any) -> None:
    """Withdraw a grant (the row is deleted; the audit log keeps what it was)."""
    locked = _locked(grant.user)
    if actor is not None and actor.pk == locked.pk:
        raise ValidationError(_("You cannot change your own roles."))
    _require_scope(actor, AccountsPerm.USER_MANAGE, locked.division)
    _require_scope(actor, AccountsPerm.USER_MANAGE, grant.division)
    audit.record(
        action=AccountsAction.GRANT_REMOVED,
        actor=actor,
        target=grant,
        target_label=f"{locked.username} · {grant.get_role_display()}",
        changes={"role": grant.role, "division": grant.division_id or "", "unit": grant.unit_id},
    )
    grant.delete()
    grant.user.invalidate_grant_cache()


# --- second factor ----------------------------------------------------------------------------------------
@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str, actor: Any) -> User:
    """Turn on the second factor with a new secret, proven by a valid code from the user's app."""
    locked = _locked(user)
    step = totp.matching_step(secret, code, after_step=0)
    if step is None:
        raise ValidationError(
            {"code": [_("The code is not valid. Check the time on your phone and try again.")]}
        )
    locked.totp_secret = secret
    locked.totp_enabled = True
    locked.totp_last_step = step  # the enrolment code cannot be used again to log in
    locked.full_clean()
    locked.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
    audit.record(action=AccountsAction.TOTP_ENABLED, actor=actor, target=locked)
    user.totp_secret, user.totp_enabled, user.totp_last_step = secret, True, step
    return locked


def second_factor_required(user: User) -> bool:
    """True when SHEGONG_TOTP_REQUIRED_FOR_STAFF is on and the account holds a staff role (STAFF_ROLES)."""
    return bool(settings.SHEGONG_TOTP_REQUIRED_FOR_STAFF) and bool(set(user.roles()) & set(STAFF_ROLES))


@transaction.atomic
def totp_disable(*, user: User, actor: Any) -> User:
    """Turn off the second factor (the user themself, or a security administrator when a phone is lost).

    Where the factor is required (`second_factor_required`), the user cannot turn it off themself; after a
    security administrator's reset the next login sets up a new one before it completes."""
    locked = _locked(user)
    if actor is not None and actor.pk != locked.pk:
        _require_scope(actor, AccountsPerm.SECURITY_POLICY, locked.division)
    elif second_factor_required(locked):
        raise ValidationError(
            {
                "code": [
                    _(
                        "Staff accounts must keep the second factor on. If you lost your phone, ask the "
                        "security administrator to reset it."
                    )
                ]
            }
        )
    locked.totp_secret = ""
    locked.totp_enabled = False
    locked.full_clean()
    locked.save(update_fields=["totp_secret", "totp_enabled"])
    audit.record(action=AccountsAction.TOTP_DISABLED, actor=actor, target=locked)
    user.totp_secret, user.totp_enabled = "", False
    return locked


@transaction.atomic
def totp_consume(*, user: User, code: str) -> bool:
    """Accept `code` once: its step must be later than the last one used (no replay, even concurrently)."""
    locked = _locked(user)
    if not locked.totp_enabled:
        return False
    step = totp.matching_step(locked.totp_secret, code, after_step=locked.totp_last_step)
    if step is None:
        return False
    locked.totp_last_step = step
    locked.save(update_fields=["totp_last_step"])
    user.totp_last_step = step
    return True


# --- API tokens -------------------------------------------------------------------------------------------
@transaction.atomic
def api_token_create(
    *, user: User, name: str, actor: Any, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a bearer token for `user`. The raw token is returned this once; only its SHA-256 is stored."""
    raw = "sg_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip(), prefix=raw[:8], key_hash=token_hash(raw), expires_at=expires_at
    )
    token.full_clean()
    token.save()
    audit.record(
        action=AccountsAction.API_TOKEN_CREATED,
        actor=actor,
        target=user,
        target_label=f"{user.username} · {token.name}",
        changes={
            "token": token.pk,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            action=AccountsAction.API_TOKEN_REVOKED,
            actor=actor,
            target=locked.user,
            target_label=f"{locked.user.username} · {locked.name}",
            changes={"token": locked.pk, "prefix": locked.prefix},
        )
    return locked


# --- lockouts ---------------------------------------------------------------------------------------------
@transaction.atomic
def account_unlock(*, username: str, actor: Any) -> bool:
    """Clear the failed-login counter and lock of `username` (security administrator).

    Returns True if the name was locked.
    """
    key = username.strip().lower()
    target = User.objects.filter(username__iexact=key).first()
    if target is not None:
        _require_scope(actor, AccountsPerm.SECURITY_POLICY, target.division)
    elif actor is not None and "" not in prefixes_for(actor, AccountsPerm.SECURITY_POLICY):
        # A name with no account belongs to no division: only a nationwide security administrator.
        raise PermissionDenied
    row = LoginFailure.objects.select_for_update().filter(username=key).first()
    was_locked = row is not None and row.locked_until is not None and row.locked_until > timezone.now()
    if row is not None:
        row.failures = 0
        row.locked_until = None
        row.save(update_fields=["failures", "locked_until"])
    audit.record(
        action=AccountsAction.ACCOUNT_UNLOCKED,
        actor=actor,
        target=target,
        target_label=key,
        changes={"was_locked": was_locked},
    )
    return was_locked


# --- personal data ----------------------------------------------------------------------------------------
@transaction.atomic
def reveal_user_phone(*, target: User, actor: Any, reason: str) -> str:
    """The account's phone number in full, for an actor holding USER_MANAGE over the account's division and
    giving a reason; core's reveal writes the PII_REVEALED audit row in the same transaction."""
    try:
        return reveal(actor=actor, obj=target, field="phone", reason=reason, perm=AccountsPerm.USER_MANAGE)
    except ValidationError as exc:
        raise ValidationError({"reason": exc.messages}) from exc
