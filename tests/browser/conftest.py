"""Playwright driving Debian's Chromium (never a downloaded browser).

Without /usr/bin/chromium the browser tests are skipped, unless SHEGONG_REQUIRE_BROWSER=1 (CI sets it), in
which case they fail: CI must never pass by silently not running them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("SHEGONG_REQUIRE_BROWSER") == "1"
AVAILABLE = CHROMIUM.exists()

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if AVAILABLE or REQUIRED:
        return
    reason = "Debian's Chromium is not installed (apt-get install -y chromium)"
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skipif(True, reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test itself makes (seeding)
    # are still synchronous. Scoped to browser tests so subprocesses of other tests never inherit it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
