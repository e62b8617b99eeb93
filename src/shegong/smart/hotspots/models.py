"""Hotspot alerts found by the hourly job, governance tasks (每月一题) made from them, and the tasks' progress
notes. Writes go through services.py; reads that scope go through selectors.py."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.core.scoping import ScopedManager
from shegong.smart.hotspots.choices import AlertKind, AlertStatus, TaskStatus

PROBLEMS_MAX = 2000
NOTE_MAX = 1000


class HotspotAlert(models.Model):
    """One hotspot: similar appeals piling up in one street (cluster, `division` is the street) or one
    category rising in a district against its last four weeks (surge, `division` is the county). The job
    creates the row and, while the hotspot lasts, adds the appeals it keeps finding to the same row."""

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "appeals.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AlertKind.choices)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    count = models.PositiveIntegerField(_("matching appeals"))
    # appeals a week in the street (cluster) or district (surge) and category, over the weeks before
    baseline = models.FloatField(_("weekly average before"))
    appeals = models.ManyToManyField("appeals.Appeal", verbose_name=_("appeals"), related_name="+")
    keywords = models.CharField(_("keywords"), max_length=120, blank=True)
    sample = models.CharField(_("typical appeal"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    all_objects = models.Manager()
    objects = ScopedManager["HotspotAlert"](division_field="division")

    class Meta:
        default_manager_name = "all_objects"
        verbose_name = _("hotspot alert")
        verbose_name_plural = _("hotspot alerts")
        ordering = ["-window_end", "-pk"]
        indexes = [
            # the dashboard and the alert list: open alerts, newest first
            models.Index(fields=["status", "window_end"], name="smart_hotspot_status_end"),
        ]
        constraints = [
            # one alert per hotspot and window: two runs of the job in the same hour create one row
            models.UniqueConstraint(
                fields=["division", "category", "kind", "window_start"],
                name="smart_hotspot_unique_window",
                violation_error_message=_("This hotspot has already been raised for this window."),
            ),
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")),
                name="smart_hotspot_window_order",
                violation_error_message=_("A window must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division_id} {self.category_id} {self.kind} {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def ratio(self) -> float | None:
        """How many times the weekly average before this window (None when there was nothing before)."""
        return self.count / self.baseline if self.baseline > 0 else None


class GovernanceTask(models.Model):
    """每月一题: a theme taken on by a lead unit until a deadline, for the appeals of one category in one
    division subtree. Its progress is how much fewer such appeals arrive after it was created than in the
    `baseline_days` before."""

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "appeals.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    alert = models.OneToOneField(
        HotspotAlert,
        verbose_name=_("hotspot alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="task",
    )
    theme = models.CharField(_("theme"), max_length=120)
    problems = models.TextField(
        _("problems"), max_length=PROBLEMS_MAX, validators=[MaxLengthValidator(PROBLEMS_MAX)]
    )
    lead_unit = models.ForeignKey(
        "divisions.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    baseline_count = models.PositiveIntegerField(_("matching appeals before"))
    baseline_days = models.PositiveSmallIntegerField(_("days counted before"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    all_objects = models.Manager()
    objects = ScopedManager["GovernanceTask"](division_field="division")

    class Meta:
        default_manager_name = "all_objects"
        verbose_name = _("governance task")
        verbose_name_plural = _("governance tasks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_days__gt=0),
                name="smart_task_baseline_days_positive",
                violation_error_message=_("The baseline must cover at least one day."),
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.DONE) | Q(done_at__isnull=False),
                name="smart_task_done_has_time",
                violation_error_message=_("A finished task needs the time it was finished."),
            ),
        ]

    def __str__(self) -> str:
        return self.theme


class TaskUpdate(models.Model):
    """One progress note on a governance task: what was done, by whom, when."""

    task = models.ForeignKey(
        GovernanceTask, verbose_name=_("governance task"), on_delete=models.CASCADE, related_name="updates"
    )
    note = models.TextField(_("note"), max_length=NOTE_MAX, validators=[MaxLengthValidator(NOTE_MAX)])
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("noted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["task", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.at:%Y-%m-%d}"
