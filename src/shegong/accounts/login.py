"""The login policy: per-IP throttle, per-username lockout, audit rows, and the second-factor step.

Lockout is keyed on the lower-cased username typed, whether or not an account has it, so being locked out
says nothing about which names exist. Each attempt is counted *before* the password is checked (and
forgiven when it succeeds), so a burst of parallel guesses cannot slip past the limit while the slow
password hash runs; the row lock is held only for the short counter updates, never during hashing.

With a second factor the password step only remembers the account in the session ("pending"); only the
TOTP step calls `django.contrib.auth.login`. Wrong codes count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from shegong.accounts import services
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.models import LoginFailure, User
from shegong.core import audit, ratelimit
from shegong.core.middleware import client_ip
from shegong.core.models import AuditEvent

PENDING_SESSION_KEY = "_sg_pending_login"
LAST_ACTIVITY_SESSION_KEY = "_sg_last_activity"
PENDING_TTL_SECONDS = 300
_FAILURE = AuditEvent.Outcome.FAILURE


class Outcome(enum.Enum):
    LOGGED_IN = "logged_in"
    SECOND_FACTOR = "second_factor"  # password accepted, the TOTP code comes next
    ENROL = "enrol"  # password accepted, a second factor must be set up first
    INVALID = "invalid"
    LOCKED = "locked"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: User | None = None
    minutes_left: int = 0


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


# --- the failure counter (short transactions) ------------------------------------------------------------
@transaction.atomic
def _reserve(key: str, now: datetime) -> int:
    """Count this attempt as a failure in advance; return minutes of lock left (0: the attempt may go on)."""
    row, _ = LoginFailure.objects.select_for_update().get_or_create(username=key)
    if row.locked_until is not None:
        if row.locked_until > now:
            return _minutes_until(row.locked_until, now)
        row.failures, row.locked_until = 0, None  # the lock has run out: a fresh series
    if row.failures >= settings.SHEGONG_LOGIN_MAX_FAILURES:
        # Earlier attempts still in flight have used up the allowance.
        return settings.SHEGONG_LOGIN_LOCKOUT_MINUTES
    row.failures += 1
    row.save(update_fields=["failures", "locked_until"])
    return 0


@transaction.atomic
def _forgive(key: str, *, reset: bool) -> None:
    """A correct answer: clear the series (`reset`) or only take back this attempt's advance count."""
    row = LoginFailure.objects.select_for_update().filter(username=key).first()
    if row is None:
        return
    if reset:
        row.failures, row.locked_until = 0, None
    else:
        row.failures = max(0, row.failures - 1)
    row.save(update_fields=["failures", "locked_until"])


@transaction.atomic
def _fail(key: str, now: datetime) -> datetime | None:
    """A wrong answer (already counted): lock when the limit is reached; return the new lock's end."""
    row = LoginFailure.objects.select_for_update().get(username=key)
    row.last_failure_at = now
    locked_until = None
    if row.failures >= settings.SHEGONG_LOGIN_MAX_FAILURES and (
        row.locked_until is None or row.locked_until <= now
    ):
        locked_until = row.locked_until = now + timedelta(minutes=settings.SHEGONG_LOGIN_LOCKOUT_MINUTES)
    row.save(update_fields=["last_failure_at", "locked_until"])
    return locked_until


# --- audit ------------------------------------------------------------------------------------------------
def _audit_failure(label: str, target: User | None, reason: str, **extra: Any) -> None:
    audit.record(
        action=AccountsAction.LOGIN_FAILED,
        actor_label=label,
        target=target,
        target_label=label,
        outcome=_FAILURE,
        changes={"reason": reason, **extra},
    )


def _audit_locked(label: str, target: User | None, until: datetime) -> None:
    audit.record(
        action=AccountsAction.LOGIN_LOCKED,
        actor_label=label,
        target=target,
        target_label=label,
        outcome=_FAILURE,
        changes={"locked_until": until.isoformat(), "failures": settings.SHEGONG_LOGIN_MAX_FAILURES},
    )


def _throttled(request: HttpRequest, label: str) -> LoginResult | None:
    ip = client_ip(request) or "unknown"
    limit = settings.SHEGONG_LOGIN_IP_LIMIT
    result = ratelimit.hit(f"login-ip:{ip}", limit=limit, window=settings.SHEGONG_LOGIN_IP_WINDOW_SECONDS)
    if result.allowed:
        return None
    if result.count == limit + 1:
        # One audit row per address and window: a flood must not flood the audit log too.
        _audit_failure(label, None, "ip_throttled", ip=ip)
    return LoginResult(Outcome.THROTTLED, minutes_left=max(1, math.ceil(result.retry_after_seconds / 60)))


