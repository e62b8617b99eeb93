from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Settings) -> None:
    # Tests run with DEBUG off, where settings pick whitenoise's manifest storage; that needs `collectstatic`
    # first. Page tests only need {% static %} to produce a URL.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
