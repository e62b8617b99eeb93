"""Appeals (诉求): the reference data (categories, time limits, dispatch catalogue) and the appeal with its
timeline, returns, extension requests and supervision records. Writes go through services.py."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import (
    AppealType,
    Channel,
    Clock,
    ExtensionStatus,
    LimitUnit,
    ReturnReason,
    Satisfaction,
    SlaStage,
    State,
    Urgency,
    WorkerType,
)
from shegong.appeals.tracking import new_tracking_no
from shegong.core.pii import BlindIndexField, EncryptedTextField, PIIKind
from shegong.core.scoping import ScopedManager
from shegong.divisions.choices import UnitType

TEXT_MAX = 4000


class Category(models.Model):
    """诉求分类: a first-level category (parent empty) or an admin-added second-level one."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    scope = models.TextField(_("what it covers"), blank=True)
    default_unit = models.CharField(_("usual responsible body"), max_length=120, blank=True)
    default_unit_type = models.CharField(
        _("default responsible unit type"), max_length=32, choices=UnitType.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("appeal category")
        verbose_name_plural = _("appeal categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class TimeLimit(models.Model):
    """How long one clock runs for a category (empty: the default) and urgency."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_limits",
        help_text=_("Empty means the default for every category."),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit of time"), max_length=20, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category", "clock", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency", "clock"],
                name="appeals_timelimit_unique",
                nulls_distinct=False,
                violation_error_message=_("This clock already has a limit for this category and urgency."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="appeals_timelimit_amount_positive",
                violation_error_message=_("A time limit must be longer than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.urgency} {self.clock}: {self.amount} {self.unit}"


class DispatchRule(models.Model):
    """派单目录 entry: appeals in a division subtree (empty: nationwide) of a category (empty: any) go to
    a unit. The most specific rule wins: the longest division prefix first, then a category rule over
    'any'."""

    division = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty means nationwide."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispatch_rules",
        help_text=_("Empty means any category."),
    )
    unit = models.ForeignKey(
        "divisions.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")
        ordering = ["division", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "category"],
                condition=Q(is_active=True),
                name="appeals_dispatchrule_unique_active",
                nulls_distinct=False,
                violation_error_message=_("An active rule for this division and category already exists."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division_id or '*'} × {self.category or '*'} → {self.unit}"


class Appeal(models.Model):
    """One appeal (诉求) from a worker, from filing to closing."""

    tracking_no = models.CharField(_("tracking number"), max_length=11, unique=True, default=new_tracking_no)
    text = models.TextField(_("text"), max_length=TEXT_MAX, validators=[MaxLengthValidator(TEXT_MAX)])
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    appeal_type = models.CharField(_("appeal type"), max_length=20, choices=AppealType.choices)
    worker_type = models.CharField(_("worker type"), max_length=20, choices=WorkerType.choices)
    platform = models.CharField(_("platform"), max_length=50, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = EncryptedTextField(_("mobile phone"), kind=PIIKind.PHONE)
    phone_hash = BlindIndexField(source="phone", kind=PIIKind.PHONE)
    anonymous = models.BooleanField(_("anonymous to the handling unit"), default=False)
    # who filed it: empty for a worker's own H5 filing; the operator (hotline) or the platform's API account
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # the platform's own reference for the appeal (Open311 / API callers), unique per filer
    source_ref = models.CharField(_("caller's reference"), max_length=64, blank=True)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # clocks: when each runs out
    sign_due_at = models.DateTimeField(_("sign for by"), null=True, blank=True)
    contact_due_at = models.DateTimeField(_("first contact by"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("reply by"), null=True, blank=True)
    revisit_due_at = models.DateTimeField(_("revisit by"), null=True, blank=True)
    # events
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contacted at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # outcome: closed (办结) and resolved (解决) are separate facts
    reply_text = models.TextField(
        _("reply"), max_length=TEXT_MAX, blank=True, validators=[MaxLengthValidator(TEXT_MAX)]
    )
    resolved = models.BooleanField(_("resolved"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    # The worker's first rating of the unit's answer, kept when a failed rating sends the appeal back (重办)
    # and the final rating above overwrites nothing here: 解决率 and 满意率 count the first answer, or every
    # appeal that ends closed would count as resolved and satisfied.
    first_resolved = models.BooleanField(_("resolved at the first rating"), null=True, blank=True)
    first_satisfaction = models.CharField(
        _("satisfaction at the first rating"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    close_reason = models.CharField(_("reason"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    supervised = models.BooleanField(_("under supervision"), default=False)
    redo_count = models.PositiveSmallIntegerField(_("times sent back for redo"), default=0)
    extension_used = models.BooleanField(_("extension requested"), default=False)
    version = models.PositiveIntegerField(_("version"), default=0)
    # When the worker's personal data (phone, text, place, photos, notes) was purged (appeals/retention.py):
    # after SHEGONG_APPEAL_PII_RETENTION_DAYS, or at the worker's request. The facts the rates count stay.
    pii_purged_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True)

    all_objects = models.Manager()
    objects = ScopedManager["Appeal"](division_field="division")

    class Meta:
        default_manager_name = "all_objects"
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-submitted_at"]
        indexes = [
            # a unit's queue: 待签收 / 办理中 of one unit
            models.Index(fields=["state", "unit"], name="appeals_appeal_state_unit"),
            # lists of a division subtree, newest first
            models.Index(fields=["division", "submitted_at"], name="appeals_appeal_div_submitted"),
            # intake queues (待受理 / 待派单) oldest first, and the three rates over closed appeals
            models.Index(fields=["state", "submitted_at"], name="appeals_appeal_state_submitted"),
            # "my appeals" for a verified phone
            models.Index(fields=["phone_hash", "submitted_at"], name="appeals_appeal_phone"),
            # a platform's own appeals (API reads)
            models.Index(fields=["filed_by", "submitted_at"], name="appeals_appeal_filed_by"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=State.MERGED) | Q(merged_into__isnull=False),
                name="appeals_appeal_merged_has_target",
                violation_error_message=_("A merged appeal must point at the appeal it was merged into."),
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[State.SUBMITTED, State.ACCEPTED, State.REJECTED, State.MERGED, State.WITHDRAWN]
                )
                | Q(unit__isnull=False),
                name="appeals_appeal_dispatched_has_unit",
                violation_error_message=_("A dispatched appeal needs a responsible unit."),
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    @property
    def is_open(self) -> bool:
        from shegong.appeals.choices import OPEN_STATES

        return self.state in OPEN_STATES


class AppealEvent(models.Model):
    """One timeline entry: who did what to an appeal and when; `public` entries are shown to the worker."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to the worker"), default=True)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["appeal", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.action}"