def _wrong_answer(key: str, label: str, target: User | None, reason: str, now: datetime) -> LoginResult:
    locked_until = _fail(key, now)
    _audit_failure(label, target, reason)
    if locked_until is not None:
        _audit_locked(label, target, locked_until)
        return LoginResult(Outcome.LOCKED, minutes_left=_minutes_until(locked_until, now))
    return LoginResult(Outcome.INVALID)


# --- the steps --------------------------------------------------------------------------------------------
def needs_enrolment(user: User) -> bool:
    """A staff account without a second factor while SHEGONG_TOTP_REQUIRED_FOR_STAFF is on (the production
    default): the password step sends it to enrolment, and the login completes only with a valid code."""
    return not user.totp_enabled and services.second_factor_required(user)


def authenticate_with_policy(request: HttpRequest, username: str, password: str) -> LoginResult:
    """The password step. Logs in directly, or leaves a pending login for the second-factor step."""
    label = username.strip()[:150]
    key = _key(username)
    throttled = _throttled(request, label)
    if throttled is not None:
        return throttled
    if not key or not password:
        return LoginResult(Outcome.INVALID)
    now = timezone.now()
    account = User.objects.filter(username__iexact=key).first()
    minutes = _reserve(key, now)
    if minutes:
        _audit_failure(label, account, "locked")
        return LoginResult(Outcome.LOCKED, minutes_left=minutes)
    # The typed name's case does not matter; a missing account still costs one password hash (ModelBackend).
    user = authenticate(request, username=account.username if account else label, password=password)
    if user is None:
        return _wrong_answer(key, label, account, "bad_credentials", now)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    if user.totp_enabled or needs_enrolment(user):
        # Only the attempt is forgiven: the series stays, so wrong codes cannot be retried forever by
        # re-entering the password.
        _forgive(key, reset=False)
        _set_pending(request, user, enrol=not user.totp_enabled)
        return LoginResult(Outcome.SECOND_FACTOR if user.totp_enabled else Outcome.ENROL, user=user)
    _forgive(key, reset=True)
    complete_login(request, user)
    return LoginResult(Outcome.LOGGED_IN, user=user)


def verify_second_factor(request: HttpRequest, code: str) -> LoginResult:
    """The TOTP step after a pending password step."""
    user = pending_user(request)
    if user is None or not user.totp_enabled:
        return LoginResult(Outcome.INVALID)
    return _code_step(request, user, lambda: services.totp_consume(user=user, code=code))


def enrol_second_factor(request: HttpRequest, secret: str, code: str) -> LoginResult:
    """Forced enrolment during login: the first valid code both enables the factor and logs in."""
    user = pending_user(request, enrol=True)
    if user is None:
        return LoginResult(Outcome.INVALID)

    def check() -> bool:
        try:
            services.totp_enable(user=user, secret=secret, code=code, actor=user)
        except ValidationError:
            return False
        return True

    return _code_step(request, user, check)


def _code_step(request: HttpRequest, user: User, check: Any) -> LoginResult:
    label = user.username
    throttled = _throttled(request, label)
    if throttled is not None:
        return throttled
    key, now = _key(user.username), timezone.now()
    minutes = _reserve(key, now)
    if minutes:
        clear_pending(request)
        _audit_failure(label, user, "locked")
        return LoginResult(Outcome.LOCKED, minutes_left=minutes)
    if not check():
        result = _wrong_answer(key, label, user, "bad_second_factor", now)
        if result.outcome is Outcome.LOCKED:
            clear_pending(request)
        return result
    _forgive(key, reset=True)
    clear_pending(request)
    complete_login(request, user)
    return LoginResult(Outcome.LOGGED_IN, user=user)


def complete_login(request: HttpRequest, user: User) -> None:
    backend = getattr(user, "backend", None) or settings.AUTHENTICATION_BACKENDS[0]
    login(request, user, backend=backend)
    request.session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
    audit.record(action=AccountsAction.LOGIN_SUCCEEDED, actor=user, target=user)


# --- the pending login in the session ---------------------------------------------------------------------
def _set_pending(request: HttpRequest, user: User, *, enrol: bool) -> None:
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "uid": user.pk,
        "at": int(time.time()),
        "enrol": enrol,
        "backend": getattr(user, "backend", ""),
    }


def pending_user(request: HttpRequest, *, enrol: bool = False) -> User | None:
    """The account whose password was just accepted, if that was less than five minutes ago."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict) or bool(data.get("enrol")) != enrol:
        return None
    if time.time() - float(data.get("at", 0)) > PENDING_TTL_SECONDS:
        clear_pending(request)
        return None
    uid = data.get("uid")
    if not isinstance(uid, int):
        return None
    user = User.objects.filter(pk=uid, is_active=True).first()
    if user is not None and data.get("backend"):
        user.backend = data["backend"]  # type: ignore[attr-defined]  # what django.contrib.auth.login reads
    return user


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
