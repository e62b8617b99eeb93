"""Demo data: the demo divisions and units, one demo account per role, and the demo appeals.

Idempotent: a second run creates nothing. Every run resets the demo accounts to the printed password,
unlocks them and switches off a second factor someone enabled, so the printed table is always true.
Accounts are written through the accounts services (actor=None: the operator's command), so their creation
is audited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Meets the default password rules (≥ 10 characters, not common, not numeric) and the 等保 complexity switch.
DEMO_PASSWORD = "Shegong-Demo-2025"  # noqa: S105 (printed on purpose; demo accounts only)

HUANGGU = "210105000000"  # 沈阳市皇姑区
QINGXIU = "450103000000"  # 南宁市青秀区
XINCHENG = "150102000000"  # 呼和浩特市新城区
DEMO_DISTRICTS = (HUANGGU, QINGXIU, XINCHENG)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    real_name: str
    phone: str
    where: str  # "districts": one grant per demo district; "district", "street", "community": in 皇姑区


def demo_accounts() -> list[DemoAccount]:
    from shegong.accounts.choices import Role

    return [
        DemoAccount(Role.PLATFORM_ADMIN, "demo_admin", "演示管理员", "13800000001", "districts"),
        DemoAccount(Role.SECURITY_ADMIN, "demo_security", "演示安全员", "13800000002", "districts"),
        DemoAccount(Role.AUDITOR, "demo_auditor", "演示审计员", "13800000003", "districts"),
        DemoAccount(Role.LEADER, "demo_leader", "演示领导", "13800000004", "districts"),
        DemoAccount(Role.INTAKE, "demo_intake", "演示受理员", "13800000005", "district"),
        DemoAccount(Role.HANDLER, "demo_handler", "演示承办人", "13800000006", "street"),
        DemoAccount(Role.SOCIAL_WORKER, "demo_socialworker", "演示社工", "13800000007", "community"),
        DemoAccount(Role.VOLUNTEER, "demo_volunteer", "演示志愿者", "13800000008", "community"),
    ]


@dataclass
class _Places:
    districts: list[Any]
    district: Any
    district_unit: Any
    street: Any
    street_unit: Any
    community: Any
    community_unit: Any


def _places() -> _Places:
    from django.core.management.base import CommandError
    from django.utils.translation import gettext as _

    from shegong.divisions.choices import Level, UnitType
    from shegong.divisions.models import Division, Unit

    districts = list(Division.objects.filter(code__in=DEMO_DISTRICTS).order_by("code"))
    home = next((d for d in districts if d.code == HUANGGU), None)
    if home is None or len(districts) != len(DEMO_DISTRICTS):
        raise CommandError(
            _("The demo divisions are missing after seeding (expected {codes}).").format(
                codes=", ".join(DEMO_DISTRICTS)
            )
        )
    street = (
        Division.objects.filter(code__startswith=home.prefix, level=Level.STREET).order_by("code").first()
    )
    community = (
        Division.objects.filter(code__startswith=street.prefix, level=Level.COMMUNITY)
        .order_by("code")
        .first()
        if street is not None
        else None
    )

    def unit(division: Any, unit_type: str) -> Any:
        if division is None:
            return None
        return Unit.all_objects.filter(division=division, unit_type=unit_type).order_by("pk").first()

    return _Places(
        districts=districts,
        district=home,
        district_unit=unit(home, UnitType.SOCIAL_WORK_DEPT),
        street=street or home,
        street_unit=unit(street, UnitType.STREET_OFFICE),
        community=community or street or home,
        community_unit=unit(community, UnitType.COMMUNITY_COMMITTEE),
    )


def _grants_for(account: DemoAccount, places: _Places) -> list[tuple[Any, Any]]:
    """(division, unit) pairs the account should hold its role on."""
    if account.where == "districts":
        return [(d, None) for d in places.districts]
    if account.where == "district":
        return [(places.district, places.district_unit)]
    if account.where == "street":
        return [(places.street, places.street_unit)]
    if account.role == "volunteer":  # volunteers belong to no unit
        return [(places.community, None)]
    return [(places.community, places.community_unit)]


def seed_demo() -> list[DemoAccount]:
    """Seed the demo divisions, units and accounts; return the accounts (all with DEMO_PASSWORD)."""
    from django.db import transaction

    from shegong.appeals.demo import seed_demo_appeals
    from shegong.divisions.demo import seed_demo_divisions
    from shegong.smart.hotspots.demo import seed_demo_hotspots
    from shegong.stations.demo import seed_demo_stations

    with transaction.atomic():
        seed_demo_divisions()
        seed_demo_stations()
        places = _places()
        accounts = demo_accounts()
        for account in accounts:
            _ensure_account(account, places)
        # after the accounts: demo_admin writes the dispatch rules, the others act in the history
        seed_demo_appeals()
        # after the appeals: the hotspot job over them, and the demo governance task
        seed_demo_hotspots()
    return accounts


def _ensure_account(account: DemoAccount, places: _Places) -> None:
    from shegong.accounts import services
    from shegong.accounts.models import Grant, LoginFailure, User

    grants = _grants_for(account, places)
    home_division, home_unit = grants[0] if len(grants) == 1 else (places.district, None)
    user = User.objects.filter(username__iexact=account.username).first()
    if user is None:
        user = services.user_create(
            actor=None,
            username=account.username,
            password=DEMO_PASSWORD,
            real_name=account.real_name,
            phone=account.phone,
            division=home_division,
            unit=home_unit,
            must_change_password=False,
            is_demo=True,
        )
    elif not user.check_password(DEMO_PASSWORD):
        services.user_set_password(user=user, password=DEMO_PASSWORD, actor=None, must_change=False)
    flags = {
        "is_active": True,
        "is_demo": True,
        "must_change_password": False,
        # Django's admin site lets in staff only; the demo administrator uses it.
        "is_staff": account.role == "platform_admin",
        "is_superuser": account.role == "platform_admin",
    }
    changed = [name for name, value in flags.items() if getattr(user, name) != value]
    if changed:
        for name in changed:
            setattr(user, name, flags[name])
        user.save(update_fields=changed)
    if user.totp_enabled:
        services.totp_disable(user=user, actor=None)
    if LoginFailure.objects.filter(username=account.username.lower(), failures__gt=0).exists():
        services.account_unlock(username=account.username, actor=None)
    held = {
        (g.division_id, g.unit_id) for g in Grant.objects.filter(user=user, role=account.role, is_active=True)
    }
    for division, unit in grants:
        if (division.pk, unit.pk if unit is not None else None) not in held:
            services.grant_add(user=user, role=account.role, division=division, unit=unit, actor=None)
