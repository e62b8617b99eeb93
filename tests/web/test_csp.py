"""Strict CSP: the header allows only our own scripts and styles, and no page or template needs more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from shegong.accounts.choices import Role
from tests.support.world import World
from tests.web.html import csp_problems

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "shegong"


def _pages(client: Client, world: World) -> dict[str, str]:
    """Every page this app renders, as the role that sees it; returns path → CSP header, checked per page."""
    pages = {}
    for path, role in [
        ("/", None),
        ("/h5/", None),
        ("/desk/", Role.PLATFORM_ADMIN),
        ("/desk/", Role.INTAKE),
        ("/dashboard/", Role.LEADER),
        ("/no-such-page/", None),
    ]:
        if role is not None:
            client.force_login(world.user(role))
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        pages[f"{path} as {role}"] = response
        client.logout()
    return pages


def test_csp_header_is_strict_on_every_page(client: Client, world: World) -> None:
    for name, response in _pages(client, world).items():
        header = response.get("Content-Security-Policy", "")
        directives = {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}
        assert directives.get("script-src") == ["'self'"], name
        assert directives.get("style-src") == ["'self'"], name
        assert "'unsafe-inline'" not in header, name
        assert "'unsafe-eval'" not in header, name


def test_rendered_pages_have_no_inline_script_or_style(client: Client, world: World) -> None:
    for name, response in _pages(client, world).items():
        html = response.content.decode()
        assert csp_problems(html) == [], name
        assert "<script>" not in html, name
        assert not re.search(r"\sstyle\s*=", html), name


def test_dashboard_chart_data_is_a_json_script(client: Client, world: World) -> None:
    client.force_login(world.user(Role.LEADER))
    html = client.get("/dashboard/").content.decode()
    assert '<script id="units-by-type-chart" type="application/json">' in html


def test_the_audit_catches_what_the_csp_would_block() -> None:
    assert csp_problems('<div style="color:red"></div>') == ["style attribute on <div>"]
    assert csp_problems("<script>alert(1)</script>") == ["inline <script>"]
    assert csp_problems('<button onclick="x()">') == ["inline event handler on <button>"]
    assert csp_problems('<a href="javascript:x()">') == ["javascript: URL in <a href>"]
    assert csp_problems("<style>p{}</style>") == ["<style> element"]
    assert (
        csp_problems('<script src="/static/a.js"></script><script type="application/json">{}</script>') == []
    )


def _templates() -> list[Path]:
    return sorted(p for p in SRC.glob("**/templates/**/*.html"))


def test_no_template_in_the_project_has_inline_script_or_style() -> None:
    templates = _templates()
    assert any(p.name == "base.html" for p in templates)
    for path in templates:
        text = path.read_text(encoding="utf-8")
        # strip template tags and comments so that attribute values built by {% … %} do not confuse the parser
        problems = csp_problems(re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "x", text, flags=re.S))
        assert problems == [], f"{path.relative_to(SRC)}: {problems}"


def test_stylesheets_have_no_fixed_width_wider_than_a_phone() -> None:
    """H5 pages must fit 360 px: no width/min-width above 360 px outside media-query conditions."""
    for path in sorted((SRC / "static" / "shegong").glob("*.css")):
        css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        css = re.sub(r"@media[^{]*", "", css)
        for prop, value in re.findall(r"(?<![-\w])((?:min-)?width)\s*:\s*(\d+(?:\.\d+)?)px", css):
            assert float(value) <= 360, f"{path.name}: {prop}: {value}px"
        for prop, value in re.findall(r"(?<![-\w])((?:min-)?width)\s*:\s*(\d+(?:\.\d+)?)r?em", css):
            assert float(value) * 16 <= 360, f"{path.name}: {prop}: {value}rem"


def test_h5_touch_targets_are_at_least_44px() -> None:
    css = (SRC / "static" / "shegong" / "app.css").read_text(encoding="utf-8")
    touch = re.search(r"--sg-touch:\s*(\d+)px", css)
    assert touch is not None
    assert int(touch.group(1)) >= 44
    for selector in (".sg-h5 .btn", ".sg-h5-brand", ".sg-touch"):
        rule = re.search(re.escape(selector) + r"[^{]*{([^}]*)}", css)
        assert rule is not None, selector
        assert "min-height: var(--sg-touch)" in rule.group(1), selector
