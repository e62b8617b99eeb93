"""Writing audit rows. Call `record()` inside the service's transaction, so the row and the change commit
or roll back together (a failed audit write undoes the change: fail closed)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from shegong.core import request_context
from shegong.core.models import AuditEvent
from shegong.core.scoping import division_code_of

_ACTIONS: dict[str, str] = {}


class CoreAction(models.TextChoices):
    PII_REVEALED = "core.pii.revealed", _("Personal data shown in full")
    AUDIT_EXPORTED = "core.audit.exported", _("Audit log exported")
    CALENDAR_CHANGED = "core.calendar.changed", _("Holiday calendar changed")
    CALENDAR_IMPORTED = "core.calendar.imported", _("Holiday calendar imported")
    BACKUP_CREATED = "core.backup.created", _("Backup created")
    BACKUP_RESTORED = "core.backup.restored", _("Backup restored")


def register_actions(*enums: type[models.TextChoices]) -> None:
    """Each app registers its action vocabulary once (AppConfig.ready) so the audit browser can label it."""
    for enum in enums:
        for member in enum:
            _ACTIONS[member.value] = str(member.label)


def action_label(code: str) -> str:
    return _ACTIONS.get(code, code)


def action_choices() -> list[tuple[str, str]]:
    return sorted(_ACTIONS.items())


register_actions(CoreAction)


def record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    division_code: str | None = None,
    changes: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    actor_label: str = "",
) -> AuditEvent:
    if str(action) not in _ACTIONS:
        raise ValueError(f"unregistered audit action {action!r}; add it to the app's action enum")
    ctx = request_context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if division_code is None and target is not None:
        division_code = division_code_of(target)
    return AuditEvent.objects.create(
        action=str(action),
        actor=actor if is_user else None,
        actor_label=actor_label or (actor.get_username() if is_user else ""),
        actor_role=",".join(actor.roles()) if is_user and hasattr(actor, "roles") else "",
        outcome=outcome,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        division_code=division_code or "",
        changes=changes or {},
        ip=ctx.ip,
        request_id=ctx.request_id,
    )
