"""The case registry of the authorization matrix: `Case`, `register()`, the fixture context `Fx` handed to
a case's `build`, and the loader that imports every `cases_*.py` in this folder (see README.md)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from shegong.accounts.choices import Role

ANON = "anonymous"
# A worker's browser holding a phone verified by SMS code (the H5 pages' and the appeals API's third way
# in); not a Role. "in" objects carry WORKER_PHONE, "out" objects another phone (and another province).
WORKER = "verified_worker"
WORKER_PHONE = "13800138000"
OTHER_PHONE = "13900139000"
ROLES: tuple[str, ...] = (*(str(r) for r in Role), ANON, WORKER)
NOT_LOGGED_IN = frozenset({ANON, WORKER})
EVERYONE = frozenset(ROLES)  # public endpoints: every role, anonymous callers and verified workers
SIDES = ("in", "out")


@dataclass
class Case:
    """One endpoint × one HTTP method, with what each role must get on an object inside and outside its
    grant. See README.md for every field."""

    endpoint: str
    build: Callable[..., Any]
    url: Callable[..., str]
    method: str = "get"
    ok: Iterable[str] = ()
    status: int = 200
    denied: int = 403
    per_role: dict[str, int] = field(default_factory=dict)
    out_status: int | None = None  # ok roles on the out object: 404 (objects) or `status` (listing)
    out_per_role: dict[str, int] = field(default_factory=dict)
    payload: Callable[..., Any] | None = None
    watch: tuple[type[models.Model], ...] = ()
    public: str = ""
    shows_out: bool = False
    bearer: bool = True
    headers: Callable[..., dict[str, str]] | None = None
    multipart: bool = False  # API: send the payload as multipart/form-data (file uploads)
    session: bool = True  # False: the API takes no session (bearer token only): sessions get 401
    # "api_key": the caller is the role's API token sent as the api_key parameter (Open311), not a session
    credential: str = "session"
    listing: bool = (
        False  # a list/search/export/aggregate: the same answer on both sides (minus the out marker)
    )
    label: str = ""  # tells two cases of one endpoint and method apart
    note: str = ""
    csrf_exempt: str = ""  # why an unsafe method needs no CSRF token (e.g. Open311 POST with an api_key)

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.ok = frozenset(str(r) for r in self.ok)
        if self.out_status is None:
            self.out_status = self.status if self.listing else 404
        unknown = set(self.ok) - set(ROLES)
        assert not unknown, f"{self.endpoint}: unknown roles {unknown}"
        assert ANON not in self.ok or self.public, f"{self.endpoint}: public endpoints say what they show"

    @property
    def api(self) -> bool:
        return self.endpoint.split(" ", 1)[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"}

    @property
    def id(self) -> str:
        base = self.endpoint if self.api else f"{self.endpoint} {self.method.upper()}"
        return f"{base} [{self.label}]" if self.label else base

    @property
    def coverage_key(self) -> tuple[str, str]:
        return (self.endpoint, self.method.upper())

    def expected(self, role: str, side: str) -> set[int]:
        """The statuses `role` may get on the `side` object."""
        if not self.session and role not in NOT_LOGGED_IN and role not in self.per_role:
            return {401}
        if role in self.ok:
            if side == "in" or self.shows_out:
                return {self.status}
            return {self.out_per_role.get(role, self.out_status or 404)}
        if role in NOT_LOGGED_IN and role not in self.per_role:
            return {401} if self.api else {302}
        refused = self.per_role.get(role, self.denied)
        if side == "in":
            return {refused}
        if role in self.out_per_role:
            return {self.out_per_role[role]}
        # outside the grant a role without the right may be told "not found" or "forbidden"
        return {refused, 404}


_CASES: dict[str, Case] = {}


def register(*cases: Case) -> None:
    for case in cases:
        assert case.id not in _CASES, f"two cases named {case.id}"
        _CASES[case.id] = case


def load_all() -> dict[str, Case]:
    """Import every tests/security/matrix/cases_*.py once; returns the registry (id → Case)."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("cases_"):
            importlib.import_module(f"{__package__}.{info.name}")
    return _CASES


