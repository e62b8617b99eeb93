"""/livez: the process is up and answers HTTP, nothing more.

/healthz (web.views) also runs `SELECT 1`, so a load balancer that should take an instance out of rotation
when its database is unreachable probes that one. /livez touches no database, session or template: a
supervisor that only wants to know whether a worker process hangs probes it, and `shegong bench intake`
uses it as the framework baseline (the same middleware stack and server as every page and API call, with
no application work). POST is allowed, without a CSRF token, so the baseline measures the same method as
the endpoint it is compared with; the body is ignored and nothing is written.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def livez(request: HttpRequest) -> JsonResponse:
    """{"status": "ok"} while the process can answer; no database query."""
    return JsonResponse({"status": "ok"})
