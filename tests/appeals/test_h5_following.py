"""Following an appeal on the phone: the phone check, tracking by number (reduced view), my appeals, the
plain-words progress, rating with 重办, withdrawal, and the worker's own photos."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Satisfaction, State
from shegong.appeals.h5 import selectors as h5_selectors
from shegong.appeals.models import Appeal
from shegong.appeals.services import appeal_dispatch, appeal_return
from shegong.appeals.services.attachments import attachment_add
from shegong.core.models import AuditEvent
from tests.appeals.conftest import PHONE, Actors
from tests.appeals.test_h5_filing import ask_code, english, h5_env, verify_phone

pytestmark = pytest.mark.django_db
__all__ = ["h5_env"]  # the autouse fixture, imported to apply here too

OTHER_PHONE = "13700137000"
REPLY = "已联系站点，配送费本周内结清。"


@pytest.fixture
def owner(client: Client, django_capture_on_commit_callbacks: Callable[..., Any]) -> Client:
    """A browser that proved the phone the `actors` appeals are filed with."""
    verify_phone(client, django_capture_on_commit_callbacks, PHONE)
    return english(client)


def detail_url(appeal: Appeal) -> str:
    return reverse("appeals:h5_detail", kwargs={"tracking_no": appeal.tracking_no})


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG")
    return SimpleUploadedFile("x.png", out.getvalue())


# --- phone check ---------------------------------------------------------------------------------------


def test_verify_sends_a_code_then_checks_it_and_returns_to_next(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    english(client)
    response = client.post("/h5/appeals/verify/", {"phone": PHONE, "action": "send"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="otp-status"' in response.content.decode()
    assert 'data-h5-countdown="60"' in response.content.decode()
    code = ask_code(Client(), django_capture_on_commit_callbacks, phone=OTHER_PHONE)
    response = client.post(
        "/h5/appeals/verify/",
        {"phone": OTHER_PHONE, "code": code, "action": "check", "next": "/h5/appeals/track/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/h5/appeals/track/"
    assert "137****7000" in client.get("/h5/appeals/track/").content.decode()


def test_verify_refuses_a_wrong_code_and_an_outside_next(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = ask_code(client, django_capture_on_commit_callbacks, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = english(client).post("/h5/appeals/verify/", {"phone": PHONE, "code": wrong, "action": "check"})
    assert response.status_code == 200
    assert 'data-testid="field-error-code"' in response.content.decode()
    assert client.get("/h5/appeals/mine/").status_code == 302  # still not verified
    response = client.post(
        "/h5/appeals/verify/",
        {"phone": PHONE, "code": code, "action": "check", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/h5/appeals/mine/"


def test_send_code_without_htmx_shows_the_page_with_the_message(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = english(client).post("/h5/appeals/verify/", {"phone": PHONE, "action": "send"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "We sent a 6-digit code to 138****8000" in html
    assert 'value="13800138000"' in html
    response = client.post("/h5/appeals/verify/", {"phone": PHONE, "action": "send"}, HTTP_HX_REQUEST="true")
    assert "Please wait" in response.content.decode()


def test_leaving_forgets_the_phone(owner: Client) -> None:
    assert owner.get("/h5/appeals/mine/").status_code == 200
    assert owner.post("/h5/appeals/verify/leave/").status_code == 302
    assert owner.get("/h5/appeals/mine/").status_code == 302


# --- my appeals ----------------------------------------------------------------------------------------


def test_my_appeals_needs_the_phone_proof(client: Client) -> None:
    response = client.get("/h5/appeals/mine/")
    assert response.status_code == 302
    assert response["Location"].startswith("/h5/appeals/verify/?next=")


def test_my_appeals_lists_only_this_phone(owner: Client, actors: Actors) -> None:
    mine_open = actors.submit()
    mine_closed = actors.appeal_in(State.CLOSED)
    other = actors.submit(phone=OTHER_PHONE)
    html = owner.get("/h5/appeals/mine/").content.decode()
    assert mine_open.tracking_no in html
    assert mine_closed.tracking_no in html
    assert other.tracking_no not in html
    html = owner.get("/h5/appeals/mine/", {"status": "open"}).content.decode()
    assert mine_open.tracking_no in html
    assert mine_closed.tracking_no not in html
    html = owner.get("/h5/appeals/mine/", {"status": "closed"}).content.decode()
    assert mine_closed.tracking_no in html
    assert mine_open.tracking_no not in html


def test_my_appeals_empty_state_and_pages(owner: Client, actors: Actors) -> None:
    assert 'data-testid="empty"' in owner.get("/h5/appeals/mine/").content.decode()
    for _ in range(12):
        actors.submit()
    first = owner.get("/h5/appeals/mine/").content.decode()
    assert first.count('data-testid="my-appeal"') == 10
    second = owner.get("/h5/appeals/mine/", {"page": 2}).content.decode()
    assert second.count('data-testid="my-appeal"') == 2


# --- tracking and the detail page ----------------------------------------------------------------------


def test_track_by_number_goes_to_the_detail(client: Client, actors: Actors) -> None:
    appeal = actors.submit()
    typed = appeal.tracking_no.replace("-", "").lower()
    response = client.get("/h5/appeals/track/", {"no": typed})
    assert response.status_code == 302
    assert response["Location"] == detail_url(appeal)


def test_track_explains_unknown_and_malformed_numbers(client: Client, world: Any) -> None:
    english(client)
    html = client.get("/h5/appeals/track/", {"no": "ZZZ-ZZZ-ZZZ"}).content.decode()
    assert "No appeal has this tracking number" in html
    html = client.get("/h5/appeals/track/", {"no": "12"}).content.decode()
    assert "9 letters and digits" in html


def test_number_only_view_shows_progress_but_no_text_or_personal_data(client: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    attachment_add(appeal=Appeal.all_objects.get(pk=appeal.pk), upload=photo(), actor=actors.handler)
    html = english(client).get(detail_url(appeal)).content.decode()
    assert 'data-testid="limited-view"' in html
    assert 'data-state="replied"' in html
    assert 'data-action="reply"' in html
    assert "The responsible unit replied" in html
    for secret in (appeal.text[:10], REPLY[:8], "138****8000", PHONE, "测试社区", "photos/", "rate-form"):
        assert secret not in html, secret


def test_owner_sees_everything_and_the_reply(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    attachment = attachment_add(
        appeal=Appeal.all_objects.get(pk=appeal.pk), upload=photo(), actor=actors.handler
    )
    html = owner.get(detail_url(appeal)).content.decode()
    assert 'data-testid="limited-view"' not in html
    assert appeal.text in html
    assert REPLY in html
    assert "测试社区" in html
    assert "138****8000" in html
    assert PHONE not in html
    assert f"/photos/{attachment.pk}/" in html
    assert 'data-testid="rate-form"' in html
    assert 'data-testid="withdraw"' not in html  # a replied appeal is rated, not withdrawn


def test_internal_notes_never_reach_the_worker(owner: Client, actors: Actors) -> None:
    appeal = actors.submit()
    from shegong.appeals.services import appeal_accept

    appeal = appeal_accept(appeal=appeal, actor=actors.intake)
    appeal = appeal_dispatch(
        appeal=appeal, actor=actors.intake, unit=actors.world.home_unit, note="内部：请优先处理"
    )
    appeal = appeal_return(appeal=appeal, actor=actors.handler, reason="wrong_place", note="应由街道办理")
    html = owner.get(detail_url(appeal)).content.decode()
    assert "内部：请优先处理" not in html
    assert "应由街道办理" in html  # the worker is told who returned it and why
    assert 'data-action="return"' in html


def test_a_merged_appeal_points_to_the_original(owner: Client, actors: Actors) -> None:
    merged = actors.appeal_in(State.MERGED)
    original = Appeal.all_objects.get(pk=merged.merged_into_id)
    html = owner.get(detail_url(merged)).content.decode()
    assert detail_url(original) in html


def test_unknown_number_is_404_and_misses_are_capped(
    client: Client, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    appeal = actors.submit()
    monkeypatch.setattr(h5_selectors, "LOOKUP_MISSES", 3)
    for _ in range(3):
        assert client.get("/h5/appeals/ZZZ-ZZZ-ZZZ/").status_code == 404
    capped = client.get(detail_url(appeal))
    assert capped.status_code == 429
    assert 'data-testid="lookup-error"' in capped.content.decode()
    assert client.get("/h5/appeals/track/", {"no": appeal.tracking_no}).status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.1").get(detail_url(appeal)).status_code == 200


def test_the_owner_is_never_capped(owner: Client, actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    appeal = actors.submit()
    monkeypatch.setattr(h5_selectors, "LOOKUP_MISSES", 1)
    owner.get("/h5/appeals/ZZZ-ZZZ-ZZZ/")
    assert owner.get(detail_url(appeal)).status_code == 200


# --- rating --------------------------------------------------------------------------------------------


def _rate(client: Client, appeal: Appeal, **data: Any) -> Any:
    payload = {"resolved": "yes", "satisfaction": Satisfaction.SATISFIED, "version": appeal.version, **data}
    return client.post(reverse("appeals:h5_rate", kwargs={"tracking_no": appeal.tracking_no}), payload)


def test_rating_solved_and_satisfied_closes(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    response = _rate(owner, appeal, comment="谢谢")
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED
    assert appeal.resolved is True
    assert appeal.rating_comment == "谢谢"
    html = owner.get(detail_url(appeal)).content.decode()
    assert "closed" in html
    assert 'data-testid="rating"' in html


@pytest.mark.parametrize(
    ("resolved", "satisfaction"), [("no", Satisfaction.SATISFIED), ("yes", Satisfaction.DISSATISFIED)]
)
def test_not_solved_or_dissatisfied_sends_it_back(
    owner: Client, actors: Actors, resolved: str, satisfaction: str
) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    response = _rate(owner, appeal, resolved=resolved, satisfaction=satisfaction)
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == State.IN_PROGRESS
    assert appeal.redo_count == 1
    assert appeal.supervised is True
    assert AuditEvent.objects.filter(action=AppealsAction.REDO).count() == 1
    html = owner.get(detail_url(appeal)).content.decode()
    assert "handled again, under supervision" in html
    assert 'data-action="redo"' in html


def test_rating_refusals_write_nothing(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    audits = AuditEvent.objects.count()
    response = _rate(owner, appeal, comment="长" * 501)
    assert 'data-testid="field-error-comment"' in response.content.decode()
    response = _rate(owner, appeal, satisfaction="")
    assert 'data-testid="field-error-satisfaction"' in response.content.decode()
    response = _rate(owner, appeal, version=appeal.version - 1)  # the page was opened before a change
    assert response.status_code == 302
    assert "Reload the page" in owner.get(response["Location"]).content.decode()
    appeal.refresh_from_db()
    assert appeal.state == State.REPLIED
    assert AuditEvent.objects.count() == audits


def test_rating_needs_the_phone_that_filed_it(client: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    response = _rate(client, appeal)
    assert response.status_code == 302
    assert response["Location"].startswith("/h5/appeals/verify/")
    appeal.refresh_from_db()
    assert appeal.state == State.REPLIED


def test_rating_an_appeal_of_another_phone_is_refused(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED, phone=OTHER_PHONE)
    assert _rate(owner, appeal)["Location"].startswith("/h5/appeals/verify/")
    appeal.refresh_from_db()
    assert appeal.state == State.REPLIED


def test_rating_an_appeal_not_waiting_for_it_is_a_conflict(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.IN_PROGRESS)
    response = _rate(owner, appeal)
    assert response["Location"] == detail_url(appeal)
    assert "this action is not possible" in owner.get(detail_url(appeal)).content.decode()
    appeal.refresh_from_db()
    assert appeal.state == State.IN_PROGRESS


# --- withdrawal ----------------------------------------------------------------------------------------


def test_withdraw_asks_then_withdraws(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.DISPATCHED)
    url = reverse("appeals:h5_withdraw", kwargs={"tracking_no": appeal.tracking_no})
    page = owner.get(url)
    assert page.status_code == 200
    assert 'data-testid="withdraw-confirm"' in page.content.decode()
    appeal.refresh_from_db()
    assert appeal.state == State.DISPATCHED  # asking writes nothing
    response = owner.post(url, {"reason": "已经自己解决了", "version": appeal.version})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == State.WITHDRAWN
    assert appeal.close_reason == "已经自己解决了"
    html = owner.get(detail_url(appeal)).content.decode()
    assert 'data-action="withdraw"' in html
    assert "You withdrew the appeal." in html


def test_withdraw_refusals(owner: Client, client: Client, actors: Actors) -> None:
    replied = actors.appeal_in(State.REPLIED)
    url = reverse("appeals:h5_withdraw", kwargs={"tracking_no": replied.tracking_no})
    assert owner.post(url, {"version": replied.version})["Location"] == detail_url(replied)
    fresh = actors.submit()
    url = reverse("appeals:h5_withdraw", kwargs={"tracking_no": fresh.tracking_no})
    response = owner.post(url, {"version": fresh.version + 5})
    assert "Reload the page" in response.content.decode()
    response = Client().post(url, {"version": fresh.version})
    assert response["Location"].startswith("/h5/appeals/verify/")
    for appeal in (replied, fresh):
        before = appeal.state
        appeal.refresh_from_db()
        assert appeal.state == before


# --- the worker's photos -------------------------------------------------------------------------------


def test_owner_gets_the_photo_others_get_404(owner: Client, actors: Actors) -> None:
    appeal = actors.submit()
    attachment = attachment_add(appeal=appeal, upload=photo())
    url = reverse("appeals:h5_attachment", kwargs={"tracking_no": appeal.tracking_no, "pk": attachment.pk})
    response = owner.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert Client().get(url).status_code == 404  # knowing the number is not enough
    other = actors.submit(phone=OTHER_PHONE)
    wrong_pair = reverse(
        "appeals:h5_attachment", kwargs={"tracking_no": other.tracking_no, "pk": attachment.pk}
    )
    assert owner.get(wrong_pair).status_code == 404


# --- page hygiene ----------------------------------------------------------------------------------------


def test_every_worker_page_passes_the_csp_audit(owner: Client, actors: Actors) -> None:
    from tests.web.html import csp_problems

    replied = actors.appeal_in(State.REPLIED)
    attachment_add(appeal=Appeal.all_objects.get(pk=replied.pk), upload=photo(), actor=actors.handler)
    fresh = actors.submit()
    pages = [
        "/h5/appeals/track/",
        "/h5/appeals/verify/",
        "/h5/appeals/mine/",
        detail_url(replied),
        reverse("appeals:h5_withdraw", kwargs={"tracking_no": fresh.tracking_no}),
        reverse("appeals:h5_done", kwargs={"tracking_no": fresh.tracking_no}),
    ]
    for url in pages:
        response = owner.get(url)
        assert response.status_code == 200, url
        assert csp_problems(response.content.decode()) == [], url
    assert csp_problems(Client().get(detail_url(replied)).content.decode()) == []


def test_my_appeals_query_count_does_not_grow_with_the_list(owner: Client, actors: Actors) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actors.submit()
    with CaptureQueriesContext(connection) as few:
        owner.get("/h5/appeals/mine/")
    for _ in range(8):
        actors.submit(category=None)
    with CaptureQueriesContext(connection) as many:
        owner.get("/h5/appeals/mine/")
    assert len(many) == len(few)
