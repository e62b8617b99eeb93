"""The audit log over the API (/api/v1/audit): read-only, for auditors, with the page's filters.

An auditor's scope is their AUDIT_VIEW grants; a division filter outside it and an event outside it are
404, a caller without AUDIT_VIEW anywhere gets 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from shegong.core.api import ApiError, Page, paginate
from shegong.core.audit import action_label
from shegong.core.forms import AuditFilterForm, audit_events_visible_to
from shegong.core.models import AuditEvent
from shegong.core.permissions import CorePerm
from shegong.core.scoping import require_any_scope

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    actor_role: str
    action: str
    action_label: str
    outcome: str
    target_type: str
    target_id: str
    target_label: str
    division_code: str
    changes: dict[str, Any]
    ip: str | None
    request_id: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_action_label(obj: AuditEvent) -> str:
        return action_label(obj.action)


class AuditFilterIn(Schema):
    since: dt.date | None = None
    until: dt.date | None = None
    actor: str = ""
    action: str = ""
    outcome: str = ""
    division: str = ""
    target_type: str = ""
    target_id: str = ""
    page: int = 1
    page_size: int = 50


@router.get("", response=Page[AuditEventOut], summary="List audit events (newest first)")
def list_events(request: HttpRequest, filters: Query[AuditFilterIn]) -> dict[str, Any]:
    require_any_scope(request.user, CorePerm.AUDIT_VIEW)
    data = filters.dict(exclude={"page", "page_size"})
    form = AuditFilterForm({k: ("" if v is None else v) for k, v in data.items()}, user=request.user)
    if not form.is_valid():
        if form.is_out_of_scope():
            raise Http404
        # A filter value that is not valid is a malformed query, like a schema violation: 400.
        raise ApiError(
            400,
            "invalid_input",
            _("Some fields are not valid."),
            {"fields": {k: [str(m) for m in v] for k, v in form.errors.items()}},
        )
    return paginate(form.events(), page=filters.page, page_size=filters.page_size)


@router.get("/{event_id}", response=AuditEventOut, summary="One audit event")
def get_event(request: HttpRequest, event_id: int) -> AuditEvent:
    require_any_scope(request.user, CorePerm.AUDIT_VIEW)
    return get_object_or_404(audit_events_visible_to(request.user), pk=event_id)
