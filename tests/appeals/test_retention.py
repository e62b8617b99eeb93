"""The retention purge (appeals/retention.py): what it clears and keeps, which appeals it touches, the rates
unchanged, the desk's notice, batches with one audit row each, dry run, idempotency, the daily job and the
command."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from shegong.appeals import retention
from shegong.appeals import services as s
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import State
from shegong.appeals.indicators.compute import Grouping, indicator_report
from shegong.appeals.indicators.services import exclusion_add
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Attachment,
    ExtensionRequest,
    ReturnRecord,
    Supervision,
)
from shegong.appeals.services.attachments import attachment_add
from shegong.core import periodic, pii
from shegong.core.models import AuditEvent
from tests.appeals.conftest import PHONE, Actors
from tests.appeals.indicator_support import MARCH, the_six

pytestmark = pytest.mark.django_db

TEXT = "我叫王小明，住在幸福小区3栋，站点拖欠我三个月的配送费。"
ADDRESS = "幸福小区3栋2单元"
LONG_AGO = dt.timedelta(days=1200)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SHEGONG_APPEAL_PII_RETENTION_DAYS = 1095


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (12, 10), "green").save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue())


def _age(appeal: Appeal, by: dt.timedelta = LONG_AGO) -> Appeal:
    """Pretend the appeal finished `by` ago."""
    Appeal.all_objects.filter(pk=appeal.pk).update(closed_at=timezone.now() - by)
    appeal.refresh_from_db()
    return appeal


def _full_story(actors: Actors) -> Appeal:
    """A closed appeal with everything personal: address, place, a photo, a return note, an extension
    reason, a reply, a rating comment, and a supervision note."""
    appeal = actors.submit(text=TEXT, address=ADDRESS, lat="41.850000", lng="123.420000")
    attachment_add(appeal=appeal, upload=_photo(), actor=None)
    appeal = s.appeal_accept(appeal=appeal, actor=actors.intake)
    appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    appeal = s.appeal_return(appeal=appeal, actor=actors.handler, reason="other", note="王小明说不是我们管")
    appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    appeal = s.appeal_sign_for(appeal=appeal, actor=actors.handler)
    s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=3, reason="需要联系王小明本人")
    appeal.refresh_from_db()
    Supervision.objects.create(appeal=appeal, note="王小明多次来电")
    appeal = s.appeal_reply(appeal=appeal, actor=actors.handler, text="王小明您好，配送费本周内结清。")
    return s.appeal_rate(appeal=appeal, resolved=True, satisfaction="satisfied", comment="谢谢，我是王小明")


def _strings(appeal: Appeal) -> str:
    """Every text the database holds about the appeal, to search for the worker's name."""
    parts = [
        appeal.text,
        appeal.reply_text,
        appeal.rating_comment,
        appeal.close_reason,
        appeal.address,
        *AppealEvent.objects.filter(appeal=appeal).values_list("note", flat=True),
        *ReturnRecord.objects.filter(appeal=appeal).values_list("note", flat=True),
        *ExtensionRequest.objects.filter(appeal=appeal).values_list("reason", flat=True),
        *ExtensionRequest.objects.filter(appeal=appeal).values_list("decision_note", flat=True),
        *Supervision.objects.filter(appeal=appeal).values_list("note", flat=True),
    ]
    from shegong.smart.models import Correction

    parts += Correction.objects.filter(appeal=appeal).values_list("text", flat=True)
    return "\n".join(parts)


# --- what it clears and keeps ---------------------------------------------------------------------------


