from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A notification written in the same transaction as the change that causes it (transactional outbox),
    delivered after commit by the worker through the channel's backend (SMS, WeChat, e-mail, in-app)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        IN_APP = "in_app", _("In-app message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(
        _("recipient"), max_length=200
    )  # encrypted value or account id, see notify.py
    template = models.CharField(_("template"), max_length=80)
    context = models.JSONField(_("context"), default=dict)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # the sender's query: pending messages due now, oldest first
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="core_outbox_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.template} → {self.status}"
