"""Infrastructure models of the core layer (one module each)."""

from shegong.core.models.audit import AuditEvent
from shegong.core.models.calendar import CalendarDay, CalendarYear
from shegong.core.models.idempotency import IdempotencyKey
from shegong.core.models.outbox import OutboxMessage
from shegong.core.models.runtime import PeriodicRun, RateCounter
from shegong.core.models.verification import PhoneVerification, VerificationPurpose

__all__ = [
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "IdempotencyKey",
    "OutboxMessage",
    "PeriodicRun",
    "PhoneVerification",
    "RateCounter",
    "VerificationPurpose",
]