def call_with(fn: Callable[..., Any], obj: Any, fx: Fx) -> Any:
    """Call a case hook that takes (obj) or (obj, fx)."""
    return fn(obj, fx) if len(inspect.signature(fn).parameters) >= 2 else fn(obj)


@dataclass
class Fx:
    """What a case's `build(fx, side, marker)` may use. Built once per test module."""

    world: Any
    users: dict[str, Any]
    tokens: dict[str, str]
    intake: Any  # a nationwide intake officer who drives appeals along
    sessions: dict[str, str] = field(default_factory=dict)  # principal → session key, made once
    _handlers: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.users[str(role)]

    def division(self, side: str) -> Any:
        return self.world.home_street if side == "in" else self.world.away_street

    def community(self, side: str) -> Any:
        return self.world.home_community if side == "in" else self.world.away_street

    def county(self, side: str) -> Any:
        return self.world.home if side == "in" else self.world.away

    def unit(self, side: str) -> Any:
        return self.world.home_unit if side == "in" else self.world.away_unit

    def handler(self, side: str) -> Any:
        """A handler of the side's unit (for the in side: the matrix's own handler user)."""
        if side == "in":
            return self.user(Role.HANDLER)
        if side not in self._handlers:
            self._handlers[side] = self.world.user(Role.HANDLER, self.world.away, unit=self.world.away_unit)
        return self._handlers[side]

    def nationwide_leader(self) -> Any:
        if "leader:nationwide" not in self._handlers:
            self._handlers["leader:nationwide"] = self.world.nationwide(Role.LEADER)
        return self._handlers["leader:nationwide"]

    def staff(self, role: str, side: str) -> Any:
        """A user holding `role` over the side's county (for the in side: the matrix's own user)."""
        if side == "in":
            return self.user(role)
        key = f"{role}:{side}"
        if key not in self._handlers:
            unit = self.world.away_unit if role == Role.HANDLER else None
            self._handlers[key] = self.world.user(role, self.world.away, unit=unit)
        return self._handlers[key]

    def appeal(self, side: str, marker: str, state: str = "submitted", **fields: Any) -> Any:
        """An appeal in the side's community carrying `marker` in its text, driven to `state`."""
        from shegong.appeals import services as s
        from shegong.appeals.choices import AppealType, Channel, Satisfaction, State, WorkerType

        values: dict[str, Any] = {
            "text": f"站点拖欠我三个月的配送费，站长一直不接电话。{marker}",
            "division": self.community(side),
            "phone": WORKER_PHONE if side == "in" else OTHER_PHONE,
            "appeal_type": AppealType.COMPLAINT,
            "worker_type": WorkerType.FOOD_DELIVERY,
            "channel": Channel.H5,
            "platform": "美团",
        }
        values.update(fields)
        appeal = s.appeal_submit(**values)
        if state == State.SUBMITTED:
            return appeal
        if state == State.REJECTED:
            return s.appeal_reject(appeal=appeal, actor=self.intake, reason="与新就业群体无关")
        appeal = s.appeal_accept(appeal=appeal, actor=self.intake)
        if state == State.ACCEPTED:
            return appeal
        appeal = s.appeal_dispatch(appeal=appeal, actor=self.intake, unit=self.unit(side))
        if state == State.DISPATCHED:
            return appeal
        handler = self.handler(side)
        appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
        if state == State.IN_PROGRESS:
            return appeal
        appeal = s.appeal_reply(appeal=appeal, actor=handler, text="已联系站点，配送费本周内结清。")
        if state == State.REPLIED:
            return appeal
        if state == State.CLOSED:
            return s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)
        raise AssertionError(state)
