"""XSS without a browser: with a payload in every free-text field, the desk, H5 and dashboard pages carry
the escaped text (&lt;script&gt;…) and never the raw markup, and every page type sends a CSP that forbids
inline scripts. Reflected input (filters, search boxes, form errors) is escaped too.

The same data is driven through Chromium in tests/browser/test_xss.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.input_support import (
    ALL,
    ESCAPED_SCRIPT,
    ESCAPED_SVG,
    Poisoned,
    client_for,
    escaped_head,
    poison,
    poison_stations,
    raw_payloads,
)
from tests.support.world import World

pytestmark = pytest.mark.django_db

# Page → the typed texts (see input_support.poison) it must show, escaped. Pages with an empty list show
# none whole (lists truncate the appeal text, the number-only tracking view shows no text by design) but
# are still checked for raw markup.
_DETAIL_CLOSED = [
    "category",
    "cl.pf",
    "closed.address",
    "closed.text",
    "contact_note",
    "dispatch_note",
    "dispatch_note_2",
    "division",
    "extension",
    "extension_decision",
    "rating_comment",
    "reply",
    "return_note",
    "supervision_note",
    "unit",
]
_DETAIL_OPEN = [
    "category",
    "division",
    "op.pf",
    "open.address",
    "open.text",
    "open_extension",
    "open_supervision",
    "unit",
]
EXPECTED: dict[str, list[str]] = {
    "queue to_accept": ["category", "unit"],
    "queue all": ["category", "unit"],
    "queue open": ["category", "division", "unit"],
    "queue closed": ["category", "division", "unit"],
    "search": ["category", "unit"],
    "handler queue": ["category", "unit"],
    "detail closed (intake)": _DETAIL_CLOSED,
    "detail closed (leader)": _DETAIL_CLOSED,
    "detail open (handler)": _DETAIL_OPEN,
    "detail open (leader)": _DETAIL_OPEN,
    "detail open (intake)": _DETAIL_OPEN,
    "detail rejected": ["division", "re.pf", "reject_reason", "rejected.address", "rejected.text"],
    "detail withdrawn": ["division", "wi.pf", "withdraw_reason", "withdrawn.address", "withdrawn.text"],
    "supervision": ["open_supervision", "unit"],
    "duplicates": ["division", "twin.text"],
    "desk home": [],
    "indicators units": ["unit"],
    "indicators divisions": [],
    "indicators categories": [],
    "exclusions": ["division", "exclusion_reason", "unit"],
    "categories": ["category", "scope"],
    "category edit": ["category", "scope"],
    "time limits": ["category"],
    "rules": ["category", "unit"],
    "new rule": ["category", "unit"],
    "units": ["unit"],
    "unit": ["unit"],
    "divisions": ["division"],
    "accounts": ["real_name"],
    "account search": ["real_name"],
    "account": ["real_name", "unit"],
    "audit log": ["audit.actor", "audit.target", "category", "real_name", "task.theme", "unit"],
    "audit log filtered": ["unit"],
    "audit event divisions.unit.created": ["unit"],
    "audit event accounts.user.created": ["real_name"],
    "audit event appeals.dispatch_rule.set": ["category", "unit"],
    "audit event appeals.indicators.excluded": ["exclusion_reason"],
    "audit event smart.hotspot.dismissed": ["dismiss_note"],
    "audit event smart.task.created": ["task.theme"],
    "audit event smart.task.noted": ["task.note", "task.theme"],
    "audit event appeals.appeal.contacted": ["audit.actor", "audit.changes", "audit.key", "audit.target"],
    "h5 mine": [],
    "h5 closed": [
        "category",
        "cl.pf",
        "closed.address",
        "closed.text",
        "division",
        "rating_comment",
        "reply",
        "return_note",
        "unit",
    ],
    "h5 rejected": ["division", "re.pf", "reject_reason", "rejected.address", "rejected.text"],
    "h5 withdrawn": ["division", "wi.pf", "withdraw_reason", "withdrawn.address", "withdrawn.text"],
    "h5 open": ["category", "division", "op.pf", "open.address", "open.text", "unit"],
    "h5 tracking (number only)": [],
    "h5 place picker": ["division"],
    "dashboard": ["alert.keywords", "category"],
    "hotspots": ["alert.keywords", "category"],
    "hotspots all": ["alert.keywords", "category", "dismissed.keywords"],
    "hotspot": ["alert.keywords", "alert.sample", "category", "division"],
    "hotspot dismissed": ["dismiss_note", "dismissed.keywords", "dismissed.sample"],
    "hotspot task form": ["alert.sample", "category", "unit"],
    "tasks": ["category", "task.theme", "unit"],
    "task": ["category", "task.note", "task.problems", "task.theme", "unit"],
}


@pytest.fixture
def poisoned(world: World) -> Poisoned:
    return poison(world)


def _render_all(poisoned: Poisoned) -> dict[str, Any]:
    return {name: client_for(poisoned, who).get(path) for name, path, who in poisoned.pages()}


def test_every_page_shows_each_payload_escaped_and_never_raw(poisoned: Poisoned) -> None:
    responses = _render_all(poisoned)
    assert set(responses) == set(EXPECTED), "a page was added or renamed: list what it must show"
    problems = {}
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        missing = [f for f in EXPECTED[name] if escaped_head(poisoned.texts[f]) not in html]
        raw = raw_payloads(html)
        if missing or raw:
            problems[name] = {"not shown escaped": missing, "raw markup": raw}
    assert problems == {}
    # Every field typed is shown whole somewhere (else the test would prove nothing about it).
    assert set(poisoned.texts) - set().union(*EXPECTED.values()) == set()


def test_the_template_syntax_payload_stays_literal(poisoned: Poisoned) -> None:
    """{{7*7}} typed by a user is text: it is never evaluated by a template engine (nothing renders 49
    in its place) on the pages that show the field whole."""
    tagged = poisoned.texts["category"]  # 乙<svg onload=…>{{7*7}}
    for name, path, who in poisoned.pages():
        if name in ("categories", "rules", "task", "hotspot"):
            html = client_for(poisoned, who).get(path).content.decode()
            assert tagged.replace("<", "&lt;").replace(">", "&gt;") in html, name


def test_every_page_type_sends_a_csp_without_inline_scripts(poisoned: Poisoned, client: Client) -> None:
    responses = _render_all(poisoned)
    # error pages and the oversized-body page too
    responses["404"] = client.get("/desk/appeals/AAA-AAA-AAA/")
    responses["403"] = client_for(poisoned, "handler").get(reverse("audit:list"))
    responses["413"] = client.generic(
        "POST",
        "/h5/appeals/new/",
        b"x" * 10,
        content_type="multipart/form-data; boundary=z",
        CONTENT_LENGTH="999999999",
    )
    responses["login"] = client.get(reverse("accounts:login"))
    responses["home"] = client.get("/")
    for name, response in responses.items():
        header = response.get("Content-Security-Policy", "")
        directives = {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}
        script_src = directives.get("script-src", directives.get("default-src"))
        assert script_src, (name, header)
        assert "'unsafe-inline'" not in script_src, name
        assert "'unsafe-eval'" not in script_src, name
        assert not any(
            s.startswith(("'nonce-", "'sha")) or s in ("*", "data:", "http:", "https:") for s in script_src
        ), name


# --- reflected input ---------------------------------------------------------------------------------------


def _reflected(poisoned: Poisoned) -> list[tuple[str, str, dict[str, str]]]:
    """(who, path, GET params) of pages that echo what was typed into a filter or search box."""
    p = ALL
    return [
        (
            "intake",
            reverse("appeals:desk_list"),
            {"queue": p, "q": p, "division": p, "date_from": p, "sort": p},
        ),
        ("leader", reverse("appeals:supervision_list"), {"division": p, "overdue": p}),
        (
            "auditor",
            reverse("audit:list"),
            {"actor": p, "action": p, "division": p, "target_type": p, "target_id": p, "since": p},
        ),
        ("admin", reverse("accounts:user_list"), {"q": p}),
        ("admin", reverse("units:list"), {"q": p, "division": p, "unit_type": p}),
        ("admin", reverse("units:divisions"), {"division": p}),
        ("admin", reverse("appeals:catalogue_rules"), {"q": p, "division": p, "category": p, "sort": p}),
        ("admin", reverse("appeals:catalogue_rule_create"), {"division": p, "category": p}),
        ("admin", reverse("appeals:catalogue_rule_preview"), {"division": p, "category": p}),
        ("admin", reverse("appeals:catalogue_division_options"), {"division": p}),
        ("admin", reverse("appeals:catalogue_unit_options"), {"division": p, "unit": p, "unit_q": p}),
        ("admin", reverse("appeals:catalogue_time_limits"), {"category": p}),
        ("leader", reverse("appeals:indicators"), {"period": p, "division": p, "group": p, "sort": p}),
        ("leader", reverse("appeals:exclusions"), {"division": p}),
        ("leader", reverse("hotspots:alert_list"), {"division": p, "status": p, "kind": p, "sort": p}),
        ("leader", reverse("hotspots:task_list"), {"division": p, "status": p}),
        ("intake", reverse("appeals:hotline_new"), {"division": p}),
        ("anonymous", reverse("appeals:h5_track"), {"no": p}),
        ("worker", reverse("appeals:h5_mine"), {"status": p, "page": p}),
        ("anonymous", reverse("appeals:h5_places"), {"district": p, "street": p}),
        ("anonymous", reverse("appeals:h5_submit"), {"text": p, "platform": p}),
        ("anonymous", reverse("appeals:h5_verify"), {"next": p}),
        ("anonymous", reverse("accounts:login"), {"next": p}),
    ]


def test_filters_and_search_boxes_echo_what_was_typed_escaped(poisoned: Poisoned) -> None:
    problems = {}
    for who, path, params in _reflected(poisoned):
        response = client_for(poisoned, who).get(path, params)
        assert response.status_code < 500, (path, response.status_code)
        raw = raw_payloads(response.content.decode())
        if raw:
            problems[path] = raw
    assert problems == {}


def test_a_refused_form_shows_what_was_typed_escaped(poisoned: Poisoned) -> None:
    """A form sent back with errors re-renders the typed values: escaped."""
    intake = client_for(poisoned, "intake")
    page = intake.post(reverse("appeals:hotline_new"), {"text": ALL, "platform": ALL[:50], "address": ALL})
    assert page.status_code in (200, 400)
    html = page.content.decode()
    assert raw_payloads(html) == []
    assert ESCAPED_SCRIPT in html
    h5 = client_for(poisoned, "anonymous").post(reverse("appeals:h5_submit"), {"text": ALL, "address": ALL})
    assert h5.status_code in (200, 400)
    assert raw_payloads(h5.content.decode()) == []
    assert ESCAPED_SCRIPT in h5.content.decode()
    admin = client_for(poisoned, "nationwide_admin")
    form = admin.post(reverse("appeals:catalogue_category_create"), {"code": "", "name": ALL, "scope": ALL})
    assert form.status_code in (200, 400)
    assert raw_payloads(form.content.decode()) == []
    assert ESCAPED_SVG in form.content.decode()


# --- stations ---------------------------------------------------------------------------------------------

STATION_EXPECTED = {
    "stations desk list": ["station.name"],
    "stations desk detail": ["station.address", "station.exception", "station.feedback", "station.name"],
    "stations desk edit": ["station.address", "station.name"],
    "stations usage": ["station.name"],
    "stations h5 nearby": ["station.address", "station.name"],
    "stations h5 detail": ["station.address", "station.name"],
    "stations feedback appeal": ["station.address", "station.feedback", "station.name"],
}


def test_station_pages_show_each_payload_escaped_and_never_raw(poisoned: Poisoned) -> None:
    pages = poison_stations(poisoned)
    assert {name for name, _p, _w in pages} == set(STATION_EXPECTED)
    problems = {}
    for name, path, who in pages:
        response = client_for(poisoned, who).get(path)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        missing = [f for f in STATION_EXPECTED[name] if escaped_head(poisoned.texts[f]) not in html]
        raw = raw_payloads(html)
        if missing or raw:
            problems[name] = {"not shown escaped": missing, "raw markup": raw}
        header = response.get("Content-Security-Policy", "")
        assert "'unsafe-inline'" not in header, name
        assert "script-src 'self'" in header, name
    assert problems == {}
