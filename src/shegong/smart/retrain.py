"""`shegong smart retrain`: rebuild the classifier from the seed corpus and the dispatchers' corrections, and
make it live only when it does not do worse on the held-out split.

Training examples: the seed corpus's training split, plus one example per appeal a person accepted — the
text as it was then, with the category and urgency intake chose at its latest acceptance (a second-level
category counts as its first-level parent; a category the classifier does not know is skipped). The
system's automatic acceptances are not examples (the model would learn from itself), and neither are
dispatch rows (the dispatcher does not choose the category there).

The guard: the candidate and the live model are scored on the seed corpus's held-out split, which training
never sees. The candidate is refused when its top-1 accuracy, macro F1 or urgent recall is below the live
model's (compared at 4 decimal places, so that retraining on the same data is not refused for float noise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shegong.appeals.choices import Urgency
from shegong.appeals.models import Category
from shegong.smart import classifier, training
from shegong.smart.models import Correction

# The held-out scores that may not drop (urgent recall: a missed urgent appeal is the costly mistake).
GUARDED = ("top1", "macro_f1", "urgent_recall")
# Scores printed and compared (the rest of Metrics is printed as it comes).
SHOWN = ("top1", "top3", "macro_f1", "urgent_recall", "urgent_precision", "ms_per_item")
PLACES = 4

SAVED = "saved"
REFUSED = "refused"
DRY_RUN = "dry_run"


@dataclass
class RetrainResult:
    status: str
    seed: int
    history: int
    before: dict[str, float]
    after: dict[str, float]
    dropped: list[str] = field(default_factory=list)
    version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"retrain": "classify", **asdict(self)}


def training_history() -> list[training.Example]:
    """One example per appeal a person accepted (see the module docstring), oldest first."""
    roots = {
        c.code: (c.parent.code if c.parent is not None else c.code)
        for c in Category.objects.select_related("parent")
    }
    known = set(training.CODES)
    latest: dict[int, training.Example] = {}
    # Accept rows: a person's category choice; dispatch rows (a unit chosen) repeat it and are left out.
    rows = (
        Correction.objects.exclude(chosen_category="")
        .filter(chosen_unit__isnull=True)
        .order_by("at", "pk")
        .values_list("appeal_id", "text", "chosen_category", "chosen_urgency")
    )
    for appeal_id, text, code, urgency in rows:
        category = roots.get(code)
        if category is None or category not in known or not text.strip():
            continue
        latest.pop(appeal_id, None)  # re-inserted: the order of the latest decisions
        latest[appeal_id] = training.Example(text=text, category=category, urgent=urgency == Urgency.URGENT)
    return list(latest.values())


def scores(metrics: Any) -> dict[str, float]:
    return {name: round(float(getattr(metrics, name)), PLACES) for name in SHOWN if hasattr(metrics, name)}


def dropped(before: dict[str, float], after: dict[str, float]) -> list[str]:
    return [name for name in GUARDED if name in before and after.get(name, 0.0) < before[name]]


def retrain(*, dry_run: bool = False, note: str = "") -> RetrainResult:
    """Train a candidate, score it and the live model on the held-out split, and save it as the live model
    unless a guarded score dropped (or `dry_run`)."""
    seed, heldout = training.seed_examples()
    history = training_history()
    candidate = training.train([*seed, *history])
    after_metrics = training.evaluate(candidate, heldout)
    after = scores(after_metrics)
    before = scores(training.evaluate(classifier.live_model(), heldout))
    result = RetrainResult(status=DRY_RUN, seed=len(seed), history=len(history), before=before, after=after)
    result.dropped = dropped(before, after)
    if result.dropped:
        result.status = REFUSED
    elif not dry_run:
        saved = training.save_live(
            candidate, after_metrics, seed_count=len(seed), history_count=len(history), note=note
        )
        result.status, result.version = SAVED, saved.version
    return result