class ReturnRecord(models.Model):
    """退单: a unit sent a dispatched appeal back before signing for it."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="returns"
    )
    unit = models.ForeignKey(
        "divisions.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=30, choices=ReturnReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["appeal", "at"]

    def __str__(self) -> str:
        return f"{self.appeal_id} ← {self.unit_id}"


class ExtensionRequest(models.Model):
    """延期: a unit asks for more working days to handle an appeal; a supervisor decides."""

    MAX_DAYS = 10

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="extension_requests"
    )
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["appeal", "requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=10),
                name="appeals_extension_days_range",
                violation_error_message=_("An extension is between 1 and 10 working days."),
            ),
            models.UniqueConstraint(
                fields=["appeal"],
                name="appeals_extension_once",
                violation_error_message=_("An extension may be requested only once per appeal."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} +{self.days}"


class Supervision(models.Model):
    """督办: an appeal flagged for supervision by the level above, with a deadline."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="supervisions"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    level = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("supervising level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["appeal", "created_at"]
        indexes = [
            # the supervisor's 督办 list by deadline
            models.Index(fields=["level", "deadline"], name="appeals_supervision_level_due"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} 督办"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never carries the uploader's file name (it may hold a name or a phone number).
    import uuid

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"appeals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    """A photo attached to an appeal (at most 5). Stored outside the public static files and served only
    through a view that checks who is asking."""

    MAX_PER_APPEAL = 5

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    sha256 = models.CharField(_("checksum"), max_length=64)
    location_kept = models.BooleanField(_("photo location kept"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["appeal", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.appeal_id} #{self.pk}"


class SlaMark(models.Model):
    """One escalation step already taken for one deadline of one clock: the SLA sweep writes it in the
    same transaction as the step's notifications, so a second sweep finds it and does nothing. A moved
    deadline (extension, 重办) is a new `due_at` and starts its own steps."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="sla_marks"
    )
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=SlaStage.choices)
    due_at = models.DateTimeField(_("deadline"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("deadline escalation")
        verbose_name_plural = _("deadline escalations")
        ordering = ["appeal", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "clock", "stage", "due_at"], name="appeals_slamark_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.clock} {self.stage}"


class RateExclusion(models.Model):
    """An appeal judged 不合理诉求 after review, left out of the rates; creating and lifting it is audited."""

    appeal = models.OneToOneField(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="rate_exclusion"
    )
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("excluded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("exclusion from the rates")
        verbose_name_plural = _("exclusions from the rates")

    def __str__(self) -> str:
        return f"{self.appeal_id} excluded"
