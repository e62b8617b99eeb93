"""`demo_seed` (`shegong seed demo`): demo divisions, units and one account per role, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from shegong.ops.demo import accounts_table
from shegong.ops.demo_data import seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo divisions, units and one demo account per role. Running it again creates nothing "
        "new and resets the demo accounts to the printed password."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = seed_demo()
        if options["verbosity"] >= 1:
            self.stdout.write(gettext("Demo data is ready. Demo accounts:"))
            self.stdout.write(accounts_table(accounts))
