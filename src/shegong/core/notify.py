"""Notifications through the transactional outbox.

A service calls `enqueue(...)` inside its transaction: the OutboxMessage row commits or rolls back with
the change that caused it, so no SMS is sent for an appeal that was never saved, and none is lost when
the process dies right after the commit. After the commit `enqueue` tries to send that one message at
once (best effort, so an SMS code feels instant); the worker's `core.deliver_outbox` job (`deliver_due`,
every minute) is the guarantee: it retries with exponential backoff and gives up after MAX_ATTEMPTS.

Messages are written from registered templates (`register_template`): English msgids with named
placeholders, translated into the site language when the message is sent, so backends receive the
final text. Backends, one per channel:

- sms: SHEGONG_SMS_BACKEND, a dotted path to a class with `send(phone, text)` (the SMSBackend protocol);
  ConsoleSMSBackend by default, which logs the masked number and the text and keeps the messages in
  `ConsoleSMSBackend.outbox` (like Django's locmem e-mail backend);
- wechat: SHEGONG_WECHAT_BACKEND, same protocol with the OpenID; LogWeChatBackend by default, because no
  WeChat gateway is reachable from here: it logs that the message was not pushed;
- email: Django's send_mail (EMAIL_BACKEND decides how);
- in_app: the row itself is the message (recipient = the user's primary key); sending only marks it sent.

Addresses are personal data: for sms, wechat and email the recipient column holds the address encrypted
with core.pii (the phone normalised first); a template marked `secret=True` (a verification code) has its
context encrypted as well, and wiped once the message is sent or given up.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from shegong.core import pii
from shegong.core.models import OutboxMessage

__all__ = [
    "MAX_ATTEMPTS",
    "ConsoleSMSBackend",
    "LogWeChatBackend",
    "SMSBackend",
    "SentSMS",
    "WeChatBackend",
    "deliver_due",
    "deliver_one",
    "enqueue",
    "register_template",
    "render",
]

logger = logging.getLogger(__name__)

# A message is tried this many times; between tries it waits 1, 2, 4, 8 minutes (BACKOFF_BASE doubling).
MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=1)
# A claimed message is not picked up again for this long: if the sender dies mid-send, another retries it.
LEASE = dt.timedelta(minutes=5)
# The console backend keeps only the latest messages, so a long-running demo does not grow without end.
CONSOLE_KEEP = 200

_ENCRYPTED_CHANNELS = {OutboxMessage.Channel.SMS, OutboxMessage.Channel.WECHAT, OutboxMessage.Channel.EMAIL}
_SEALED = "sealed"  # the context key holding an encrypted context


# --- templates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    code: str
    text: str | Promise
    subject: str | Promise | None
    secret: bool


_templates: dict[str, Template] = {}


def register_template(
    code: str, text_msgid: str | Promise, *, subject: str | Promise | None = None, secret: bool = False
) -> None:
    """Register a message: `text_msgid` is a gettext_lazy message with named placeholders
    (`_("Your appeal {number} was received.")`) filled from the enqueued context. `subject` is used by
    e-mail. `secret=True` keeps the context encrypted in the outbox and wipes it after sending."""
    existing = _templates.get(code)
    if existing is not None and (existing.text != text_msgid or existing.secret != secret):
        raise ValueError(f"notification template {code!r} is already registered with another text")
    _templates[code] = Template(code=code, text=text_msgid, subject=subject, secret=secret)


def _template(code: str) -> Template:
    try:
        return _templates[code]
    except KeyError:
        raise ValueError(f"unknown notification template {code!r}; register it first") from None


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, text) of a template in the site language, placeholders filled."""
    tpl = _template(template)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            text = str(tpl.text).format(**context)
        except (KeyError, IndexError) as exc:
            raise ValueError(f"template {template!r} needs the placeholder {exc}") from exc
        subject = str(tpl.subject if tpl.subject is not None else _("Notice from Shegong"))
    return subject, text


register_template(
    "core.verification_code",
    _("Your verification code is {code}. It is valid for {minutes} minutes. Do not tell it to anyone."),
    secret=True,
)


# --- backends --------------------------------------------------------------------------------------------


class SMSBackend(Protocol):
    """An SMS gateway. `send` raises on failure (any exception); the outbox retries later."""

    def send(self, phone: str, text: str) -> None: ...


class WeChatBackend(Protocol):
    """A WeChat template-message sender, addressed by OpenID. Raises on failure."""

    def send(self, openid: str, text: str) -> None: ...


@dataclass(frozen=True)
class SentSMS:
    phone: str
    text: str


class ConsoleSMSBackend:
    """Demo and test backend: logs `SMS to 138****1234: text` at INFO and keeps the messages in
    `ConsoleSMSBackend.outbox` (newest last), as a person would read them on the phone. Never for
    production: the log holds every code sent."""

    outbox: ClassVar[list[SentSMS]] = []

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", pii.mask_phone(phone), text)
        outbox = type(self).outbox
        outbox.append(SentSMS(phone=phone, text=text))
        del outbox[:-CONSOLE_KEEP]


class LogWeChatBackend:
    """No WeChat gateway is reachable from this deployment: the message is logged (OpenID masked) and
    counted as handled, so the outbox does not retry something that cannot be delivered."""

    def send(self, openid: str, text: str) -> None:
        logger.info(
            "WeChat delivery is not configured; message for %s not pushed: %s", openid[:4] + "…", text
        )


def sms_backend() -> SMSBackend:
    path = getattr(settings, "SHEGONG_SMS_BACKEND", "shegong.core.notify.ConsoleSMSBackend")
    backend: SMSBackend = import_string(path)()
    return backend


def wechat_backend() -> WeChatBackend:
    path = getattr(settings, "SHEGONG_WECHAT_BACKEND", "shegong.core.notify.LogWeChatBackend")
    backend: WeChatBackend = import_string(path)()
    return backend


# --- enqueue ---------------------------------------------------------------------------------------------


def _stored_recipient(channel: str, recipient: str) -> str:
    if channel == OutboxMessage.Channel.SMS:
        return pii.encrypt(pii.normalise(pii.PIIKind.PHONE, recipient))
    if channel in _ENCRYPTED_CHANNELS:
        return pii.encrypt(recipient.strip())
    return recipient


def enqueue(
    *, channel: str, recipient: str, template: str, context: dict[str, Any], dedupe_key: str = ""
) -> OutboxMessage:
    """Queue one notification in the caller's transaction and return its outbox row.

    `recipient`: a phone number (sms), an OpenID (wechat), an address (email) or a user's primary key
    (in_app). `context` fills the template's placeholders and must be JSON-serialisable. A `dedupe_key`
    already queued returns the existing row instead of a second message. Raises ValueError for an
    unknown channel or template or a missing placeholder, ValidationError for an invalid phone number."""
    if channel not in OutboxMessage.Channel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    tpl = _template(template)
    render(template, context)  # fail now, in the caller's request, rather than in the worker
    stored_context = {_SEALED: pii.encrypt(json.dumps(context))} if tpl.secret else context
    message = OutboxMessage(
        channel=channel,
        recipient=_stored_recipient(channel, recipient),
        template=template,
        context=stored_context,
        dedupe_key=dedupe_key,
    )
    message.full_clean(exclude=["dedupe_key"])  # the unique key is handled below, race included
    # Insert first: a dedupe key is nearly always new (the first message of a fresh transition), so
    # looking it up beforehand would cost every request a query that only the rare repeat needs. An
    # existing key, queued earlier or by a concurrent request, fails the unique constraint instead.
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not dedupe_key:
            raise
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    if getattr(settings, "SHEGONG_NOTIFY_SEND_ON_COMMIT", True):
        transaction.on_commit(lambda: _send_after_commit(message))
    return message


def _send_after_commit(message: OutboxMessage) -> None:
    """Send the message this process has just committed. The claim is the same compare-and-set as the
    worker's, but the row is not read back: the object in hand is what was committed."""
    now = timezone.now()
    try:
        if _claim(message.pk, now):
            message.attempts += 1  # what the claim counted
            _attempt(message, now)
    except Exception:
        # Best effort only: the row is still pending and the worker will send it.
        logger.exception("immediate send of outbox message %s failed; the worker will retry", message.pk)


# --- delivery --------------------------------------------------------------------------------------------


