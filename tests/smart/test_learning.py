"""Learning from dispatchers: a suggestion stored at filing (never in the filing's way), automatic acceptance
only above the threshold, corrections stored at accept and dispatch, the suggestion on the intake form.
The real classifier is used throughout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import State, Urgency
from shegong.appeals.desk.suggest import register_classifier
from shegong.appeals.models import Appeal, AppealEvent, Category
from shegong.core.models import AuditEvent
from shegong.smart import classifier, suggestions
from shegong.smart.models import Correction, Suggestion
from tests.appeals.conftest import Actors
from tests.appeals.test_desk_support import client_for, detail_url
from tests.smart.learning_support import break_the_model, make_actors
from tests.support.world import World

pytestmark = pytest.mark.django_db

WAGE_TEXT = "站点拖欠我三个月的配送费，站长一直不接电话。"
URGENT_TEXT = "我同事送餐时在路口被货车撞了，腿在流血站不起来，现在就在路边，快来人！"

OnCommit = Callable[..., Any]


@pytest.fixture
def actors(world: World) -> Actors:
    return make_actors(world)


@pytest.fixture
def file(actors: Actors, django_capture_on_commit_callbacks: OnCommit) -> Callable[..., Appeal]:
    """File an appeal as the worker and run what happens after the filing commits."""

    def submit(**overrides: Any) -> Appeal:
        with django_capture_on_commit_callbacks(execute=True):
            appeal = actors.submit(**overrides)
        return Appeal.all_objects.get(pk=appeal.pk)

    return submit


@pytest.fixture
def threshold(settings: Any) -> Callable[[float], None]:
    def set_to(value: float) -> None:
        settings.SHEGONG_SMART_AUTO_ACCEPT = value

    return set_to


# --- a suggestion at filing ---------------------------------------------------------------------------------
def test_filing_stores_the_suggestion(file: Callable[..., Appeal]) -> None:
    appeal = file(text=WAGE_TEXT)
    suggestion = Suggestion.objects.get(appeal=appeal)
    codes = set(Category.objects.filter(parent=None).values_list("code", flat=True))
    assert 1 <= len(suggestion.top) <= 3
    assert {code for code, _p in suggestion.top} <= codes
    assert suggestion.category_code == "WAGE"
    assert 0 < suggestion.confidence <= 1
    assert [p for _c, p in suggestion.top] == sorted((p for _c, p in suggestion.top), reverse=True)
    assert suggestion.model_version == classifier.classify(WAGE_TEXT).model_version
    assert suggestion.urgency == Urgency.NORMAL
    assert not suggestion.auto_accepted
    assert appeal.state == State.SUBMITTED  # automatic acceptance is off by default


def test_an_urgent_appeal_is_suggested_urgent(file: Callable[..., Appeal]) -> None:
    suggestion = Suggestion.objects.get(appeal=file(text=URGENT_TEXT))
    assert suggestion.urgency == Urgency.URGENT
    assert suggestion.urgent_probability >= 0.5


def test_odd_text_is_classified_without_error(file: Callable[..., Appeal]) -> None:
    for text in ("😡😡😡", "my rider app froze and they fined me", "站點拖欠我的工資" * 300):
        assert Suggestion.objects.filter(appeal=file(text=text)).exists(), text


def test_the_suggestion_is_written_after_the_filing_commits(actors: Actors) -> None:
    """Inside the filing's transaction nothing is asked of the model (it cannot slow or fail the filing)."""
    appeal = actors.submit(text=WAGE_TEXT)  # on_commit callbacks do not run inside a test's transaction
    assert not Suggestion.objects.filter(appeal=appeal).exists()


def test_a_broken_model_never_blocks_a_filing(
    file: Callable[..., Appeal], actors: Actors, caplog: pytest.LogCaptureFixture
) -> None:
    with break_the_model():
        appeal = file(text=WAGE_TEXT)
        assert appeal.state == State.SUBMITTED
        assert not Suggestion.objects.filter(appeal=appeal).exists()
        assert "smart classifier failed" in caplog.text
        # and intake still accepts it by hand; the correction is stored without a suggestion
        s.appeal_accept(appeal=appeal, actor=actors.intake, category=Category.objects.get(code="WAGE"))
    correction = Correction.objects.get(appeal=appeal)
    assert (correction.suggested_category, correction.chosen_category) == ("", "WAGE")
    assert Appeal.all_objects.get(pk=appeal.pk).state == State.ACCEPTED


# --- automatic acceptance -----------------------------------------------------------------------------------
def _confidence(text: str) -> float:
    return float(classifier.classify(text).top[0][1])


