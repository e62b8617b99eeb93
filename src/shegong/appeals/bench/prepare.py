"""Child process of `shegong bench intake`, run on the fresh benchmark database with the production
environment: migrate, seed the holiday calendar and the demo divisions and units (not the demo accounts
or stations), create the platform account the load clients file as, with one grant per demo district and
an API token. Prints one JSON object on its last line: account id, token, places to file in, categories.

    python -m shegong.appeals.bench.prepare
"""

from __future__ import annotations

import json
from typing import Any

from shegong.appeals.bench.corpus import Place

PARTNER_USERNAME = "bench_platform"


def prepare() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import transaction

    from shegong.accounts import services as accounts
    from shegong.accounts.choices import Role
    from shegong.divisions.demo import seed_demo_divisions

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_calendar", "--from-package", verbosity=0)
    seed_demo_divisions()
    with transaction.atomic():
        # actor=None: the operator's command, audited like `shegong manage create_account`
        partner = accounts.user_create(
            actor=None, username=PARTNER_USERNAME, real_name="压测平台", must_change_password=False
        )
        for district in _districts():
            accounts.grant_add(user=partner, role=Role.PLATFORM_PARTNER, division=district, actor=None)
        _token, raw = accounts.api_token_create(user=partner, name="bench intake", actor=None)
    places, categories = places_and_categories()
    return {
        "partner_id": partner.pk,
        "token": raw,
        "places": [{"code": p.code, "name": p.name} for p in places],
        "categories": categories,
    }


def _districts() -> list[Any]:
    from shegong.divisions.models import Division
    from shegong.ops.demo_data import DEMO_DISTRICTS

    return list(Division.objects.filter(code__in=DEMO_DISTRICTS).order_by("code"))


def places_and_categories() -> tuple[list[Place], list[str]]:
    """The streets and communities of the demo districts (where the partner may file), and the
    first-level categories in use."""
    from shegong.appeals.models import Category
    from shegong.divisions.choices import Level
    from shegong.divisions.models import Division

    places = [
        Place(d.code, d.name)
        for district in _districts()
        for d in Division.objects.filter(
            code__startswith=district.prefix, level__in=[Level.STREET, Level.COMMUNITY]
        ).order_by("code")
    ]
    categories = list(
        Category.objects.filter(is_active=True, parent__isnull=True)
        .order_by("order")
        .values_list("code", flat=True)
    )
    return places, categories


def main() -> None:
    from shegong.ops.bootstrap import setup_django

    setup_django()
    print(json.dumps(prepare(), ensure_ascii=False))


if __name__ == "__main__":
    main()
