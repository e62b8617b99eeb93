"""Every demo role logs in through the real login page in Chromium and lands on its own page."""

from __future__ import annotations

from typing import Any

import pytest

from shegong.accounts.choices import Role
from shegong.ops.demo_data import DEMO_PASSWORD, demo_accounts, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where each role's landing page lives.
LANDING = {
    Role.LEADER: "/dashboard/",
    Role.VOLUNTEER: "/h5/",
}


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_each_demo_role_sees_its_landing_page(live_server: Any, browser: Any) -> None:
    seed_demo()
    for account in demo_accounts():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        try:
            _login(page, live_server.url, account.username, DEMO_PASSWORD)
            expected = LANDING.get(account.role, "/desk/")
            assert page.url == f"{live_server.url}{expected}", (account.username, page.url)
            title = page.locator("[data-testid=landing-title]")
            assert title.is_visible(), account.username
            assert title.inner_text().strip(), account.username
            if expected == "/desk/":
                # the workbench names the role in Chinese
                assert str(Role(account.role).label) in page.content(), account.username
            assert errors == [], (account.username, errors)
        finally:
            context.close()


def test_wrong_password_stays_on_login_with_a_message(live_server: Any, browser: Any) -> None:
    seed_demo()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, live_server.url, "demo_intake", "not-the-password")
        assert "/accounts/login/" in page.url
        assert page.locator("form [role=alert], .alert").count() >= 1
    finally:
        context.close()


def test_h5_home_fits_a_360px_phone(live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/h5/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 360px"
        page.screenshot(path=str(_artifact("h5-360.png")), full_page=True)
    finally:
        context.close()


def _artifact(name: str) -> Any:
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / ".ci" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
