"""Session security on every request: idle timeout, forced password change, no caching of signed-in pages.

Sits after AuthenticationMiddleware. API calls authenticated by bearer token carry no session user here and
are not affected; API calls on a session get the JSON error envelope instead of a redirect.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.login import LAST_ACTIVITY_SESSION_KEY
from shegong.core import audit

# Writing the session on every request would cost a database write per click; a minute of slack is harmless.
_TOUCH_EVERY_SECONDS = 60
_API_PREFIXES = ("/api/",)


def password_change_due(user: Any) -> bool:
    """True when the account must choose a new password before doing anything else."""
    if getattr(user, "must_change_password", False):
        return True
    max_age = settings.SHEGONG_PASSWORD_MAX_AGE_DAYS
    changed = getattr(user, "password_changed_at", None)
    return bool(max_age > 0 and changed is not None and changed < timezone.now() - timedelta(days=max_age))


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        is_api = request.path.startswith(_API_PREFIXES)

        now = int(time.time())
        last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
        idle_limit = settings.SHEGONG_SESSION_IDLE_MINUTES * 60
        if isinstance(last, int) and idle_limit > 0 and now - last > idle_limit:
            audit.record(action=AccountsAction.LOGOUT, actor=user, target=user, changes={"reason": "idle"})
            logout(request)  # flushes the session: the old key no longer authenticates
            if is_api:
                return JsonResponse(
                    {
                        "code": "session_expired",
                        "message": _("Your session has expired. Log in again."),
                        "details": {},
                    },
                    status=401,
                )
            login_url = reverse("accounts:login")
            return HttpResponseRedirect(
                f"{login_url}?{urlencode({'expired': '1', 'next': request.get_full_path()})}"
            )
        if not isinstance(last, int) or now - last >= _TOUCH_EVERY_SECONDS:
            request.session[LAST_ACTIVITY_SESSION_KEY] = now

        if password_change_due(user) and not self._exempt(request.path):
            if is_api:
                return JsonResponse(
                    {
                        "code": "password_change_required",
                        "message": _("Change your password before continuing."),
                        "details": {},
                    },
                    status=403,
                )
            return HttpResponseRedirect(reverse("accounts:password_change"))

        response = self.get_response(request)
        # Signed-in pages hold personal and case data: never keep them in a browser or proxy cache.
        add_never_cache_headers(response)
        return response

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            settings.STATIC_URL,
        )
        return path.startswith(allowed)
