"""A small jurisdiction for tests: two counties in two provinces, a street and community under each,
and a helper that makes a user holding one role over one division.

`home` is 沈阳市皇姑区 (210105) — the in-scope side; `away` is 南宁市青秀区 (450103) — out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from shegong.accounts.models import Grant, User
from shegong.divisions.models import Division, Unit

PASSWORD = "Correct-Horse-42"
_seq = count(1)


def _division(code: str, name: str, level: int, parent: Division | None) -> Division:
    obj, _ = Division.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "is_demo": True}
    )
    return obj


@dataclass
class World:
    home: Division
    home_street: Division
    home_community: Division
    away: Division
    away_street: Division
    home_unit: Unit
    away_unit: Unit
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def user(self, role: str, division: Division | None = None, *, unit: Unit | None = None) -> User:
        """A fresh active user holding `role` over `division` (default: home; None-like '' = nationwide)."""
        division = self.home if division is None else division
        n = next(_seq)
        user = User.objects.create_user(username=f"{role}-{n}", password=PASSWORD, real_name=f"测试{n}")
        Grant.objects.create(user=user, role=role, division=division, unit=unit)
        return user

    def nationwide(self, role: str) -> User:
        n = next(_seq)
        user = User.objects.create_user(username=f"{role}-nat-{n}", password=PASSWORD)
        Grant.objects.create(user=user, role=role, division=None)
        return user


def build_world() -> World:
    ln = _division("210000000000", "辽宁省", 2, None)
    sy = _division("210100000000", "沈阳市", 4, ln)
    home = _division("210105000000", "皇姑区", 6, sy)
    home_street = _division("210105001000", "测试街道", 9, home)
    home_community = _division("210105001001", "测试社区", 12, home_street)
    gx = _division("450000000000", "广西壮族自治区", 2, None)
    nn = _division("450100000000", "南宁市", 4, gx)
    away = _division("450103000000", "青秀区", 6, nn)
    away_street = _division("450103001000", "远方街道", 9, away)
    home_unit = Unit.all_objects.create(name="皇姑区社会工作部", unit_type="social_work_dept", division=home)
    away_unit = Unit.all_objects.create(name="青秀区社会工作部", unit_type="social_work_dept", division=away)
    return World(home, home_street, home_community, away, away_street, home_unit, away_unit)
