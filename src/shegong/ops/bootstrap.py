"""Starting Django from the `shegong` command."""

from __future__ import annotations

import os
import sys

SETTINGS_MODULE = "shegong.config.settings"


class OperatorError(Exception):
    """A condition the operator must fix; the command prints the message and exits with `exit_code`."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def setup_django() -> None:
    """Configure Django from the environment as it is now (callers adjust the environment first)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django
    from django.conf import settings
    from django.utils import translation

    try:
        django.setup()
    except ValueError as exc:  # a malformed environment variable (config/env.py names it)
        raise OperatorError(str(exc), exit_code=2) from exc
    # Operators read Chinese: messages of the commands follow the site language.
    translation.activate(settings.LANGUAGE_CODE)


def manage(argv: list[str]) -> int:
    """Run a Django management command line exactly as `manage.py` would (it exits on errors itself)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["shegong manage", *argv])
    except ValueError as exc:  # settings could not be read from the environment
        print(exc, file=sys.stderr)
        return 2
    return 0
