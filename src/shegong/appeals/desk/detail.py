"""The appeal's desk page: every field, the clocks, the masked phone with the audited "show in full", the
whole timeline (internal entries too), returns, extensions, supervisions, and the action forms the user may
use now. `desk_action` posts one of those forms; a refused one re-renders this page around it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.desk import actions
from shegong.appeals.desk.access import appeal_or_404, may_see_identity, perm_required
from shegong.appeals.desk.clocks import clocks_of, is_overdue
from shegong.appeals.desk.forms import attach_errors
from shegong.appeals.desk.labels import actor_label, event_label
from shegong.appeals.desk.suggest import suggestion_for
from shegong.appeals.models import Appeal
from shegong.appeals.selectors import appeal_timeline, appeals_visible_to
from shegong.appeals.services import AppealConflict
from shegong.core.reveal import RevealPanel, reveal_panel
from shegong.core.scoping import has_perm_on
from shegong.divisions.selectors import division_ancestors

PHONE = "phone"


def _phone_panel(request: HttpRequest, appeal: Appeal) -> RevealPanel | None:
    """None when the worker asked to stay anonymous and the user is not intake: no digits at all."""
    if not may_see_identity(request.user, appeal):
        return None
    return reveal_panel(request, obj=appeal, field=PHONE, perm=AppealsPerm.REVEAL_PII)


def _exclude_url(user: Any, appeal: Appeal) -> str:
    """The rate-exclusion page (another page group) if it is installed and the user may exclude."""
    if not has_perm_on(user, AppealsPerm.EXCLUDE, appeal):
        return ""
    for args in ([appeal.tracking_no], [appeal.pk]):
        try:
            return reverse("appeals:exclude", args=args)
        except NoReverseMatch:
            continue
    return ""


def _action_forms(
    user: Any, appeal: Appeal, failed: tuple[actions.Action, Any] | None
) -> list[tuple[actions.Action, Any]]:
    """Unbound forms for the available actions; a refused form (bound, with its errors) first."""
    offered = [(a, actions.make_form(a, appeal, user)) for a in actions.available(user, appeal)]
    if failed is None:
        return offered
    return [failed, *[(a, form) for a, form in offered if a.slug != failed[0].slug]]


def render_detail(
    request: HttpRequest,
    appeal: Appeal,
    *,
    status: int = 200,
    panel: RevealPanel | None = None,
    failed: tuple[actions.Action, Any] | None = None,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    if panel is None and failed is not None and may_see_identity(user, appeal):
        # Served at the action's URL, where the panel's form (posting back to the page) would not work.
        panel = reveal_panel(request, obj=appeal, field=PHONE, perm=AppealsPerm.REVEAL_PII)
        panel.can_reveal = False
    forms = _action_forms(user, appeal, failed)
    accept = next((form for a, form in forms if a.slug == "accept"), None)
    suggestion = suggestion_for(appeal) if accept is not None else None
    if suggestion is not None and accept is not None and not accept.is_bound:
        accept.apply_suggestion(suggestion.best, suggestion.urgency)
    events = appeal_timeline(appeal=appeal)
    context = {
        "appeal": appeal,
        "division_path": [*division_ancestors(appeal.division), appeal.division],
        "clocks": clocks_of(appeal, now),
        "overdue": is_overdue(appeal, now),
        "phone_panel": panel,
        "identity_hidden": not may_see_identity(user, appeal),
        "attachments": list(appeal.attachments.all()),
        "timeline": [(e, event_label(e.action), actor_label(e)) for e in events],
        "returns": list(appeal.returns.select_related("unit", "by")),
        "extensions": list(appeal.extension_requests.select_related("requested_by", "decided_by")),
        "supervisions": list(appeal.supervisions.select_related("by", "level")),
        "duplicates": list(appeals_visible_to(user=user).filter(merged_into=appeal)),
        "action_forms": forms,
        "failed_slug": failed[0].slug if failed else "",
        "suggestion": suggestion,
        "exclude_url": _exclude_url(user, appeal),
        "now": now,
    }
    return render(request, "appeals/desk/detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@perm_required(AppealsPerm.VIEW)
def desk_detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The page; its POST is the phone panel's "show in full" (core.reveal: permission, reason, audit row)."""
    appeal = appeal_or_404(request, tracking_no)
    if request.method == "POST":
        if request.POST.get("reveal_field") != PHONE:
            raise BadRequest  # the page takes no other POST; actions post to their own URLs
        if not may_see_identity(request.user, appeal):
            raise PermissionDenied  # an anonymous worker's phone is never shown to the unit
    panel = _phone_panel(request, appeal)
    if panel is not None and panel.htmx_response is not None:
        return panel.htmx_response
    status = 400 if panel is not None and panel.form.errors else 200
    return render_detail(request, appeal, status=status, panel=panel)


@require_POST
@perm_required(AppealsPerm.VIEW)
def desk_action(request: HttpRequest, tracking_no: str, action: str) -> HttpResponse:
    """Post one action form: 404 for an unknown action or an appeal out of sight, 403 without the right to
    take it, 409 when the appeal's state refuses it (stale form), 400 for bad input, else back to the page."""
    spec = actions.ACTIONS.get(action)
    if spec is None:
        raise Http404
    appeal = appeal_or_404(request, tracking_no)
    user = request.user
    if not spec.may(user, appeal):
        raise PermissionDenied
    form = actions.make_form(spec, appeal, user, request.POST)
    status = 400
    if form.is_valid():
        try:
            message = spec.run(form, appeal, user)
        except AppealConflict as exc:
            form.add_error(None, exc.messages)
            status = 409
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("appeals:desk_detail", tracking_no=appeal.tracking_no)
    return render_detail(request, _current(request, appeal), status=status, failed=(spec, form))


def _current(request: HttpRequest, appeal: Appeal) -> Appeal:
    """The appeal as it is now, to draw the page around the refused form (if it has moved out of the user's
    sight meanwhile, as it was when the form was posted)."""
    try:
        return appeal_or_404(request, appeal.tracking_no)
    except Http404:
        return appeal
