"""The indicator formulas in one place (appeals.md: "configurable formulas, defaults").

A rate is numerator ÷ denominator over the counted appeals of a group (closed in the period, not
excluded). Both sides are named conditions from `CONDITIONS` joined with AND; the numerator always
includes the denominator's conditions too, so a rate never exceeds 100 %. The defaults are `DEFAULT_RATES`.
A deployment may change them without code through the environment variable `SHEGONG_APPEAL_INDICATORS`, a
JSON object; e.g. 响应率 counting the sign-for clock only, and the handling time from sign-for:

    SHEGONG_APPEAL_INDICATORS='{"rates": {"response": {"numerator": ["signed_in_time"]}},
                                "handling_from": "signed"}'

Only condition names from `CONDITIONS` are accepted (no free SQL, no code in settings); an unknown
name or key fails loudly with ImproperlyConfigured on first use. docs/appeals-indicators.md has the
table of conditions and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import and_
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import Satisfaction

SETTING = "SHEGONG_APPEAL_INDICATORS"

# Conditions on one appeal. `was_returned` is an annotation the queries add (an EXISTS on ReturnRecord).
# A comparison with a NULL deadline is false in SQL: an appeal without the deadline is not "in time".
CONDITIONS: dict[str, Q] = {
    # sent to a unit at least once (every appeal closed by rating or unrated has been)
    "dispatched": Q(dispatched_at__isnull=False, unit__isnull=False),
    # signed for no later than the sign-for deadline of its (last) dispatch
    "signed_in_time": Q(signed_at__lte=F("sign_due_at")),
    # first contact with the worker no later than its deadline (the reply counts as a contact)
    "contacted_in_time": Q(first_contact_at__lte=F("contact_due_at")),
    # the unit replied (已答复) — the population of 按时办结率
    "replied": Q(replied_at__isnull=False, unit__isnull=False),
    # the (last) reply no later than the (last) handling deadline, extensions and 重办 included
    "replied_in_time": Q(replied_at__lte=F("handle_due_at")),
    # the worker rated the unit's answer at least once (a failed rating sends it back for 重办)
    "rated": Q(first_satisfaction__in=Satisfaction.values),
    # the worker's first rating says 已解决: the unit's answer solved it the first time
    "resolved": Q(first_resolved=True),
    # the worker's first rating is 满意 or 基本满意
    "satisfied": Q(first_satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]),
    # a unit returned it (退单) at least once
    "returned": Q(was_returned=True),
    # sent back for redo (重办) at least once
    "redone": Q(redo_count__gt=0),
}


@dataclass(frozen=True)
class Rate:
    """One rate: which conditions make the denominator and which more make the numerator."""

    key: str
    label: Promise
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    @property
    def denominator_q(self) -> Q:
        return _all_of(self.denominator)

    @property
    def numerator_q(self) -> Q:
        return _all_of((*self.denominator, *self.numerator))


def _all_of(names: Sequence[str]) -> Q:
    return reduce(and_, (CONDITIONS[name] for name in names), Q())


DEFAULT_RATES: tuple[Rate, ...] = (
    Rate(
        "response",
        _("Response rate"),
        numerator=("signed_in_time", "contacted_in_time"),
        denominator=("dispatched",),
    ),
    Rate("resolution", _("Resolution rate"), numerator=("resolved",), denominator=("rated",)),
    Rate(
        "satisfaction",
        _("Satisfaction rate"),
        numerator=("satisfied",),
        denominator=("rated",),
    ),
    Rate(
        "on_time",
        _("On-time completion rate"),
        numerator=("replied_in_time",),
        denominator=("replied",),
    ),
    Rate("return", _("Return rate"), numerator=("returned",), denominator=("dispatched",)),
    Rate("redo", _("Redo rate"), numerator=("redone",), denominator=("rated",)),
)

# Where the handling time starts; it always ends at the (last) reply.
HANDLING_FROM: dict[str, str] = {"dispatched": "dispatched_at", "signed": "signed_at"}
DEFAULT_HANDLING_FROM = "dispatched"


def _config() -> Mapping[str, Any]:
    config = getattr(settings, SETTING, None) or {}
    if not isinstance(config, Mapping) or set(config) - {"rates", "handling_from"}:
        raise ImproperlyConfigured(f"{SETTING} takes the keys 'rates' and 'handling_from' only")
    return config


def _names(rate_key: str, side: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ImproperlyConfigured(f"{SETTING}['rates'][{rate_key!r}][{side!r}] must be a non-empty list")
    unknown = [name for name in value if name not in CONDITIONS]
    if unknown:
        raise ImproperlyConfigured(
            f"{SETTING}['rates'][{rate_key!r}] names unknown conditions {unknown}; "
            f"known: {sorted(CONDITIONS)}"
        )
    return tuple(value)


def rates() -> tuple[Rate, ...]:
    """The rates in display order: the defaults with the setting's overrides applied (read on every call
    so that a changed setting, e.g. in tests, takes effect)."""
    overrides = _config().get("rates") or {}
    known = {rate.key: rate for rate in DEFAULT_RATES}
    if not isinstance(overrides, Mapping) or set(overrides) - set(known):
        raise ImproperlyConfigured(f"{SETTING}['rates'] may change only {sorted(known)}")
    result = []
    for rate in DEFAULT_RATES:
        change = overrides.get(rate.key) or {}
        if not isinstance(change, Mapping) or set(change) - {"numerator", "denominator"}:
            raise ImproperlyConfigured(f"{SETTING}['rates'][{rate.key!r}] takes 'numerator'/'denominator'")
        result.append(
            Rate(
                rate.key,
                rate.label,
                numerator=_names(rate.key, "numerator", change.get("numerator", rate.numerator)),
                denominator=_names(rate.key, "denominator", change.get("denominator", rate.denominator)),
            )
        )
    return tuple(result)


def handling_start_field() -> str:
    """The Appeal field the average handling time counts from (dispatch by default)."""
    choice = _config().get("handling_from", DEFAULT_HANDLING_FROM)
    if choice not in HANDLING_FROM:
        raise ImproperlyConfigured(f"{SETTING}['handling_from'] must be one of {sorted(HANDLING_FROM)}")
    return HANDLING_FROM[choice]
