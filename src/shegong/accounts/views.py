"""Login, second factor, logout, password change and the user's own security page."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shegong.accounts import login as policy
from shegong.accounts import services, totp
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.forms import CodeForm, LoginForm, PasswordChangeForm
from shegong.core import audit, ratelimit

_NEXT_SESSION_KEY = "_sg_login_next"
_ENROL_SECRET_SESSION_KEY = "_sg_totp_secret"  # noqa: S105 - a session key name, not a secret
# Turning the second factor off: tries per account and window (a six-digit code must not be guessable).
_DISABLE_TRIES = 5
_DISABLE_WINDOW_SECONDS = 15 * 60


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _after_login(request: HttpRequest) -> HttpResponse:
    target = request.session.pop(_NEXT_SESSION_KEY, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    return HttpResponseRedirect(target)


def _refusal(result: policy.LoginResult) -> str:
    if result.outcome is policy.Outcome.LOCKED:
        return _(
            "Too many failed attempts: this account is locked. Try again in {minutes} minutes "
            "or ask the security administrator to unlock it."
        ).format(minutes=result.minutes_left)
    if result.outcome is policy.Outcome.THROTTLED:
        return _("Too many login attempts from your network. Try again in {minutes} minutes.").format(
            minutes=result.minutes_left
        )
    return _("The username or password is not correct.")


def _route(request: HttpRequest, result: policy.LoginResult) -> HttpResponse | None:
    """Where a successful step leads; None when the step failed."""
    if result.outcome is policy.Outcome.LOGGED_IN:
        return _after_login(request)
    if result.outcome is policy.Outcome.SECOND_FACTOR:
        return redirect("accounts:login_totp")
    if result.outcome is policy.Outcome.ENROL:
        return redirect("accounts:login_enrol")
    return None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.GET.get("expired"):
        minutes = settings.SHEGONG_SESSION_IDLE_MINUTES
        messages.warning(
            request,
            _("You were logged out after {minutes} minutes without activity. Log in again.").format(
                minutes=minutes
            ),
        )
    if request.method == "POST" and form.is_valid():
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
        result = policy.authenticate_with_policy(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if next_url:
            request.session[_NEXT_SESSION_KEY] = next_url
        routed = _route(request, result)
        if routed is not None:
            return routed
        form.add_error(None, _refusal(result))
        status = 429 if result.outcome is policy.Outcome.THROTTLED else 200
    context = {"form": form, "next": _safe_next(request, request.GET.get("next"))}
    return render(request, "accounts/login.html", context, status=status)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_totp_view(request: HttpRequest) -> HttpResponse:
    if policy.pending_user(request) is None:
        messages.error(request, _("Enter your username and password first."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = policy.verify_second_factor(request, form.cleaned_data["code"])
        routed = _route(request, result)
        if routed is not None:
            return routed
        if result.outcome is policy.Outcome.LOCKED:
            messages.error(request, _refusal(result))
            return redirect("accounts:login")
        form.add_error(
            "code",
            _refusal(result)
            if result.outcome is policy.Outcome.THROTTLED
            else _("The code is not correct or has already been used. Wait for the next code and try again."),
        )
    return render(request, "accounts/login_totp.html", {"form": form})


def _enrolment_context(request: HttpRequest, username: str) -> dict[str, Any]:
    secret = request.session.get(_ENROL_SECRET_SESSION_KEY)
    if not secret:
        secret = request.session[_ENROL_SECRET_SESSION_KEY] = totp.new_secret()
    uri = totp.provisioning_uri(secret, username)
    return {"secret": secret, "qr": totp.qr_data_url(uri), "uri": uri}


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """Forced enrolment during login (SHEGONG_TOTP_REQUIRED_FOR_STAFF): set up the app, then log in."""
    user = policy.pending_user(request, enrol=True)
    if user is None:
        messages.error(request, _("Enter your username and password first."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    context = _enrolment_context(request, user.username)
    if request.method == "POST" and form.is_valid():
        result = policy.enrol_second_factor(request, context["secret"], form.cleaned_data["code"])
        if result.outcome is policy.Outcome.LOGGED_IN:
            request.session.pop(_ENROL_SECRET_SESSION_KEY, None)
        routed = _route(request, result)
        if routed is not None:
            return routed
        if result.outcome is policy.Outcome.LOCKED:
            messages.error(request, _refusal(result))
            return redirect("accounts:login")
        form.add_error("code", _("The code is not valid. Check the time on your phone and try again."))
    return render(request, "accounts/totp_enrol.html", {**context, "form": form, "during_login": True})


def admin_login_redirect(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replaces the Django admin's own login form, which would bypass lockout, throttle and second factor."""
    next_url = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    return redirect_to_login(next_url, login_url=reverse("accounts:login"))


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        audit.record(action=AccountsAction.LOGOUT, actor=user, target=user)
    logout(request)  # deletes the session row and issues a new, empty session
    response = HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    # Ask the browser to drop cached pages and cookies of this site (personal data on a shared computer).
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(user=user, password=form.cleaned_data["new_password1"], actor=user)
        except ValidationError as exc:
            for message in exc.message_dict.get("password", exc.messages):
                form.add_error("new_password1", message)
        else:
            # Keep this session; every other session of the account ends (its auth hash no longer matches).
            update_session_auth_hash(request, user)
            messages.success(
                request, _("Your password has been changed. Other sessions have been logged out.")
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
    forced = bool(user.must_change_password)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})


@login_required
@require_http_methods(["GET"])
def security_view(request: HttpRequest) -> HttpResponse:
    """The user's own security settings: password and second factor."""
    user: Any = request.user
    context = {"disable_form": CodeForm(), "factor_required": services.second_factor_required(user)}
    return render(request, "accounts/security.html", context)


@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def totp_enrol_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.totp_enabled:
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    context = _enrolment_context(request, user.username)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_enable(
                user=user, secret=context["secret"], code=form.cleaned_data["code"], actor=user
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("code", exc.messages):
                form.add_error("code", message)
        else:
            request.session.pop(_ENROL_SECRET_SESSION_KEY, None)
            messages.success(
                request, _("The second factor is on. You will need a code from your app to log in.")
            )
            return redirect("accounts:security")
    return render(request, "accounts/totp_enrol.html", {**context, "form": form, "during_login": False})


@require_POST
@csrf_protect
@login_required
def totp_disable_view(request: HttpRequest) -> HttpResponse:
    """Turning the factor off needs a current code, so a borrowed unlocked session cannot do it; the tries
    per account are limited, so it cannot guess the code either."""
    user: Any = request.user
    tries = ratelimit.hit(f"totp-disable:{user.pk}", limit=_DISABLE_TRIES, window=_DISABLE_WINDOW_SECONDS)
    if not tries.allowed:
        messages.error(
            request,
            _("Too many attempts. Try again in {minutes} minutes.").format(
                minutes=math.ceil(tries.retry_after_seconds / 60)
            ),
        )
        return redirect("accounts:security")
    if services.second_factor_required(user):
        # Checked before the code is consumed: a refusal must not use up the user's current code.
        messages.error(
            request,
            _(
                "Staff accounts must keep the second factor on. If you lost your phone, ask the "
                "security administrator to reset it."
            ),
        )
        return redirect("accounts:security")
    form = CodeForm(request.POST)
    if form.is_valid() and services.totp_consume(user=user, code=form.cleaned_data["code"]):
        services.totp_disable(user=user, actor=user)
        messages.success(request, _("The second factor is off."))
    else:
        messages.error(request, _("The code is not correct; the second factor stays on."))
    return redirect("accounts:security")
