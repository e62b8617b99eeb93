"""Permission vocabulary and the role → permission registry.

Each app declares its permissions as a TextChoices enum ("app:object:action") and registers which roles
hold them in its AppConfig.ready(); accounts resolves a user's grants against this registry. Keeping the
registry here lets every later module add permissions without touching accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


class CorePerm(models.TextChoices):
    AUDIT_VIEW = "core:audit:view", _("Browse and export the audit log")
    PII_REVEAL = "core:pii:reveal", _("Show personal data in full")
    CALENDAR_MANAGE = "core:calendar:manage", _("Maintain the holiday calendar")


_ROLE_PERMS: dict[str, set[str]] = defaultdict(set)
_LABELS: dict[str, str] = {}


def register(
    role_perms: Mapping[str, Iterable[str]], *, enums: Iterable[type[models.TextChoices]] = ()
) -> None:
    """Grant permissions to roles (additive; called once per app at start-up)."""
    for enum in enums:
        for member in enum:
            _LABELS[member.value] = str(member.label)
    for role, perms in role_perms.items():
        _ROLE_PERMS[str(role)].update(str(p) for p in perms)


def perms_of_role(role: str) -> frozenset[str]:
    return frozenset(_ROLE_PERMS.get(str(role), ()))


def roles_with(perm: str) -> frozenset[str]:
    return frozenset(role for role, perms in _ROLE_PERMS.items() if str(perm) in perms)


def label(perm: str) -> str:
    return _LABELS.get(str(perm), str(perm))
