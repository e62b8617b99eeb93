"""The classifier's suggestion for each appeal, and the automatic acceptance of confident ones.

At filing, once the filing has committed (`after_filing`, run by `transaction.on_commit`), the appeal is
classified and a `Suggestion` row stored: top-3 categories with their confidence, the urgency, and the unit
the routing suggestion gives for the top category. Nothing here can fail or slow down a filing: the filing
is committed before the model is asked, and every error is logged and swallowed (the desk then classifies
live, and intake decides by hand as before).

Automatic acceptance (待受理 → 待派单 by the system) needs all of: `SHEGONG_SMART_AUTO_ACCEPT` set above 0;
the top category's confidence at least that value; a place at street or community level (a county-level
appeal needs a person to decide where it is); no category from the worker, or one in the suggested
first-level category (a disagreement goes to a person). The suggested urgency is applied, never lowering
an urgency the worker chose. Dispatch is never automatic: it starts the unit's clock, and a wrong unit
costs a 退单 round trip; intake dispatches with the routing suggestion preselected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction

from shegong.appeals.choices import State, Urgency
from shegong.appeals.models import Appeal, Category
from shegong.appeals.services import AppealConflict, appeal_accept
from shegong.divisions.choices import Level
from shegong.smart.models import Suggestion
from shegong.smart.routing import place_of, suggest_unit

if TYPE_CHECKING:
    from shegong.smart.classifier import Prediction

logger = logging.getLogger(__name__)

TOP = 3


def predict(text: str) -> Prediction | None:
    """The live model's prediction, or None (logged) when the model fails: callers go on without it."""
    from shegong.smart import classifier  # scikit-learn is imported on first use, not at start-up

    try:
        return classifier.classify(text)
    except Exception:  # a broken or missing model must never stop an appeal's way through intake
        logger.exception("smart classifier failed")
        return None


def desk_classifier(text: str) -> tuple[Sequence[tuple[str, float]], str | None]:
    """The desk's hook (`appeals.desk.suggest.register_classifier`): top-3 codes and the urgency."""
    from shegong.smart import classifier

    prediction = classifier.classify(text)  # the desk logs a failure and shows no suggestion
    return list(prediction.top)[:TOP], _urgency(prediction)


def _urgency(prediction: Prediction) -> str:
    return Urgency.URGENT if prediction.urgent else Urgency.NORMAL


def suggestion_store(*, appeal: Appeal) -> Suggestion | None:
    """The appeal's stored suggestion, classifying it now if it has none (filed before the module was
    installed, or the after-filing step did not run). None when the model fails."""
    existing = Suggestion.objects.filter(appeal=appeal).first()
    if existing is not None:
        return existing
    prediction = predict(appeal.text)
    if prediction is None:
        return None
    top = [[str(code), round(float(p), 4)] for code, p in list(prediction.top)[:TOP]]
    best = Category.objects.filter(code=top[0][0]).first() if top else None
    unit = suggest_unit(place_of(appeal), best).unit if best is not None else None
    suggestion = Suggestion(
        appeal=appeal,
        model_version=str(prediction.model_version)[:40],
        top=top,
        urgency=_urgency(prediction),
        urgent_probability=round(float(prediction.urgent_probability), 4),
        unit=unit,
    )
    suggestion.full_clean(exclude=["appeal", "unit"], validate_unique=False)
    try:
        with transaction.atomic():  # a savepoint, so that losing the race below leaves the caller's work
            suggestion.save()
    except IntegrityError:  # another request classified the same appeal a moment earlier: keep theirs
        return Suggestion.objects.filter(appeal=appeal).first()
    return suggestion


def auto_accept_threshold() -> float:
    """`SHEGONG_SMART_AUTO_ACCEPT` as a confidence; 0 (the default) switches automatic acceptance off."""
    value = float(getattr(settings, "SHEGONG_SMART_AUTO_ACCEPT", 0) or 0)
    return value if 0 < value <= 1 else 0.0


def auto_accept_category(appeal: Appeal, suggestion: Suggestion) -> Category | None:
    """The first-level category to accept the appeal with, or None when it may not be accepted
    automatically (see the module docstring)."""
    threshold = auto_accept_threshold()
    if not threshold or suggestion.confidence < threshold:
        return None
    if appeal.state != State.SUBMITTED or appeal.division.level < Level.STREET:
        return None
    category = Category.objects.filter(code=suggestion.category_code, is_active=True).first()
    if category is None:
        return None
    if appeal.category is not None and (appeal.category.parent_id or appeal.category_id) != category.pk:
        return None  # the worker said otherwise: a person decides
    return category


@transaction.atomic
def suggestion_auto_accept(*, appeal: Appeal, suggestion: Suggestion) -> bool:
    """Accept the appeal as the system when the suggestion is confident enough; True if it was."""
    category = auto_accept_category(appeal, suggestion)
    if category is None:
        return False
    urgent = Urgency.URGENT in (suggestion.urgency, appeal.urgency)
    try:
        appeal_accept(
            appeal=appeal,
            actor=None,
            category=None if appeal.category is not None else category,
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
            version=appeal.version,
        )
    except AppealConflict:  # intake (or the worker) acted first: theirs stands
        return False
    Suggestion.objects.filter(pk=suggestion.pk).update(auto_accepted=True)
    return True


def after_filing(appeal_id: int) -> None:
    """Classify a newly filed appeal, store the suggestion, accept it if confident enough. Runs after the
    filing committed; logs and swallows every error (the filing stands whatever happens here)."""
    try:
        appeal = Appeal.all_objects.select_related("division", "category").get(pk=appeal_id)
        suggestion = suggestion_store(appeal=appeal)
        if suggestion is not None:
            suggestion_auto_accept(appeal=appeal, suggestion=suggestion)
    except Exception:
        logger.exception("smart suggestion after filing failed for appeal %s", appeal_id)
