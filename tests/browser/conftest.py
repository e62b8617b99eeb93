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


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API keeps an event loop in this thread while a browser is open; the ORM calls the
    # tests and their fixtures make (seeding, flushing) are still synchronous. Module-scoped and set up
    # before the browser starts, so it covers every such call, and undone before other tests (and their
    # subprocesses) run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield
