"""Proving that a person holds a phone number with a one-time code sent by SMS.

`send_code(phone=…)` sends a 6-digit code valid for 5 minutes; `verify_code(phone=…, code=…)` checks it.
Limits (abuse costs money and annoys the number's owner): at least 60 s between two codes to one phone,
at most 10 codes a phone in any 24 hours, 5 tries a code (then the code is dead), each code used once,
only the newest code of a phone counts. Everything is keyed on the phone's blind index, never the number.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from shegong.core import notify, pii, ratelimit
from shegong.core.models import OutboxMessage, PhoneVerification, VerificationPurpose

__all__ = [
    "CODE_TTL",
    "DAILY_LIMIT",
    "MAX_TRIES",
    "RESEND_AFTER",
    "VerificationError",
    "purge_older_than",
    "send_code",
    "verify_code",
]

RESEND_AFTER = dt.timedelta(seconds=60)
DAILY_LIMIT = 10  # codes per phone in any 24 hours
DAY = dt.timedelta(hours=24)
CODE_TTL = dt.timedelta(minutes=5)
MAX_TRIES = 5
CODE_DIGITS = 6


class VerificationError(ValidationError):
    """Why a code was not sent or not accepted; the message is for the person holding the phone."""


def _phone_hash(phone: str) -> str:
    try:
        return pii.blind_index(pii.PIIKind.PHONE, phone)
    except ValidationError as exc:
        raise VerificationError(exc.messages[0], code="invalid_phone") from exc


def _code_hash(code: str, salt: str) -> str:
    # Keyed with SECRET_KEY: a million possible codes would fall to a plain hash at once.
    return salted_hmac("shegong.phone_verification", f"{salt}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def send_code(*, phone: str, purpose: str = VerificationPurpose.APPEAL) -> None:
    """Send a new one-time code to `phone` by SMS (queued in the outbox, sent right after commit).
    Raises VerificationError when the phone is invalid or a limit is reached."""
    phone_hash = _phone_hash(phone)
    now = timezone.now()
    recent = PhoneVerification.objects.filter(phone_hash=phone_hash, created_at__gt=now - DAY)
    latest = recent.order_by("-created_at").first()
    if latest is not None and now - latest.created_at < RESEND_AFTER:
        wait = RESEND_AFTER - (now - latest.created_at)
        seconds = max(int(wait.total_seconds() + 0.999), 1)
        raise VerificationError(
            _("Please wait {seconds} seconds before asking for another code.").format(seconds=seconds),
            code="too_soon",
        )
    if recent.count() >= DAILY_LIMIT:
        raise VerificationError(
            _("Too many codes were sent to this number today. Please try again tomorrow."),
            code="daily_limit",
        )
    # The rows above give the exact rules; this counter closes the race of two requests at the same
    # moment (both would see no recent code), because its increment is atomic on both engines.
    if not ratelimit.hit(f"otp-send:{phone_hash}", limit=1, window=int(RESEND_AFTER.total_seconds())).allowed:
        raise VerificationError(
            _("Please wait {seconds} seconds before asking for another code.").format(
                seconds=int(RESEND_AFTER.total_seconds())
            ),
            code="too_soon",
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(8)
    verification = PhoneVerification(
        phone_hash=phone_hash,
        purpose=purpose,
        code_hash=_code_hash(code, salt),
        salt=salt,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    verification.full_clean()
    verification.save()
    notify.enqueue(
        channel=OutboxMessage.Channel.SMS,
        recipient=phone,
        template="core.verification_code",
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        dedupe_key=f"core.verification:{verification.pk}",
    )


def _check(*, phone_hash: str, code: str, purpose: str) -> tuple[bool, VerificationError | None]:
    """Check and record one try in its own transaction (a wrong try must be counted, so the error is
    raised by the caller after this commits)."""
    with transaction.atomic():
        latest = (
            PhoneVerification.objects.select_for_update()  # two tries at once count as two
            .filter(phone_hash=phone_hash, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is None:
            return False, VerificationError(_("Please ask for a code first."), code="no_code")
        if latest.used_at is not None:
            return False, VerificationError(
                _("This code has already been used. Please ask for a new code."), code="used"
            )
        if latest.attempts >= MAX_TRIES:
            return False, VerificationError(
                _("The code was entered wrongly too many times. Please ask for a new code."), code="locked"
            )
        now = timezone.now()
        if now >= latest.expires_at:
            return False, VerificationError(
                _("The code has expired. Please ask for a new code."), code="expired"
            )
        if hmac.compare_digest(latest.code_hash, _code_hash(code, latest.salt)):
            latest.used_at = now
            latest.save(update_fields=["used_at"])
            return True, None
        latest.attempts += 1
        latest.save(update_fields=["attempts"])
        left = MAX_TRIES - latest.attempts
        if left == 0:
            return False, VerificationError(
                _("The code is wrong and may not be tried again. Please ask for a new code."), code="locked"
            )
        return False, VerificationError(
            _("The code is wrong. You can try {tries} more times.").format(tries=left), code="wrong"
        )


def verify_code(*, phone: str, code: str, purpose: str = VerificationPurpose.APPEAL) -> bool:
    """Accept the newest code sent to `phone` for `purpose` and use it up; returns True. Raises
    VerificationError saying why otherwise (wrong, expired, used, too many tries, none sent)."""
    phone_hash = _phone_hash(phone)
    # Full-width digits from a Chinese input method are the same code.
    typed = unicodedata.normalize("NFKC", code).strip()
    ok, error = _check(phone_hash=phone_hash, code=typed, purpose=purpose)
    if error is not None:
        raise error
    return ok


def purge_older_than(cutoff: dt.datetime) -> int:
    """Delete codes created before `cutoff` (the daily limit needs the last 24 hours only)."""
    deleted, _ignored = PhoneVerification.objects.filter(created_at__lt=cutoff).delete()
    return deleted
