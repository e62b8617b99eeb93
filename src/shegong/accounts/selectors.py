"""Scoped reads of accounts. An account belongs to its home division (`User.division`); nationwide accounts
(no division) are visible only to nationwide grants."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from shegong.accounts.choices import AccountsPerm
from shegong.accounts.models import Grant, LoginFailure, User
from shegong.core.pii import PIIKind, pii_match
from shegong.core.scoping import has_perm_on, require_any_scope


def users_visible_to(*, user: Any, perm: str = AccountsPerm.USER_VIEW, q: str = "") -> QuerySet[User]:
    """Accounts in `user`'s scope for `perm`, optionally searched.

    `q` matches username or real name (contains); an 11-digit mobile number matches the phone exactly through
    its blind index (the encrypted column itself cannot be searched). A user holding `perm` nowhere gets 403.
    """
    require_any_scope(user, perm)
    qs = User.scoped.visible_to(user, perm).select_related("division", "unit").order_by("username")
    q = q.strip()
    if q:
        match = Q(username__icontains=q) | Q(real_name__icontains=q)
        digits = q.replace(" ", "").replace("-", "")
        if digits.lstrip("+").isdigit() and len(digits) >= 11:
            # Not a valid mobile number: only the text search applies. pii_match also finds rows hashed
            # under an older key while a key rotation is under way.
            with contextlib.suppress(ValidationError):
                match |= pii_match("phone_hash", PIIKind.PHONE, digits)
        qs = qs.filter(match)
    return qs


def user_get_visible(*, user: Any, pk: Any, perm: str = AccountsPerm.USER_VIEW) -> User:
    """One account: 403 if `user` holds `perm` nowhere, 404 if the account is outside their scope."""
    try:
        return (
            users_visible_to(user=user, perm=perm)
            .prefetch_related(Prefetch("grants", queryset=Grant.objects.select_related("division", "unit")))
            .get(pk=pk)
        )
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def require_perm_on(user: Any, perm: str, target: User) -> None:
    """403 unless `user` holds `perm` over the account's home division."""
    if not has_perm_on(user, perm, target):
        raise PermissionDenied


def lockout_of(username: str) -> LoginFailure | None:
    return LoginFailure.objects.filter(username=username.strip().lower()).first()
