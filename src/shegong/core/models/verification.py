from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VerificationPurpose(models.TextChoices):
    """What a one-time code proves; a code asked for one purpose does not verify another."""

    APPEAL = "appeal", _("Filing or following an appeal")


class PhoneVerification(models.Model):
    """One one-time code sent by SMS to prove that a person holds a phone number.

    Neither the number nor the code is stored: the number as its blind index (pii.blind_index), the code
    as a keyed hash with a per-code salt (a 6-digit code has only a million values, so a plain hash would
    be reversed at once; the key is the project's SECRET_KEY)."""

    phone_hash = models.CharField(_("phone number (keyed hash)"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=32, choices=VerificationPurpose.choices)
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64)
    salt = models.CharField(_("salt"), max_length=32)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        indexes = [
            # send_code and verify_code look up the latest codes of one phone, newest first
            models.Index(fields=["phone_hash", "created_at"], name="core_phoneverif_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.phone_hash[:8]}… at {self.created_at:%Y-%m-%d %H:%M}"
