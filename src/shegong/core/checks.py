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


@checks.register(checks.Tags.security, deploy=True)
def console_sms_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    # the console backend logs every message, verification codes included
    if settings.SHEGONG_PRODUCTION and settings.SHEGONG_SMS_BACKEND.endswith("ConsoleSMSBackend"):
        return [
            # Info, not Warning: no real gateway ships with the platform, so `serve` must still start
            checks.Info(
                "SHEGONG_SMS_BACKEND is the console backend: SMS are only logged, not sent.",
                id="shegong.I002",
            )
        ]
    return []
