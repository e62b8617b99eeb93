"""The classifier's suggestion shown at intake, when a classifier is installed.

The desk does not depend on the `smart` module: that module (or any other) registers a function in its
`AppConfig.ready()`::

    from shegong.appeals.desk.suggest import register_classifier
    register_classifier(lambda text: ([("WAGE", 0.91), ("CONTRACT", 0.05)], "normal"))

The function gets the appeal's text and returns the category codes with their confidence (best first)
and a suggested urgency (or None). Without one, intake classifies by hand. A classifier that fails never
breaks the intake page: the failure is logged and the page shows no suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shegong.appeals.choices import Urgency
from shegong.appeals.models import Appeal, Category
from shegong.appeals.routing import route
from shegong.divisions.models import Division, Unit

logger = logging.getLogger(__name__)

Classifier = Callable[[str], tuple[Sequence[tuple[str, float]], str | None]]

_classifier: Classifier | None = None
TOP = 3


@dataclass(frozen=True)
class Suggestion:
    categories: list[tuple[Category, float]]
    urgency: str | None

    @property
    def best(self) -> Category | None:
        return self.categories[0][0] if self.categories else None

    @property
    def urgency_label(self) -> str:
        return str(Urgency(self.urgency).label) if self.urgency else ""


def register_classifier(classifier: Classifier | None) -> None:
    """Install (or, with None, remove) the classifier the intake form asks."""
    global _classifier
    _classifier = classifier


def suggestion_for(appeal: Appeal) -> Suggestion | None:
    if _classifier is None:
        return None
    try:
        ranked, urgency = _classifier(appeal.text)
        codes = [code for code, _confidence in ranked][:TOP]
        by_code = {c.code: c for c in Category.objects.filter(code__in=codes, is_active=True)}
        categories = [(by_code[code], float(conf)) for code, conf in list(ranked)[:TOP] if code in by_code]
    except Exception:  # a broken model must not stop intake from working by hand
        logger.exception("appeal classifier failed for %s", appeal.tracking_no)
        return None
    if urgency not in Urgency.values:
        urgency = None
    if not categories and urgency is None:
        return None
    return Suggestion(categories=categories, urgency=urgency)


# --- the unit suggested for dispatch -----------------------------------------------------------------------
# Without a router the dispatch form preselects the catalogue's unit (`appeals.routing.route`). The smart
# module registers one that also learns from past dispatch choices where the catalogue is silent or broad:
#     register_router(lambda division, category: (unit_or_None, "why, in words"))
Router = Callable[[Division, Category | None], tuple[Unit | None, str]]

_router: Router | None = None


def register_router(router: Router | None) -> None:
    """Install (or, with None, remove) the function the dispatch form asks for its suggested unit."""
    global _router
    _router = router


def unit_for(appeal: Appeal) -> tuple[Unit | None, str]:
    """The unit to preselect when dispatching `appeal`, and why (empty: the catalogue's plain rule)."""
    if _router is not None:
        try:
            return _router(appeal.division, appeal.category)
        except Exception:  # a broken router must not stop dispatching by hand
            logger.exception("unit router failed for %s", appeal.tracking_no)
    return route(division=appeal.division, category=appeal.category), ""
