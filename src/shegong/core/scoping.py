"""Data scope by jurisdiction: every scoped read goes through `visible_to(user, perm)`.

A user's grants give division prefixes per permission; a record is visible when its division code starts
with one of them. Prefix matching is written as a range (code between prefix+'000…' and prefix+'999…') so
that the plain B-tree index on the division column serves it on SQLite and PostgreSQL alike.

Failing closed: while a request is being served (`scope_guard`), `Model.objects.all()` on a scoped model
raises `UnscopedQueryError`; code must say either `.visible_to(user, perm)` or, where a service already
holds an authorised object, `.unscoped()`. Django's own machinery (validation, admin, related
descriptors) uses the model's plain default manager, declared as `all_objects`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.db.models import Model

_M = TypeVar("_M", bound="Model")

_guard: ContextVar[bool] = ContextVar("shegong_scope_guard", default=False)


class UnscopedQueryError(RuntimeError):
    """A scoped model was queried without a scope while serving a request."""


class ScopeUser(Protocol):
    """What scoping needs from a user object (accounts.User implements it)."""

    is_authenticated: bool

    def scope_prefixes(self, perm: str) -> list[str]: ...


@contextmanager
def scope_guard() -> Iterator[None]:
    token = _guard.set(True)
    try:
        yield
    finally:
        _guard.reset(token)


@contextmanager
def scopes_disabled() -> Iterator[None]:
    """For commands, migrations and tests that legitimately read everything."""
    token = _guard.set(False)
    try:
        yield
    finally:
        _guard.reset(token)


def prefixes_for(user: Any, perm: str) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    prefixes: list[str] = user.scope_prefixes(str(perm))
    return prefixes


def division_q(field: str, prefixes: Sequence[str]) -> models.Q:
    """Q matching rows whose `field` (a 12-digit code column) lies in any of the prefixes' subtrees."""
    if "" in prefixes:
        return models.Q()  # a nationwide grant
    q = models.Q(pk__in=[])
    for prefix in minimal_prefixes(prefixes):
        q |= models.Q(**{f"{field}__gte": prefix.ljust(12, "0"), f"{field}__lte": prefix.ljust(12, "9")})
    return q


def minimal_prefixes(prefixes: Sequence[str]) -> list[str]:
    """Drop prefixes covered by a shorter one: 2101 makes 210105 redundant."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return kept


def covers(prefixes: Sequence[str], code: str | None) -> bool:
    if code is None:
        return "" in prefixes
    return any(code.startswith(p) for p in prefixes)


class ScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    division_field: str = "division"

    def visible_to(self, user: Any, perm: str) -> ScopedQuerySet[_M]:
        return self.filter(division_q(self._code_column(), prefixes_for(user, perm)))

    def in_subtree(self, prefix: str) -> ScopedQuerySet[_M]:
        return self.filter(division_q(self._code_column(), [prefix]))

    def _code_column(self) -> str:
        field = self.model._meta.get_field(self.division_field)
        # a ForeignKey to Division stores the code itself in <name>_id
        return f"{self.division_field}_id" if field.is_relation else self.division_field


class ScopedManager(models.Manager[_M], Generic[_M]):
    """Manager for division-scoped models; refuses unscoped queries while a request is served."""

    def __init__(self, *, division_field: str = "division") -> None:
        super().__init__()
        self.division_field = division_field

    def deconstruct(self) -> tuple[bool, str | None, str | None, tuple[Any, ...], dict[str, Any]]:
        as_manager, path, qs_path, args, _kwargs = super().deconstruct()
        return as_manager, path, qs_path, tuple(args or ()), {"division_field": self.division_field}

    def _raw(self) -> ScopedQuerySet[_M]:
        qs: ScopedQuerySet[_M] = ScopedQuerySet(self.model, using=self._db)
        qs.division_field = self.division_field
        return qs

    def get_queryset(self) -> ScopedQuerySet[_M]:
        if _guard.get():
            raise UnscopedQueryError(
                f"{self.model.__name__}.objects used without a scope during a request; "
                "use .visible_to(user, perm) or, inside a service holding an authorised object, .unscoped()"
            )
        return self._raw()

    def visible_to(self, user: Any, perm: str) -> ScopedQuerySet[_M]:
        return self._raw().visible_to(user, perm)

    def unscoped(self) -> ScopedQuerySet[_M]:
        return self._raw()


def division_code_of(obj: models.Model) -> str | None:
    """The 12-digit division code a scoped object belongs to (None: nationwide)."""
    manager = getattr(type(obj), "objects", None)
    field = getattr(manager, "division_field", "division")
    try:
        model_field = obj._meta.get_field(field)
    except FieldDoesNotExist:
        return None
    value = getattr(obj, f"{field}_id" if model_field.is_relation else field)
    return str(value) if value else None


def has_perm_on(user: Any, perm: str, obj: models.Model) -> bool:
    return covers(prefixes_for(user, perm), division_code_of(obj))


def get_visible_or_404(
    model: type[_M], *, user: Any, perm: str, action_perm: str | None = None, **lookup: Any
) -> _M:
    """The object if `user` may see it under `perm` (else 404), and may do `action_perm` on it (else 403)."""
    manager = model.objects  # type: ignore[attr-defined]
    try:
        obj: _M = manager.visible_to(user, perm).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
    if action_perm is not None and not has_perm_on(user, action_perm, obj):
        raise PermissionDenied
    return obj


def require_any_scope(user: Any, perm: str) -> list[str]:
    """Prefixes for a list endpoint; a user holding `perm` nowhere gets 403 rather than an empty list."""
    prefixes = prefixes_for(user, perm)
    if not prefixes:
        raise PermissionDenied
    return prefixes
