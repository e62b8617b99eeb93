"""The auditor's pages: the audit log (filter, pages of 50, newest first), one event, and the export.

There is no page that changes or deletes an audit row, by design. Who sees what: AUDIT_VIEW held anywhere
opens the pages (else 403); rows are limited to the auditor's jurisdiction, an event outside it is a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from shegong.core import exports
from shegong.core.audit import action_label
from shegong.core.forms import AuditFilterForm, audit_events_visible_to
from shegong.core.permissions import CorePerm
from shegong.core.scoping import require_any_scope

PAGE_SIZE = 50
# The list shows "more than 10,000" instead of counting a table that only ever grows.
COUNT_CAP = 10_000
# A page number past this (50 million rows deep) is clamped: a huge one would overflow the SQL OFFSET.
MAX_PAGE = 1_000_000

View = Callable[..., HttpResponseBase]


def register_nav() -> None:
    """The sidebar entry (called from CoreConfig.ready)."""
    from shegong.web.nav import NavItem, register

    label, section = gettext_lazy("Audit log"), gettext_lazy("Security")
    register(NavItem(label, "audit:list", CorePerm.AUDIT_VIEW, section=section, order=950))


def audit_view_required(view: View) -> View:
    """Logged in (else the login page), holding AUDIT_VIEW somewhere (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        require_any_scope(request.user, CorePerm.AUDIT_VIEW)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


def _list_context(request: HttpRequest, form: AuditFilterForm) -> dict[str, Any]:
    page = _page_number(request)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [],
        "has_next": False,
        "total": 0,
        "total_capped": False,
        "query": "",
        "count_cap": COUNT_CAP,
        "export_max": exports.EXPORT_MAX_ROWS,
    }
    if not form.is_valid():
        return context
    qs = form.events()
    start = (page - 1) * PAGE_SIZE
    # One row more than a page tells whether there is a next page without counting.
    window = list(qs[start : start + PAGE_SIZE + 1])
    total = qs[: COUNT_CAP + 1].count()
    context.update(
        rows=[{"event": e, "action_label": action_label(e.action)} for e in window[:PAGE_SIZE]],
        has_next=len(window) > PAGE_SIZE,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        query=urlencode(form.active_filter()),
    )
    return context


@require_GET
@audit_view_required
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, user=request.user)
    return render(request, "core/audit_list.html", _list_context(request, form))


@require_GET
@audit_view_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(audit_events_visible_to(request.user), pk=pk)
    context = {
        "event": event,
        "action_label": action_label(event.action),
        "change_rows": change_rows(event.changes),
        "changes_json": json.dumps(event.changes, ensure_ascii=False, indent=2, sort_keys=True),
    }
    return render(request, "core/audit_detail.html", context)


@require_GET
@audit_view_required
def audit_export(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET, user=request.user)
    fmt = request.GET.get("format", "csv")
    if not form.is_valid():
        if form.is_out_of_scope():
            raise Http404  # a division outside the jurisdiction is answered like an unknown one
        return render(request, "core/audit_list.html", _list_context(request, form), status=400)
    if fmt not in exports.FORMATS:
        form.add_error(None, _("Choose CSV or Excel for the export."))
        return render(request, "core/audit_list.html", _list_context(request, form), status=400)
    plan = exports.plan_export(actor=request.user, form=form, fmt=fmt)
    return exports.csv_response(plan) if fmt == "csv" else exports.xlsx_response(plan)


# --- showing a JSON diff readably -----------------------------------------------------------------------
_PAIRS = (("before", "after"), ("old", "new"), ("from", "to"))


def _as_pair(value: Any) -> tuple[Any, Any] | None:
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, dict):
        for before, after in _PAIRS:
            if set(value) == {before, after}:
                return value[before], value[after]
    return None


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return str(value)


def change_rows(changes: Any) -> list[dict[str, Any]]:
    """One row per changed key: before → after for the diff shapes services write ([old, new],
    {"before", "after"}, {"old", "new"}), the plain value otherwise."""
    if not isinstance(changes, dict):
        return [{"key": "", "is_diff": False, "value": _text(changes)}] if changes else []
    whole = _as_pair(changes)
    if whole is not None and all(isinstance(side, dict | None) for side in whole):
        before, after = (side or {} for side in whole)
        keys = [*before, *(k for k in after if k not in before)]
        return [
            {"key": k, "is_diff": True, "before": _text(before.get(k)), "after": _text(after.get(k))}
            for k in keys
        ]
    rows = []
    for key, value in changes.items():
        pair = _as_pair(value)
        if pair is not None:
            rows.append({"key": key, "is_diff": True, "before": _text(pair[0]), "after": _text(pair[1])})
        else:
            rows.append({"key": key, "is_diff": False, "value": _text(value)})
    return rows
