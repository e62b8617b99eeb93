"""The worker's rights page (/h5/appeals/privacy/): after the one-time code, see everything held for the
phone and nothing of anyone else, download it, have the finished appeals' personal data deleted at once
while open ones are kept; every view, download and deletion leaves an audit row without the phone."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from shegong.appeals import retention
from shegong.appeals import services as s
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Attachment
from shegong.appeals.services.attachments import attachment_add
from shegong.core.models import AuditEvent
from tests.appeals.conftest import PHONE, Actors
from tests.appeals.test_h5_filing import english, h5_env, verify_phone
from tests.appeals.test_h5_following import photo

pytestmark = pytest.mark.django_db
__all__ = ["h5_env"]  # the autouse fixture, imported to apply here too

PAGE = "/h5/appeals/privacy/"
DOWNLOAD = "/h5/appeals/privacy/download/"
ERASE = "/h5/appeals/privacy/delete/"
OTHER_PHONE = "13700137000"
MINE_TEXT = "我叫李四，站点扣了我两千元押金。"
OTHER_TEXT = "我叫张三，另一位骑手的诉求。"


@pytest.fixture
def owner(client: Client, django_capture_on_commit_callbacks: Callable[..., Any]) -> Client:
    verify_phone(client, django_capture_on_commit_callbacks, PHONE)
    return english(client)


@pytest.fixture
def held(actors: Actors) -> dict[str, Appeal]:
    """Two appeals of the phone (one finished with a photo, one still open) and one of another phone."""
    finished = actors.submit(text=MINE_TEXT, address="幸福小区3栋")
    attachment_add(appeal=finished, upload=photo(), actor=None)
    finished.refresh_from_db()
    finished = s.appeal_withdraw(appeal=finished, reason="李四已经自己解决")
    still_open = actors.appeal_in(State.IN_PROGRESS, text="第二件：配送费还没结")
    other = actors.appeal_in(State.CLOSED, text=OTHER_TEXT, phone=OTHER_PHONE)
    return {"finished": finished, "open": still_open, "other": other}


def _rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def _no_phone_in(row: AuditEvent) -> None:
    text = json.dumps(row.changes, ensure_ascii=False) + row.target_label + row.actor_label
    assert PHONE not in text
    assert row.changes["phone"] == "138****8000"


# --- the way in -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, DOWNLOAD, ERASE])
def test_without_a_confirmed_phone_the_pages_ask_for_the_code(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/h5/appeals/verify/?next=")
    assert not AuditEvent.objects.filter(action__startswith="appeals.privacy.").exists()


def test_my_appeals_links_to_the_page(owner: Client, held: dict[str, Appeal]) -> None:
    assert f'href="{PAGE}"' in owner.get("/h5/appeals/mine/").content.decode()
    assert reverse("appeals:h5_privacy") == PAGE


# --- seeing ---------------------------------------------------------------------------------------------


def test_the_page_shows_everything_held_for_the_phone_and_nothing_else(
    owner: Client, held: dict[str, Appeal]
) -> None:
    response = owner.get(PAGE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    shown = {a.tracking_no for a in response.context["appeals"]}
    assert shown == {held["finished"].tracking_no, held["open"].tracking_no}
    assert MINE_TEXT in html
    assert "幸福小区3栋" in html
    assert OTHER_TEXT not in html
    assert held["other"].tracking_no not in html
    assert 'data-testid="held-photos">1<' in html
    assert "138****8000" in html
    assert PHONE not in html
    [row] = _rows(AppealsAction.PRIVACY_VIEWED)
    _no_phone_in(row)
    assert row.changes["appeals"] == 2
    assert row.division_code == held["finished"].division_id  # the auditors of that area see it


# --- downloading ----------------------------------------------------------------------------------------


def test_the_json_download(owner: Client, held: dict[str, Appeal]) -> None:
    response = owner.get(DOWNLOAD, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="my-appeals-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["phone"] == "138****8000"
    by_number = {a["tracking_no"]: a for a in data["appeals"]}
    assert set(by_number) == {held["finished"].tracking_no, held["open"].tracking_no}
    finished = by_number[held["finished"].tracking_no]
    assert finished["text"] == MINE_TEXT
    assert finished["state"] == State.WITHDRAWN
    assert finished["photos"] == 1
    assert finished["address"] == "幸福小区3栋"
    assert finished["reason"] == "李四已经自己解决"
    assert [step["text"] for step in finished["progress"]]  # the plain-words progress
    assert OTHER_TEXT not in response.content.decode()
    assert PHONE not in response.content.decode()
    [row] = _rows(AppealsAction.PRIVACY_DOWNLOADED)
    _no_phone_in(row)
    assert row.changes["format"] == "json"


def test_the_excel_download_neutralises_formulas(owner: Client, actors: Actors) -> None:
    actors.submit(text='=HYPERLINK("http://evil.example","点我")')
    response = owner.get(DOWNLOAD, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the one appeal
    assert any(str(cell).startswith("'=HYPERLINK") for cell in rows[1])
    assert _rows(AppealsAction.PRIVACY_DOWNLOADED)[0].changes["format"] == "xlsx"


def test_an_unknown_format_writes_nothing(owner: Client, held: dict[str, Appeal]) -> None:
    response = owner.get(DOWNLOAD, {"format": "pdf"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert not _rows(AppealsAction.PRIVACY_DOWNLOADED)


# --- deleting -------------------------------------------------------------------------------------------


def test_the_deletion_page_explains_and_changes_nothing(owner: Client, held: dict[str, Appeal]) -> None:
    response = owner.get(ERASE)
    assert response.status_code == 200
    html = response.content.decode()
    assert [a.tracking_no for a in response.context["finished"]] == [held["finished"].tracking_no]
    assert 'data-testid="still-open"' in html
    withdraw = reverse("appeals:h5_withdraw", kwargs={"tracking_no": held["open"].tracking_no})
    assert f'href="{withdraw}"' in html
    held["finished"].refresh_from_db()
    assert held["finished"].pii_purged_at is None
    assert not _rows(AppealsAction.PRIVACY_ERASED)


def test_deletion_needs_the_confirmation(owner: Client, held: dict[str, Appeal]) -> None:
    response = owner.post(ERASE, {})
    assert response.status_code == 400
    assert 'data-testid="field-error-confirm"' in response.content.decode()
    held["finished"].refresh_from_db()
    assert held["finished"].text == MINE_TEXT
    assert not _rows(AppealsAction.PRIVACY_ERASED)


def test_deletion_needs_the_csrf_token(owner: Client, held: dict[str, Appeal]) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = owner.cookies  # the same verified session, without the page's token
    assert strict.get(ERASE).status_code == 200
    assert strict.post(ERASE, {"confirm": "on"}).status_code == 403
    held["finished"].refresh_from_db()
    assert held["finished"].pii_purged_at is None


def test_deletion_purges_the_finished_appeals_at_once_and_keeps_the_open_one(
    owner: Client, held: dict[str, Appeal], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    photo_name = Attachment.objects.get(appeal=held["finished"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(ERASE, {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == PAGE

    finished, still_open, other = (
        Appeal.all_objects.get(pk=held[k].pk) for k in ("finished", "open", "other")
    )
    assert finished.pii_purged_at is not None
    assert (finished.phone, finished.text, finished.address) == ("", retention.purged_notice(), "")
    assert finished.close_reason == retention.purged_notice()
    assert finished.state == State.WITHDRAWN
    assert not Attachment.objects.filter(appeal=finished).exists()
    assert not default_storage.exists(photo_name)
    # The open appeal and another person's finished one are as they were.
    assert (still_open.phone, still_open.pii_purged_at) == (PHONE, None)
    assert (other.text, other.pii_purged_at) == (OTHER_TEXT, None)

    [row] = _rows(AppealsAction.PRIVACY_ERASED)
    _no_phone_in(row)
    assert row.changes["appeals"] == 1
    assert row.changes["tracking_nos"] == [finished.tracking_no]
    assert row.changes["open_kept"] == 1
    assert row.changes["photos"] == 1
    assert row.division_code == finished.division_id
    assert MINE_TEXT not in json.dumps(row.changes, ensure_ascii=False)

    # What is left for the phone is the open appeal; asking again deletes nothing more.
    page = owner.get(PAGE)
    assert [a.tracking_no for a in page.context["appeals"]] == [still_open.tracking_no]
    again = owner.get(ERASE)
    assert 'data-testid="nothing-to-erase"' in again.content.decode()
    assert owner.post(ERASE, {"confirm": "on"}).status_code == 200
    assert len(_rows(AppealsAction.PRIVACY_ERASED)) == 1


def test_the_service_for_one_phone_only(actors: Actors) -> None:
    mine = actors.appeal_in(State.CLOSED, text=MINE_TEXT)
    other = actors.appeal_in(State.CLOSED, text=OTHER_TEXT, phone=OTHER_PHONE)
    result = retention.purge_for_phone(phone="+86 138-0013-8000")
    assert result.purged.appeals == 1
    assert result.tracking_nos == [mine.tracking_no]
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.pii_purged_at is not None
    assert other.pii_purged_at is None


# --- masking by default -----------------------------------------------------------------------------------


def test_the_phone_is_masked_everywhere_by_default(owner: Client, actors: Actors) -> None:
    appeal = actors.appeal_in(State.IN_PROGRESS, text=MINE_TEXT)
    staff = Client()
    staff.force_login(actors.intake)
    pages = {
        "desk list": staff.get(reverse("appeals:desk_list")),
        "desk detail": staff.get(reverse("appeals:desk_detail", args=[appeal.tracking_no])),
        "api list": staff.get("/api/v1/appeals"),
        "api detail": staff.get(f"/api/v1/appeals/{appeal.tracking_no}"),
        "h5 mine": owner.get("/h5/appeals/mine/"),
        "h5 detail": owner.get(reverse("appeals:h5_detail", kwargs={"tracking_no": appeal.tracking_no})),
        "h5 privacy": owner.get(PAGE),
        "h5 download": owner.get(DOWNLOAD),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert PHONE not in response.content.decode(), name
    assert "138****8000" in pages["desk detail"].content.decode()
    assert pages["api detail"].json()["phone"] == "138****8000"
