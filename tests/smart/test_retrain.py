"""`smart_retrain`: seed corpus + the categories people chose at intake → a candidate, kept only when its
held-out scores do not drop below the live model's. Real training, real models (a few seconds each)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, State, Urgency, WorkerType
from shegong.appeals.models import Appeal, Category
from shegong.appeals.tracking import new_tracking_no
from shegong.smart import classifier, retrain, training
from shegong.smart.models import Correction, TrainedModel
from tests.appeals.conftest import Actors
from tests.smart.learning_support import make_actors
from tests.support.world import World

pytestmark = pytest.mark.django_db

PROBE = "站点拖欠我三个月的配送费，站长一直不接电话。"


@pytest.fixture
def actors(world: World) -> Actors:
    return make_actors(world)


@pytest.fixture(autouse=True)
def _live_model_of_this_test() -> Iterator[None]:
    """A saved model becomes live in this process; the test's rows roll back, so load again around it."""
    classifier.reload()
    yield
    classifier.reload()


def _accepted(actors: Actors, examples: Sequence[training.Example]) -> None:
    """Appeals intake accepted with the examples' categories and urgency (their accept corrections)."""
    appeals = Appeal.all_objects.bulk_create(
        Appeal(
            tracking_no=new_tracking_no(),
            text=e.text,
            division=actors.world.home_community,
            phone="13800138000",
            appeal_type=AppealType.COMPLAINT,
            worker_type=WorkerType.FOOD_DELIVERY,
            channel=Channel.H5,
            state=State.SUBMITTED,
        )
        for e in examples
    )
    Correction.objects.bulk_create(
        Correction(
            appeal=appeal,
            text=e.text,
            chosen_category=e.category,
            chosen_urgency=Urgency.URGENT if e.urgent else Urgency.NORMAL,
            division=appeal.division,
            by=actors.intake,
        )
        for appeal, e in zip(appeals, examples, strict=True)
    )


def _run(*args: str) -> tuple[dict[str, Any], str]:
    out = StringIO()
    error = ""
    try:
        call_command("smart_retrain", *args, stdout=out)
    except CommandError as exc:
        error = str(exc)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), error


def _weak_live_model() -> TrainedModel:
    """A live model trained on a third of the seed corpus: any honest retrain should beat it."""
    seed, heldout = training.seed_examples()
    weak = training.train(seed[::3])
    row: TrainedModel = training.save_live(
        weak, training.evaluate(weak, heldout), seed_count=len(seed[::3]), history_count=0, note="weak"
    )
    return row


def test_a_history_of_wrong_labels_is_refused(actors: Actors) -> None:
    seed, _heldout = training.seed_examples()
    codes = list(training.CODES)
    wrong = [
        training.Example(e.text, codes[(codes.index(e.category) + 1) % len(codes)], not e.urgent)
        for e in seed[:200]
    ]
    _accepted(actors, wrong)
    version = classifier.classify(PROBE).model_version
    result, error = _run()
    assert result["status"] == retrain.REFUSED
    assert (result["seed"], result["history"]) == (len(seed), 200)
    assert "top1" in result["dropped"]
    assert result["after"]["top1"] < result["before"]["top1"]
    assert "live model is kept" in error
    assert not TrainedModel.objects.exists()
    assert classifier.classify(PROBE).model_version == version


def test_a_history_that_does_not_lower_the_scores_goes_live(actors: Actors) -> None:
    weak = _weak_live_model()
    seed, _heldout = training.seed_examples()
    _accepted(actors, seed[:24])  # people confirming categories the corpus already knows
    result, error = _run("--note", "weekly")
    assert (result["status"], error) == (retrain.SAVED, "")
    assert all(result["after"][name] >= result["before"][name] for name in retrain.GUARDED)
    assert set(result["before"]) == set(retrain.SHOWN)
    live = TrainedModel.objects.get(is_live=True)
    assert (live.version, live.seed_examples, live.history_examples, live.note) == (
        result["version"],
        len(seed),
        24,
        "weekly",
    )
    assert live.heldout_top1 == pytest.approx(result["after"]["top1"], abs=1e-4)
    assert not TrainedModel.objects.get(pk=weak.pk).is_live
    assert classifier.classify(PROBE).model_version == live.version


def test_dry_run_scores_and_keeps_the_live_model() -> None:
    weak = _weak_live_model()
    result, error = _run("--dry-run")
    assert (result["status"], result["history"], error) == (retrain.DRY_RUN, 0, "")
    assert result["after"]["top1"] > result["before"]["top1"]
    assert TrainedModel.objects.get(is_live=True) == weak
    assert classifier.classify(PROBE).model_version == weak.version


def test_training_history_takes_each_appeals_latest_acceptance_by_a_person(actors: Actors) -> None:
    wage, contract = Category.objects.get(code="WAGE"), Category.objects.get(code="CONTRACT")
    arrears = Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    # two accept rows for one appeal (a data fix): the latest one counts
    first = actors.submit(text="第一条")
    for code in ("PARKING", "WAGE"):
        Correction.objects.create(
            appeal=first, text=first.text, chosen_category=code, division=first.division, by=actors.intake
        )
    # a second-level category counts as its parent; the dispatch row (a unit chosen) adds nothing
    second = s.appeal_accept(appeal=actors.submit(text="第二条"), actor=actors.intake, category=arrears)
    s.appeal_dispatch(appeal=second, actor=actors.intake, unit=actors.world.home_unit)
    # accepted without a category, or a category the classifier does not know: no example
    s.appeal_accept(appeal=actors.submit(text="第三条"), actor=actors.intake)
    unknown = actors.submit(text="第四条")
    Correction.objects.create(
        appeal=unknown, text=unknown.text, chosen_category="NOPE", division=unknown.division, by=actors.intake
    )
    urgent = s.appeal_accept(
        appeal=actors.submit(text="第五条"), actor=actors.intake, category=contract, urgency=Urgency.URGENT
    )
    examples = retrain.training_history()
    assert [(e.text, e.category, e.urgent) for e in examples] == [
        ("第一条", "WAGE", False),
        ("第二条", "WAGE", False),
        (urgent.text, "CONTRACT", True),
    ]