def _context(message: OutboxMessage) -> dict[str, Any]:
    sealed = message.context.get(_SEALED) if isinstance(message.context, dict) else None
    if sealed is not None and _template(message.template).secret:
        loaded: dict[str, Any] = json.loads(pii.decrypt(sealed))
        return loaded
    return dict(message.context)


def _send(message: OutboxMessage) -> None:
    subject, text = render(message.template, _context(message))
    channel = message.channel
    if channel == OutboxMessage.Channel.IN_APP:
        return  # the row is the message; the user's inbox reads it
    address = pii.decrypt(message.recipient)
    if channel == OutboxMessage.Channel.SMS:
        sms_backend().send(address, text)
    elif channel == OutboxMessage.Channel.WECHAT:
        wechat_backend().send(address, text)
    elif channel == OutboxMessage.Channel.EMAIL:
        send_mail(subject, text, None, [address], fail_silently=False)
    else:
        raise ValueError(f"unknown notification channel {channel!r}")


def _claim(pk: int, now: dt.datetime) -> bool:
    """Take one due message for sending: a compare-and-set that pushes its next attempt a lease ahead and
    counts the attempt, so another sender (or this one after a crash) does not send it at the same time.
    Works the same on both engines; the network call then happens outside any transaction."""
    claimed = OutboxMessage.objects.filter(
        pk=pk,
        status=OutboxMessage.Status.PENDING,
        next_attempt_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    return bool(claimed)


def _finish(message: OutboxMessage, now: dt.datetime, error: Exception | None) -> None:
    wipe: dict[str, Any] = {"context": {}} if _template_is_secret(message.template) else {}
    if error is None:
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.SENT, sent_at=now, last_error="", **wipe
        )
        return
    detail = f"{type(error).__name__}: {error}"[:500]
    if message.attempts >= MAX_ATTEMPTS:
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.FAILED, last_error=detail, **wipe
        )
        logger.warning("outbox message %s failed %s times, giving up: %s", message.pk, MAX_ATTEMPTS, detail)
        return
    delay = BACKOFF_BASE * 2 ** (message.attempts - 1)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=now + delay, last_error=detail)
    logger.info(
        "outbox message %s failed (attempt %s), retry in %s: %s", message.pk, message.attempts, delay, detail
    )


def _template_is_secret(code: str) -> bool:
    tpl = _templates.get(code)
    return tpl is not None and tpl.secret


def _secret_templates() -> list[str]:
    return [code for code, tpl in _templates.items() if tpl.secret]


def deliver_one(pk: int, now: dt.datetime | None = None) -> bool:
    """Send one message if it is due and nobody else is sending it; True when it was sent."""
    now = now or timezone.now()
    if not _claim(pk, now):
        return False
    return _attempt(OutboxMessage.objects.get(pk=pk), now)


def _attempt(message: OutboxMessage, now: dt.datetime) -> bool:
    """Send a claimed message and record the outcome; True when it was sent."""
    try:
        _send(message)
    except Exception as exc:  # any backend failure is one failed attempt, never the caller's error
        _finish(message, now, exc)
        return False
    _finish(message, now, None)
    return True


def _due_ids(now: dt.datetime, limit: int) -> list[int]:
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    ).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
        with transaction.atomic():
            return list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
    return list(due.values_list("pk", flat=True)[:limit])


def deliver_due(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Send up to `limit` pending messages that are due, oldest first; returns how many were sent.
    A failing message is rescheduled (1, 2, 4, 8 minutes) or, after MAX_ATTEMPTS, marked failed; it never
    stops the others and this function does not raise for it."""
    now = now or timezone.now()
    # A sender that died after its last claim leaves a pending row with no attempts left: close it.
    stale = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, attempts__gte=MAX_ATTEMPTS, next_attempt_at__lte=now
    )
    stale.filter(template__in=_secret_templates()).update(context={})
    stale.update(status=OutboxMessage.Status.FAILED, last_error="the last attempt did not finish")
    sent = 0
    for pk in _due_ids(now, limit):
        try:
            sent += deliver_one(pk, now)
        except Exception:  # a database hiccup on one row must not stop the sweep
            logger.exception("delivering outbox message %s failed", pk)
    return sent
