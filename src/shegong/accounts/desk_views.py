"""Desk pages for account management: list, detail, create, grants, unlock, reset, reveal the phone.

Every page reads through the selectors (scope: the account's home division); an account outside the
viewer's scope is a 404, an action the viewer may not take on a visible account is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shegong.accounts import selectors, services
from shegong.accounts.choices import AccountsPerm, Role
from shegong.accounts.forms import GrantForm, ResetPasswordForm, UserCreateForm, UserSearchForm
from shegong.accounts.models import Grant, User
from shegong.core.pii import mask_phone
from shegong.core.reveal import RevealPanel, reveal_panel
from shegong.core.scoping import has_perm_on, require_any_scope
from shegong.divisions.models import Unit

PAGE_SIZE = 25


def _attach(form: Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form (unknown fields go to the form's top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _row(user: User) -> dict[str, Any]:
    return {"user": user, "phone": mask_phone(user.phone) if user.phone else ""}


@login_required
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    search = UserSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    qs = selectors.users_visible_to(user=request.user, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {
            "search": search,
            "q": q,
            "page": page,
            "rows": [_row(u) for u in page.object_list],
            "can_manage": request.user.has_scope_perm(AccountsPerm.USER_MANAGE),  # type: ignore[union-attr]
        },
    )


def _phone_panel(request: HttpRequest, target: User) -> RevealPanel:
    """The masked phone, with core's "show in full" form for those who manage the account."""
    return reveal_panel(request, obj=target, field="phone", perm=AccountsPerm.USER_MANAGE)


def _detail(
    request: HttpRequest,
    target: User,
    status: int = 200,
    phone_panel: RevealPanel | None = None,
    **extra: Any,
) -> HttpResponse:
    actor = request.user
    if phone_panel is None:
        # The error page of another form (grant, reset) is served at that form's URL, where the panel's
        # form (which posts back to the current page) would not work: show the masked value only.
        phone_panel = _phone_panel(request, target)
        phone_panel.can_reveal = False
    can_manage = has_perm_on(actor, AccountsPerm.USER_MANAGE, target) and actor.pk != target.pk
    units = (
        Unit.objects.visible_to(actor, AccountsPerm.UNIT_VIEW)
        .filter(is_active=True)
        .order_by("division", "name")
        if can_manage
        else Unit.all_objects.none()
    )
    context = {
        "target": target,
        "phone_panel": phone_panel,
        "grants": list(target.grants.all()),
        "lockout": selectors.lockout_of(target.username),
        "can_manage": can_manage,
        "can_unlock": has_perm_on(actor, AccountsPerm.SECURITY_POLICY, target),
        "grant_form": GrantForm(units=units),
        "reset_form": ResetPasswordForm(),
        **extra,
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The account page; a POST is its "show the phone in full" form (core.reveal: permission, reason,
    audit row). With htmx only the panel comes back; a refused reason answers 400."""
    target = selectors.user_get_visible(user=request.user, pk=pk)
    panel = _phone_panel(request, target)
    if panel.htmx_response is not None:
        return panel.htmx_response
    return _detail(request, target, status=400 if panel.form.errors else 200, phone_panel=panel)


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    require_any_scope(request.user, AccountsPerm.USER_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                real_name=data["real_name"],
                phone=data["phone"],
                division=data["division"],
                must_change_password=True,
            )
        except PermissionDenied:
            form.add_error("division", _("This division is outside the area you manage."))
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Account {username} created.").format(username=user.username))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


def _visible_for(request: HttpRequest, pk: int, perm: str) -> User:
    """A visible account (404 otherwise) on which the viewer holds `perm` (403 otherwise)."""
    target = selectors.user_get_visible(user=request.user, pk=pk)
    selectors.require_perm_on(request.user, perm, target)
    return target


@require_POST
@login_required
def grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    target = _visible_for(request, pk, AccountsPerm.USER_MANAGE)
    units = Unit.objects.visible_to(request.user, AccountsPerm.UNIT_VIEW).filter(is_active=True)
    form = GrantForm(request.POST, units=units)
    if form.is_valid():
        try:
            services.grant_add(
                user=target,
                role=form.cleaned_data["role"],
                division=form.cleaned_data["division"],
                unit=form.cleaned_data["unit"],
                actor=request.user,
            )
        except PermissionDenied:
            form.add_error("division", _("This division is outside the area you manage."))
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Granted {role}.").format(role=Role(form.cleaned_data["role"]).label))
            return redirect("accounts:user_detail", pk=target.pk)
    return _detail(request, target, status=400, grant_form=form)


@require_POST
@login_required
def grant_remove(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    target = _visible_for(request, pk, AccountsPerm.USER_MANAGE)
    grant = Grant.objects.filter(user=target, pk=grant_pk).select_related("division").first()
    if grant is None:
        raise Http404
    try:
        services.grant_remove(grant=grant, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Withdrew {role}.").format(role=grant.get_role_display()))
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
@login_required
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    target = _visible_for(request, pk, AccountsPerm.SECURITY_POLICY)
    services.account_unlock(username=target.username, actor=request.user)
    messages.success(request, _("Account {username} unlocked.").format(username=target.username))
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
@login_required
def user_totp_off(request: HttpRequest, pk: int) -> HttpResponse:
    """A security administrator turns off a user's second factor (a lost phone); the user sets it up again."""
    target = _visible_for(request, pk, AccountsPerm.SECURITY_POLICY)
    services.totp_disable(user=target, actor=request.user)
    messages.success(request, _("Second factor of {username} turned off.").format(username=target.username))
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
@login_required
def user_disable(request: HttpRequest, pk: int) -> HttpResponse:
    target = _visible_for(request, pk, AccountsPerm.USER_MANAGE)
    try:
        services.user_disable(user=target, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Account {username} disabled.").format(username=target.username))
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
@login_required
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = _visible_for(request, pk, AccountsPerm.USER_MANAGE)
    form = ResetPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(
                user=target, password=form.cleaned_data["password"], actor=request.user, must_change=True
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Temporary password set; the user must change it at next login."))
            return redirect("accounts:user_detail", pk=target.pk)
    return _detail(request, target, status=400, reset_form=form)
