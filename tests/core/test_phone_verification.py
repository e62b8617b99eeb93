"""Phone verification by one-time SMS code: the person reads the code from the SMS, as on a phone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from shegong.core import notify, phone_verification
from shegong.core.models import PhoneVerification
from shegong.core.phone_verification import VerificationError, send_code, verify_code

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SH)
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _console_sms(settings: Any) -> Iterator[None]:
    settings.SHEGONG_SMS_BACKEND = "shegong.core.notify.ConsoleSMSBackend"
    notify.ConsoleSMSBackend.outbox.clear()
    yield
    notify.ConsoleSMSBackend.outbox.clear()


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ask(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., str]:
    """Ask for a code as the H5 page would (the request commits, the SMS goes out) and read it."""

    def ask_for_code(phone: str = PHONE) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            send_code(phone=phone)
        sms = notify.ConsoleSMSBackend.outbox[-1]
        assert sms.phone == phone
        found = re.search(r"\b(\d{6})\b", sms.text)
        assert found is not None, sms.text
        return found.group(1)

    return ask_for_code


def _error(function: Callable[..., Any], **kwargs: Any) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        function(**kwargs)
    return info.value


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_from_the_sms_verifies_once(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    assert verify_code(phone=PHONE, code=code) is True
    assert _error(verify_code, phone=PHONE, code=code).code == "used"


def test_neither_the_code_nor_the_number_is_stored_in_clear(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_phoneverification")
        verification_rows = cursor.fetchall()
        cursor.execute("SELECT recipient, context FROM core_outboxmessage")
        outbox_rows = cursor.fetchall()
    stored = str(verification_rows) + str(outbox_rows)
    assert code not in stored
    assert "12345678" not in stored


def test_full_width_digits_are_the_same_phone_and_code(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)
    assert verify_code(phone="１３８１２３４５６７８", code=full_width) is True


def test_a_new_code_needs_60_seconds(clock: Any, ask: Callable[..., str]) -> None:
    ask()
    clock.shift(dt.timedelta(seconds=30))
    error = _error(send_code, phone=PHONE)
    assert error.code == "too_soon"
    assert "30 秒" in error.messages[0]  # the worker reads how long to wait
    clock.shift(dt.timedelta(seconds=30))
    ask()
    assert PhoneVerification.objects.count() == 2
    assert len(notify.ConsoleSMSBackend.outbox) == 2


def test_only_the_newest_code_counts(clock: Any, ask: Callable[..., str]) -> None:
    old = ask()
    clock.shift(dt.timedelta(seconds=60))
    new = ask()
    if old != new:
        assert _error(verify_code, phone=PHONE, code=old).code == "wrong"
    assert verify_code(phone=PHONE, code=new) is True


def test_ten_codes_a_day_per_phone(clock: Any, ask: Callable[..., str]) -> None:
    for _sent in range(10):
        ask()
        clock.shift(dt.timedelta(seconds=61))
    assert _error(send_code, phone=PHONE).code == "daily_limit"
    ask(phone="13912345678")  # another phone is not affected
    clock.move_to(T0 + dt.timedelta(hours=24, seconds=1))
    ask()


def test_five_wrong_tries_kill_the_code(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    codes = [_error(verify_code, phone=PHONE, code=_wrong(code)).code for _try in range(5)]
    assert codes == ["wrong", "wrong", "wrong", "wrong", "locked"]
    assert _error(verify_code, phone=PHONE, code=code).code == "locked"
    clock.shift(dt.timedelta(seconds=60))
    assert verify_code(phone=PHONE, code=ask()) is True  # a new code works again


def test_a_wrong_try_says_how_many_are_left(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    assert "还可以尝试 4 次" in _error(verify_code, phone=PHONE, code=_wrong(code)).messages[0]


def test_the_code_expires_after_5_minutes(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    clock.shift(dt.timedelta(minutes=5))
    assert _error(verify_code, phone=PHONE, code=code).code == "expired"


def test_the_code_still_works_just_before_5_minutes(clock: Any, ask: Callable[..., str]) -> None:
    code = ask()
    clock.shift(dt.timedelta(minutes=4, seconds=59))
    assert verify_code(phone=PHONE, code=code) is True


def test_no_code_asked_or_an_invalid_phone_are_refused(clock: Any) -> None:
    assert _error(verify_code, phone=PHONE, code="123456").code == "no_code"
    assert _error(send_code, phone="12345").code == "invalid_phone"
    assert not notify.ConsoleSMSBackend.outbox


def test_old_codes_are_purged_by_the_daily_job(clock: Any, ask: Callable[..., str]) -> None:
    ask()
    assert phone_verification.purge_older_than(T0) == 0
    assert phone_verification.purge_older_than(T0 + dt.timedelta(seconds=1)) == 1
