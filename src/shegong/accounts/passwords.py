"""Password rules beyond Django's: optional composition (等保 switch) and a 64-character ceiling (ASVS)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^A-Za-z0-9]"))


class ComplexityValidator:
    """With SHEGONG_PASSWORD_COMPLEXITY on: at least three of lower case, upper case, digits and symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        if not settings.SHEGONG_PASSWORD_COMPLEXITY:
            return
        if sum(1 for rx in _CLASSES if rx.search(password)) < 3:
            raise ValidationError(
                _("The password must mix at least three of: lower case, upper case, digits, symbols."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        if not settings.SHEGONG_PASSWORD_COMPLEXITY:
            return ""
        return _("Mix at least three of: lower case, upper case, digits, symbols.")


class MaximumLengthValidator:
    max_length = 64

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password may have at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("At most %(max)d characters.") % {"max": self.max_length}