def test_auto_accept_above_the_threshold(
    file: Callable[..., Appeal], threshold: Callable[[float], None]
) -> None:
    threshold(max(0.01, _confidence(WAGE_TEXT) - 0.01))
    appeal = file(text=WAGE_TEXT)
    assert appeal.state == State.ACCEPTED
    assert appeal.category == Category.objects.get(code="WAGE")
    assert Suggestion.objects.get(appeal=appeal).auto_accepted
    event = AppealEvent.objects.get(appeal=appeal, action="accept")
    assert (event.actor, event.actor_label) == (None, "system")
    audit = AuditEvent.objects.get(action="appeals.appeal.accepted", target_id=str(appeal.pk))
    assert audit.actor is None
    assert not Correction.objects.filter(appeal=appeal).exists()  # the model does not learn from itself


def test_no_auto_accept_below_the_threshold_or_when_off(
    file: Callable[..., Appeal], threshold: Callable[[float], None]
) -> None:
    confidence = _confidence(WAGE_TEXT)
    if confidence < 1:
        threshold(min(1.0, confidence + 0.001))
        assert file(text=WAGE_TEXT).state == State.SUBMITTED
    threshold(0)
    appeal = file(text=WAGE_TEXT)
    assert appeal.state == State.SUBMITTED
    assert not Suggestion.objects.get(appeal=appeal).auto_accepted


def test_auto_accept_needs_a_street_or_community_and_agreement_with_the_worker(
    file: Callable[..., Appeal], actors: Actors, threshold: Callable[[float], None]
) -> None:
    threshold(0.01)
    world = actors.world
    assert file(text=WAGE_TEXT, division=world.home).state == State.SUBMITTED  # county level: unclear place
    parking = Category.objects.get(code="PARKING")
    assert file(text=WAGE_TEXT, category=parking).state == State.SUBMITTED  # the worker said otherwise
    wage = Category.objects.get(code="WAGE")
    arrears = Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    agreed = file(text=WAGE_TEXT, category=arrears)
    assert (agreed.state, agreed.category) == (State.ACCEPTED, arrears)  # the worker's finer category kept
    assert file(text=WAGE_TEXT, division=world.home_street).state == State.ACCEPTED


def test_auto_accept_keeps_an_urgency_the_worker_chose(
    file: Callable[..., Appeal], threshold: Callable[[float], None]
) -> None:
    threshold(0.01)
    assert file(text=WAGE_TEXT, urgency=Urgency.URGENT).urgency == Urgency.URGENT
    urgent = file(text=URGENT_TEXT)
    assert (urgent.state, urgent.urgency) == (State.ACCEPTED, Urgency.URGENT)


def test_auto_accept_never_dispatches(
    file: Callable[..., Appeal], actors: Actors, threshold: Callable[[float], None]
) -> None:
    from shegong.appeals.models import DispatchRule

    threshold(0.01)
    DispatchRule.objects.create(division=actors.world.home, category=None, unit=actors.world.home_unit)
    appeal = file(text=WAGE_TEXT)
    assert (appeal.state, appeal.unit) == (State.ACCEPTED, None)
    assert Suggestion.objects.get(appeal=appeal).unit == actors.world.home_unit  # suggested, not sent


def test_auto_accept_loses_quietly_to_intake(actors: Actors, threshold: Callable[[float], None]) -> None:
    """Intake accepted between the filing and the suggestion: theirs stands, nothing else is written."""
    threshold(0.01)
    appeal = actors.submit(text=WAGE_TEXT)
    parking = Category.objects.get(code="PARKING")
    s.appeal_accept(appeal=appeal, actor=actors.intake, category=parking)
    events = AppealEvent.objects.filter(appeal=appeal).count()
    suggestions.after_filing(appeal.pk)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.category) == (State.ACCEPTED, parking)
    assert AppealEvent.objects.filter(appeal=appeal).count() == events
    assert not Suggestion.objects.get(appeal=appeal).auto_accepted


# --- corrections --------------------------------------------------------------------------------------------
def test_accept_stores_the_correction(file: Callable[..., Appeal], actors: Actors) -> None:
    appeal = file(text=WAGE_TEXT)
    contract = Category.objects.get(code="CONTRACT")
    s.appeal_accept(appeal=appeal, actor=actors.intake, category=contract, urgency=Urgency.URGENT)
    correction = Correction.objects.get(appeal=appeal)
    assert (correction.suggested_category, correction.chosen_category) == ("WAGE", "CONTRACT")
    assert (correction.suggested_urgency, correction.chosen_urgency) == (Urgency.NORMAL, Urgency.URGENT)
    assert (correction.text, correction.by, correction.division) == (
        WAGE_TEXT,
        actors.intake,
        appeal.division,
    )
    assert correction.chosen_unit is None


