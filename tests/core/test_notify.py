"""The notification outbox: written in the caller's transaction, delivered after commit or by the worker,
retried with backoff, addresses kept encrypted."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction

from shegong.core import notify, periodic, pii
from shegong.core.models import OutboxMessage

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SH)
PHONE = "13812345678"

notify.register_template("tests.appeal_received", "Your appeal {number} was received.")


class FailingSMSBackend:
    """Stands in for an SMS gateway that is down."""

    calls: list[str] = []

    def send(self, phone: str, text: str) -> None:
        type(self).calls.append(phone)
        raise ConnectionError("gateway unreachable")


@pytest.fixture(autouse=True)
def _clean_backends(settings: Any) -> Iterator[None]:
    settings.SHEGONG_SMS_BACKEND = "shegong.core.notify.ConsoleSMSBackend"
    notify.ConsoleSMSBackend.outbox.clear()
    FailingSMSBackend.calls.clear()
    yield
    notify.ConsoleSMSBackend.outbox.clear()


def _sms(**overrides: Any) -> OutboxMessage:
    kwargs: dict[str, Any] = {
        "channel": "sms",
        "recipient": PHONE,
        "template": "tests.appeal_received",
        "context": {"number": "A7K3-9QX2"},
    }
    kwargs.update(overrides)
    return notify.enqueue(**kwargs)


def test_a_rolled_back_transaction_leaves_no_message_and_sends_nothing(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def file_appeal_that_fails() -> None:
        with transaction.atomic():
            _sms()
            raise RuntimeError("the appeal failed to save")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        file_appeal_that_fails()
    assert not OutboxMessage.objects.exists()
    assert notify.ConsoleSMSBackend.outbox == []


def test_after_commit_the_message_is_sent_at_once(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = _sms()
    assert [(sms.phone, sms.text) for sms in notify.ConsoleSMSBackend.outbox] == [
        (PHONE, "Your appeal A7K3-9QX2 was received.")
    ]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1


def test_the_same_dedupe_key_gives_the_same_row() -> None:
    first = _sms(dedupe_key="appeals:42:received")
    again = _sms(dedupe_key="appeals:42:received")
    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    _sms(dedupe_key="appeals:43:received")
    assert OutboxMessage.objects.count() == 2


def test_the_phone_number_is_stored_encrypted() -> None:
    _sms(recipient="+86 138-1234-5678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient FROM core_outboxmessage")
        (stored,) = cursor.fetchone()
    assert "12345678" not in stored
    assert pii.decrypt(stored) == PHONE  # normalised before encryption


def test_a_secret_context_is_not_stored_in_clear_and_is_wiped_after_sending() -> None:
    with time_machine.travel(T0, tick=False):
        notify.enqueue(
            channel="sms",
            recipient=PHONE,
            template="core.verification_code",
            context={"code": "482913", "minutes": 5},
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT context FROM core_outboxmessage")
        (stored,) = cursor.fetchone()
    assert "482913" not in str(stored)
    assert notify.deliver_due(T0) == 1
    assert "482913" in notify.ConsoleSMSBackend.outbox[-1].text
    assert OutboxMessage.objects.get().context == {}


def test_unknown_template_or_missing_placeholder_is_refused_at_enqueue() -> None:
    with pytest.raises(ValueError, match="unknown notification template"):
        _sms(template="tests.nope")
    with pytest.raises(ValueError, match="number"):
        _sms(context={"id": 1})
    with pytest.raises(ValueError, match="channel"):
        _sms(channel="pigeon")
    assert not OutboxMessage.objects.exists()


def test_deliver_due_sends_pending_messages_through_the_console_backend(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with time_machine.travel(T0, tick=False):
        message = _sms()
    with caplog.at_level(logging.INFO, logger="shegong.core.notify"):
        assert notify.deliver_due(T0 - dt.timedelta(seconds=1)) == 0  # not due yet
        assert notify.deliver_due(T0) == 1
    assert "SMS to 138****5678: Your appeal A7K3-9QX2 was received." in caplog.messages
    assert PHONE not in caplog.text  # the log shows the masked number only
    message.refresh_from_db()
    assert (message.status, message.sent_at) == (OutboxMessage.Status.SENT, T0)
    assert notify.deliver_due(T0 + dt.timedelta(minutes=1)) == 0  # sent once
    assert len(notify.ConsoleSMSBackend.outbox) == 1


def test_a_failing_gateway_is_retried_with_backoff_then_given_up(settings: Any) -> None:
    settings.SHEGONG_SMS_BACKEND = "tests.core.test_notify.FailingSMSBackend"
    with time_machine.travel(T0, tick=False):
        message = _sms()
        notify.enqueue(
            channel="email",
            recipient="chen@example.cn",
            template="tests.appeal_received",
            context={"number": "B1"},
        )
    # the failing SMS does not stop the e-mail beside it
    assert notify.deliver_due(T0) == 1
    assert [m.to for m in mail.outbox] == [["chen@example.cn"]]

    schedule = []
    now = T0
    for _attempt in range(4):
        message.refresh_from_db()
        schedule.append((message.attempts, message.next_attempt_at - now))
        assert notify.deliver_due(message.next_attempt_at - dt.timedelta(seconds=1)) == 0
        now = message.next_attempt_at
        notify.deliver_due(now)
    assert schedule == [
        (1, dt.timedelta(minutes=1)),
        (2, dt.timedelta(minutes=2)),
        (3, dt.timedelta(minutes=4)),
        (4, dt.timedelta(minutes=8)),
    ]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == notify.MAX_ATTEMPTS == 5
    assert "gateway unreachable" in message.last_error
    assert len(FailingSMSBackend.calls) == 5
    notify.deliver_due(now + dt.timedelta(days=1))
    assert len(FailingSMSBackend.calls) == 5  # given up for good


def test_in_app_messages_are_the_row_itself_and_wechat_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with time_machine.travel(T0, tick=False):
        in_app = notify.enqueue(
            channel="in_app", recipient="17", template="tests.appeal_received", context={"number": "C1"}
        )
        wechat = notify.enqueue(
            channel="wechat",
            recipient="oX1y2Z3openid",
            template="tests.appeal_received",
            context={"number": "C2"},
        )
    with caplog.at_level(logging.INFO, logger="shegong.core.notify"):
        assert notify.deliver_due(T0) == 2
    assert in_app.recipient == "17"
    assert "oX1y2Z3openid" not in OutboxMessage.objects.get(pk=wechat.pk).recipient
    assert any("WeChat delivery is not configured" in line for line in caplog.messages)
    assert "oX1y2Z3openid" not in caplog.text


def test_a_sender_that_died_mid_send_is_retried_after_the_lease() -> None:
    with time_machine.travel(T0, tick=False):
        message = _sms()
    # a claim that never finished (the process was killed during the gateway call)
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, next_attempt_at=T0 + notify.LEASE)
    assert notify.deliver_due(T0 + dt.timedelta(minutes=1)) == 0
    assert notify.deliver_due(T0 + notify.LEASE) == 1


def test_the_worker_delivers_the_outbox_every_minute() -> None:
    job = next(job for job in periodic.jobs() if job.name == "core.deliver_outbox")
    assert job.every_seconds == 60
    with time_machine.travel(T0, tick=False):
        _sms()
    assert job.function(T0) == 1