def test_the_purge_clears_personal_data_and_keeps_the_facts(
    actors: Actors, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    appeal = _age(_full_story(actors))
    photo_name = Attachment.objects.get(appeal=appeal).file.name
    assert default_storage.exists(photo_name)
    assert "王小明" in _strings(appeal)
    kept = Appeal.all_objects.filter(pk=appeal.pk).values(
        "state", "category", "urgency", "appeal_type", "worker_type", "platform", "division", "unit",
        "submitted_at", "accepted_at", "dispatched_at", "signed_at", "first_contact_at", "replied_at",
        "closed_at", "resolved", "satisfaction", "first_resolved", "first_satisfaction", "redo_count",
        "supervised", "extension_used", "anonymous", "channel",
    )[0]  # fmt: skip
    events_before = AppealEvent.objects.filter(appeal=appeal).count()

    with django_capture_on_commit_callbacks(execute=True):
        result = retention.purge_expired()

    assert (result.appeals, result.photos, result.batches) == (1, 1, 1)
    appeal.refresh_from_db()
    assert appeal.pii_purged_at is not None
    assert (appeal.phone, appeal.phone_hash, appeal.address, appeal.lat, appeal.lng) == (
        "",
        "",
        "",
        None,
        None,
    )
    notice = retention.purged_notice()
    assert appeal.text == notice
    assert appeal.reply_text == notice
    assert appeal.rating_comment == ""
    assert "王小明" not in _strings(appeal)
    assert not Attachment.objects.filter(appeal=appeal).exists()
    assert not default_storage.exists(photo_name)  # the file too, once committed
    # The facts the indicators count are exactly as before, and the timeline keeps its entries.
    assert Appeal.all_objects.filter(pk=appeal.pk).values(*kept)[0] == kept
    assert AppealEvent.objects.filter(appeal=appeal).count() == events_before
    assert ReturnRecord.objects.filter(appeal=appeal, reason="other").exists()
    # The phone no longer finds it.
    assert not Appeal.all_objects.filter(pii.pii_match("phone_hash", pii.PIIKind.PHONE, PHONE)).exists()


def test_one_audit_row_per_batch_with_counts_and_no_personal_data(actors: Actors) -> None:
    for _ in range(3):
        _age(actors.appeal_in(State.CLOSED, text=TEXT, address=ADDRESS))
    result = retention.purge_expired(batch_size=2)
    assert (result.appeals, result.batches) == (3, 2)
    rows = list(AuditEvent.objects.filter(action=AppealsAction.PII_PURGED).order_by("pk"))
    assert [row.changes["appeals"] for row in rows] == [2, 1]
    for row in rows:
        assert row.changes["reason"] == "retention"
        assert row.changes["retention_days"] == 1095
        assert row.actor is None
        assert row.actor_label == retention.SYSTEM_LABEL
        text = str(row.changes) + row.target_label
        assert PHONE not in text
        assert PHONE[-4:] not in text
        assert "王小明" not in text
        assert ADDRESS not in text


@pytest.mark.parametrize("state", [State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN])
def test_every_finished_state_is_purged(actors: Actors, state: str) -> None:
    appeal = _age(actors.appeal_in(state, text=TEXT))
    assert retention.purge_expired().appeals == 1
    appeal.refresh_from_db()
    assert appeal.state == state
    assert (appeal.text, appeal.phone) == (retention.purged_notice(), "")
    if state in (State.REJECTED, State.WITHDRAWN):
        assert appeal.close_reason == retention.purged_notice()  # the reason the worker gave or was told


def test_open_and_recent_appeals_are_untouched(actors: Actors) -> None:
    recent = _age(actors.appeal_in(State.CLOSED, text=TEXT), by=dt.timedelta(days=1094))
    still_open = actors.appeal_in(State.IN_PROGRESS, text=TEXT)
    Appeal.all_objects.filter(pk=still_open.pk).update(submitted_at=timezone.now() - LONG_AGO)
    replied = actors.appeal_in(State.REPLIED, text=TEXT)  # replied is not finished
    assert retention.purge_expired().appeals == 0
    for appeal in (recent, still_open, replied):
        appeal.refresh_from_db()
        assert (appeal.text, appeal.phone, appeal.pii_purged_at) == (TEXT, PHONE, None)
    assert not AuditEvent.objects.filter(action=AppealsAction.PII_PURGED).exists()


def test_indicators_are_the_same_before_and_after(actors: Actors) -> None:
    six = the_six(actors)
    exclusion_add(appeal=six["a5"], actor=actors.leader, reason="重复恶意诉求")
    before = {
        grouping: indicator_report(user=actors.leader, period=MARCH, grouping=grouping)
        for grouping in (Grouping.UNIT, Grouping.DIVISION)
    }
    assert before[Grouping.UNIT].total.counted == 5

    result = retention.purge_expired(now=timezone.now() + LONG_AGO)

    assert result.appeals == 6
    for grouping, report in before.items():
        after = indicator_report(user=actors.leader, period=MARCH, grouping=grouping)
        assert after.rows == report.rows
        assert after.total == report.total


# --- runs -----------------------------------------------------------------------------------------------


def test_running_again_does_nothing(actors: Actors) -> None:
    appeal = _age(actors.appeal_in(State.CLOSED, text=TEXT))
    assert retention.purge_expired().appeals == 1
    appeal.refresh_from_db()
    first_version, first_at = appeal.version, appeal.pii_purged_at
    again = retention.purge_expired()
    assert (again.appeals, again.batches) == (0, 0)
    appeal.refresh_from_db()
    assert (appeal.version, appeal.pii_purged_at) == (first_version, first_at)
    assert AuditEvent.objects.filter(action=AppealsAction.PII_PURGED).count() == 1


def test_dry_run_counts_and_writes_nothing(actors: Actors) -> None:
    appeal = _age(_full_story(actors))
    audit_rows = AuditEvent.objects.count()
    result = retention.purge_expired(dry_run=True)
    assert result.dry_run
    assert (result.appeals, result.photos) == (1, 1)
    assert result.notes >= 4  # the return note, the extension reason, the supervision note, event notes
    appeal.refresh_from_db()
    assert (appeal.text, appeal.phone, appeal.pii_purged_at) == (TEXT, PHONE, None)
    assert Attachment.objects.filter(appeal=appeal).exists()
    assert AuditEvent.objects.count() == audit_rows


def test_zero_days_turns_the_purge_off(actors: Actors, settings: Any) -> None:
    settings.SHEGONG_APPEAL_PII_RETENTION_DAYS = 0
    appeal = _age(actors.appeal_in(State.CLOSED, text=TEXT), by=dt.timedelta(days=9000))
    result = retention.purge_expired()
    assert result.disabled
    assert result.appeals == 0
    appeal.refresh_from_db()
    assert appeal.text == TEXT


def test_the_daily_job_is_registered_and_purges(actors: Actors) -> None:
    job = next(job for job in periodic.jobs() if job.name == "appeals.purge_pii")
    assert job.every_seconds == 86400
    appeal = _age(actors.appeal_in(State.CLOSED, text=TEXT))
    outcome = periodic.run_job("appeals.purge_pii")
    assert outcome.ok, outcome.result
    assert outcome.result["appeals"] == 1  # type: ignore[index]
    appeal.refresh_from_db()
    assert appeal.pii_purged_at is not None


def test_the_command_with_and_without_dry_run(actors: Actors) -> None:
    appeal = _age(actors.appeal_in(State.CLOSED, text=TEXT))
    out = io.StringIO()
    with translation.override("en"):
        call_command("appeals_purge_pii", "--dry-run", stdout=out)
    assert "Dry run: nothing was changed." in out.getvalue()
    assert "Appeals: 1," in out.getvalue()
    appeal.refresh_from_db()
    assert appeal.pii_purged_at is None
    out = io.StringIO()
    with translation.override("en"):
        call_command("appeals_purge_pii", stdout=out)
    assert "Appeals: 1," in out.getvalue()
    assert "Dry run" not in out.getvalue()
    appeal.refresh_from_db()
    assert appeal.pii_purged_at is not None


def test_the_command_says_when_the_purge_is_off(settings: Any, db: None) -> None:
    settings.SHEGONG_APPEAL_PII_RETENTION_DAYS = 0
    out = io.StringIO()
    with translation.override("en"):
        call_command("appeals_purge_pii", stdout=out)
    assert "The purge is off" in out.getvalue()


# --- the desk -------------------------------------------------------------------------------------------


def test_the_desk_shows_a_purged_appeal_as_removed(actors: Actors) -> None:
    appeal = _age(_full_story(actors))
    retention.purge_expired()
    client = Client()
    client.force_login(actors.intake)
    page = client.get(reverse("appeals:desk_detail", args=[appeal.tracking_no]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="pii-purged"' in html
    assert 'data-testid="phone-purged"' in html
    assert retention.purged_notice() in html  # 已按规定清除 in a Chinese deployment
    assert "王小明" not in html
    assert ADDRESS not in html
    assert 'name="reveal_field"' not in html


def test_common_division_code() -> None:
    assert retention.common_division_code([]) == ""
    assert retention.common_division_code(["210105001001"]) == "210105001001"
    assert retention.common_division_code(["210105001001", "210105001002"]) == "210105001000"
    assert retention.common_division_code(["210105001001", "210106001001"]) == "210100000000"
    assert retention.common_division_code(["210105001001", "110105001001"]) == ""
