"""System checks that keep production honest (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def production_secrets(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not settings.SHEGONG_SECRETS_FROM_ENV:
        errors.append(
            checks.Error(
                "SECRET_KEY and SHEGONG_FIELD_KEY must come from the environment in production.",
                id="shegong.E001",
            )
        )
    return errors
