"""`shegong manage unlock_account USERNAME`: clear a login lockout (for when no security admin can log in)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shegong.accounts import services


class Command(BaseCommand):
    help = "Clear the failed-login counter and lockout of a username (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        was_locked = services.account_unlock(username=options["username"], actor=None)
        state = "was locked; unlocked" if was_locked else "was not locked; failure count cleared"
        self.stdout.write(f"{options['username'].strip().lower()}: {state}")