def test_agreement_is_stored_too(file: Callable[..., Appeal], actors: Actors) -> None:
    appeal = file(text=WAGE_TEXT)
    s.appeal_accept(appeal=appeal, actor=actors.intake, category=Category.objects.get(code="WAGE"))
    correction = Correction.objects.get(appeal=appeal)
    assert correction.suggested_category == correction.chosen_category == "WAGE"


def test_dispatch_and_redispatch_store_the_unit_chosen(file: Callable[..., Appeal], actors: Actors) -> None:
    from shegong.appeals.models import DispatchRule
    from shegong.divisions.models import Unit

    world = actors.world
    DispatchRule.objects.create(division=world.home, category=None, unit=world.home_unit)
    other = Unit.all_objects.create(name="区人社局", unit_type="government_dept", division=world.home)
    wage = Category.objects.get(code="WAGE")
    appeal = s.appeal_accept(appeal=file(text=WAGE_TEXT), actor=actors.intake, category=wage)
    s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=other)
    s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=world.home_unit)  # 转派
    rows = list(Correction.objects.filter(appeal=appeal, chosen_unit__isnull=False))
    assert [(r.suggested_unit, r.chosen_unit) for r in rows] == [
        (world.home_unit, other),
        (world.home_unit, world.home_unit),
    ]
    assert {(r.suggested_category, r.chosen_category, r.by) for r in rows} == {
        ("WAGE", "WAGE", actors.intake)
    }


def test_a_rejected_appeal_stores_no_correction(file: Callable[..., Appeal], actors: Actors) -> None:
    appeal = file(text=WAGE_TEXT)
    s.appeal_reject(appeal=appeal, actor=actors.intake, reason="与新就业群体无关")
    assert not Correction.objects.filter(appeal=appeal).exists()


def test_an_appeal_filed_without_a_suggestion_gets_one_at_accept(actors: Actors) -> None:
    appeal = actors.submit(text=WAGE_TEXT)  # the after-filing step did not run
    s.appeal_accept(appeal=appeal, actor=actors.intake)
    assert Suggestion.objects.get(appeal=appeal).category_code == "WAGE"
    assert Correction.objects.get(appeal=appeal).suggested_category == "WAGE"


# --- the desk -----------------------------------------------------------------------------------------------
@pytest.fixture
def desk_hook() -> Iterator[None]:
    """Our hook, as ready() installs it (another test module may have swapped it for its own)."""
    register_classifier(suggestions.desk_classifier)
    yield
    register_classifier(suggestions.desk_classifier)


def test_the_intake_form_shows_the_suggestion_and_preselects_it(
    file: Callable[..., Appeal], actors: Actors, desk_hook: None
) -> None:
    appeal = file(text=WAGE_TEXT)
    wage = Category.objects.get(code="WAGE")
    client: Client = client_for(actors.intake)
    html = client.get(detail_url(appeal)).content.decode()
    assert 'data-testid="classifier-suggestion"' in html
    percent = round(_confidence(WAGE_TEXT) * 100)
    assert f"{wage.name} ({percent}%)" in html
    assert f'<option value="{wage.pk}" selected>' in html
    # what intake sends back is learned
    response = client.post(
        f"{detail_url(appeal)}actions/accept/",
        {"version": appeal.version, "category": wage.pk, "urgency": Urgency.NORMAL},
    )
    assert response.status_code == 302
    assert Correction.objects.get(appeal=appeal).by == actors.intake


def test_an_urgent_suggestion_preselects_urgent(
    file: Callable[..., Appeal], actors: Actors, desk_hook: None
) -> None:
    appeal = file(text=URGENT_TEXT)
    html = client_for(actors.intake).get(detail_url(appeal)).content.decode()
    assert '<option value="urgent" selected>' in html


def test_the_hotline_filing_is_classified(
    actors: Actors, django_capture_on_commit_callbacks: OnCommit, desk_hook: None
) -> None:
    operator = actors.world.user(Role.INTAKE)
    client = client_for(operator)
    data = {
        "phone": "139-1234-5678",
        "text": WAGE_TEXT,
        "division": actors.world.home_community.code,
        "appeal_type": "complaint",
        "worker_type": "courier",
        "platform": "顺丰",
        "category": "",
        "urgency": "normal",
        "form_token": "token-1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/desk/appeals/hotline/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    appeal = Appeal.all_objects.get(filed_by=operator)
    assert Suggestion.objects.get(appeal=appeal).category_code == "WAGE"
