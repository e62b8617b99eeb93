"""Dispatchers' decisions beside the suggestions: the training signal of `smart retrain` and the routing
history of `smart.routing`.

A `Correction` row is written when a person accepts an appeal (the category and urgency intake chose, the
unit the suggestion named) and each time a person dispatches it (the unit chosen and the unit the routing
suggestion gives now). Agreements are stored too: a dispatcher who keeps the suggestion confirms it. The
system's own acceptance writes none, since the model would then learn from itself. The row is written
inside the transition's transaction, in a savepoint: if it fails, the failure is logged and the
dispatcher's action stands.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from shegong.appeals.models import Appeal, Category
from shegong.appeals.services import common as c
from shegong.smart.models import Correction
from shegong.smart.routing import place_of, suggest_unit
from shegong.smart.suggestions import suggestion_store

logger = logging.getLogger(__name__)

RECORDED_ACTIONS = frozenset({c.ACCEPT, c.DISPATCH})


def correction_record(*, appeal: Appeal, action: str, actor: Any) -> Correction:
    """Store what `actor` chose at `action` (accept or dispatch) beside what was suggested."""
    if action not in RECORDED_ACTIONS:
        raise ValueError(action)
    suggestion = suggestion_store(appeal=appeal)
    place = place_of(appeal)
    category: Category | None = appeal.category
    if action == c.DISPATCH:
        suggested_unit = suggest_unit(place, category).unit
        chosen_unit = appeal.unit
    else:
        suggested_unit = suggestion.unit if suggestion is not None else None
        chosen_unit = None
    return Correction.objects.create(
        appeal=appeal,
        text=appeal.text,
        suggested_category=suggestion.category_code if suggestion is not None else "",
        chosen_category=category.code if category is not None else "",
        suggested_urgency=suggestion.urgency if suggestion is not None else "",
        chosen_urgency=appeal.urgency,
        suggested_unit=suggested_unit,
        chosen_unit=chosen_unit,
        division=place,
        by=actor,
    )


def correction_record_quietly(*, appeal: Appeal, action: str, actor: Any) -> Correction | None:
    """`correction_record` in a savepoint; a failure is logged and leaves the caller's transaction intact."""
    try:
        with transaction.atomic():
            return correction_record(appeal=appeal, action=action, actor=actor)
    except Exception:  # learning must never cost a dispatcher their action
        logger.exception("smart correction for appeal %s (%s) not stored", appeal.pk, action)
        return None
