"""Audit action codes written by appeals (`appeals.<object>.<verb>`); registered in AppealsConfig.ready()."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppealsAction(models.TextChoices):
    SUBMITTED = "appeals.appeal.submitted", _("Appeal filed")
    ACCEPTED = "appeals.appeal.accepted", _("Appeal accepted")
    REJECTED = "appeals.appeal.rejected", _("Appeal not accepted")
    DISPATCHED = "appeals.appeal.dispatched", _("Appeal dispatched to a unit")
    RETURNED = "appeals.appeal.returned", _("Appeal returned by a unit")
    SIGNED_FOR = "appeals.appeal.signed_for", _("Appeal signed for")
    CONTACTED = "appeals.appeal.contacted", _("Contact with the worker recorded")
    REPLIED = "appeals.appeal.replied", _("Appeal replied to")
    EXTENSION_REQUESTED = "appeals.extension.requested", _("Extension requested")
    EXTENSION_DECIDED = "appeals.extension.decided", _("Extension decided")
    SUPERVISED = "appeals.appeal.supervised", _("Appeal put under supervision")
    RATED = "appeals.appeal.rated", _("Appeal rated")
    REDO = "appeals.appeal.redo", _("Appeal sent back for redo")
    CLOSED_UNRATED = "appeals.appeal.closed_unrated", _("Appeal closed without a rating")
    MERGED = "appeals.appeal.merged", _("Appeal merged into another")
    WITHDRAWN = "appeals.appeal.withdrawn", _("Appeal withdrawn")
    CATEGORY_CREATED = "appeals.category.created", _("Appeal category added")
    CATEGORY_UPDATED = "appeals.category.updated", _("Appeal category changed")
    TIME_LIMIT_SET = "appeals.time_limit.set", _("Time limit set")
    DISPATCH_RULE_SET = "appeals.dispatch_rule.set", _("Dispatch rule set")
    TIME_LIMIT_RESET = "appeals.time_limit.reset", _("Time limit reset to the inherited value")
    DISPATCH_RULE_DEACTIVATED = "appeals.dispatch_rule.deactivated", _("Dispatch rule deactivated")
    ATTACHMENT_ADDED = "appeals.attachment.added", _("Photo attached to an appeal")
    SLA_WARNED = "appeals.sla.warned", _("Deadline warning sent")
    SLA_REMINDED = "appeals.sla.reminded", _("Overdue reminder sent")
    SLA_URGED = "appeals.sla.urged", _("Urging notice sent (催办)")
    EXCLUDED = "appeals.indicators.excluded", _("Appeal excluded from the rates")
    EXCLUSION_LIFTED = "appeals.indicators.exclusion_lifted", _("Exclusion from the rates lifted")
    INDICATORS_EXPORTED = "appeals.indicators.exported", _("Appeal indicators exported")
    LIST_EXPORTED = "appeals.appeal.exported", _("Appeal list exported")
    # Personal data (docs/privacy.md): the retention purge (one row per batch, counts only) and the worker's
    # requests on /h5/appeals/privacy/ (the phone masked, never in full).
    PII_PURGED = "appeals.pii.purged", _("Personal data of finished appeals removed")
    PRIVACY_VIEWED = "appeals.privacy.viewed", _("Worker viewed the data held for their phone")
    PRIVACY_DOWNLOADED = "appeals.privacy.downloaded", _("Worker downloaded the data held for their phone")
    PRIVACY_ERASED = "appeals.privacy.erased", _("Worker's personal data removed at their request")
