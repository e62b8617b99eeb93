"""XSS in Chromium: with a payload in every free-text field (tests/security/input_support.py), every desk,
H5 and dashboard page that shows them runs no script of theirs — window.__xss stays undefined, no dialog
opens, the console shows no error — and the payloads read as text where the page shows the field whole.

The pages are opened with the CSP bypassed: the policy (checked in tests/security/test_input_xss.py) is the
second line of defence, and with it in force a payload rendered raw would be blocked rather than run, so
this test would not see the escaping fail."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tests.security.input_support import Poisoned, client_for, poison, poison_stations
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages whose visible text must contain these typed texts whole (their first payload, as text).
VISIBLE = {
    "detail closed (intake)": ["closed.text", "reply", "return_note", "contact_note", "extension"],
    "detail open (leader)": ["open.text", "open_supervision", "unit"],
    "duplicates": ["twin.text"],
    "h5 closed": ["closed.text", "reply", "rating_comment", "return_note"],
    "h5 rejected": ["reject_reason"],
    "h5 withdrawn": ["withdraw_reason"],
    "categories": ["category", "scope"],
    "account": ["real_name"],
    "audit event appeals.appeal.contacted": ["audit.changes", "audit.target", "audit.actor"],
    "hotspot": ["alert.sample", "alert.keywords"],
    "hotspot dismissed": ["dismiss_note"],
    "task": ["task.problems", "task.note", "task.theme"],
    "exclusions": ["exclusion_reason"],
    "stations desk detail": ["station.name", "station.address", "station.exception", "station.feedback"],
    "stations h5 detail": ["station.name", "station.address"],
    "stations feedback appeal": ["station.feedback"],
}

# Pages that show these short texts whole, template syntax ({{7*7}}) included.
WHOLE = {"categories": ["category"], "account": ["real_name"], "hotspot": ["alert.keywords"]}


def _session_cookie(poisoned: Poisoned, who: str, base: str) -> list[dict[str, Any]]:
    client = client_for(poisoned, who)
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None:
        return []
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]


def test_no_payload_runs_on_any_page(live_server: Any, browser: Any, world: World) -> None:
    poisoned = poison(world)
    base = live_server.url
    failures: dict[str, list[str]] = {}
    contexts: dict[str, Any] = {}
    try:
        for name, path, who in [*poisoned.pages(), *poison_stations(poisoned)]:
            if who not in contexts:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True
                )
                context.set_default_timeout(10_000)
                context.add_cookies(_session_cookie(poisoned, who, base))
                contexts[who] = context
            page = contexts[who].new_page()
            seen: list[str] = []
            page.on(
                "dialog",
                lambda dialog, seen=seen: (seen.append(f"dialog: {dialog.message}"), dialog.dismiss()),
            )
            page.on("pageerror", lambda exc, seen=seen: seen.append(f"pageerror: {exc}"))
            page.on(
                "console",
                lambda msg, seen=seen: msg.type == "error" and seen.append(f"console: {msg.text}"),
            )
            try:
                response = page.goto(f"{base}{path}", wait_until="networkidle")
                assert response is not None, name
                assert response.status == 200, (name, response.status)
                # Anything swapped in by htmx (the duplicates slot, pickers) has arrived and settled.
                page.wait_for_function(
                    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
                )
                if page.evaluate("typeof window.__xss") != "undefined":
                    seen.append("window.__xss was set")
                text = page.locator("body").inner_text()
                for field in VISIBLE.get(name, []):
                    typed = poisoned.texts[field]
                    head = typed[: typed.index("=1") + 2]  # tag and the start of its first payload
                    if head not in text:
                        seen.append(f"{field} not visible as text")
                for field in WHOLE.get(name, []):  # {{7*7}} included, not evaluated to 49
                    if poisoned.texts[field] not in text:
                        seen.append(f"{field} not visible whole")
            finally:
                page.close()
            if seen:
                failures[name] = seen
    finally:
        for context in contexts.values():
            context.close()
    assert failures == {}
