from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """A fixed-window counter shared by every process (login throttles, SMS limits)."""

    key = models.CharField(_("key"), max_length=200)
    window_start = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="core_ratecounter_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.count}"


class PeriodicRun(models.Model):
    """One run of a periodic job for one time slot; the unique slot makes a sweep run once across workers."""

    name = models.CharField(_("job"), max_length=120)
    slot = models.DateTimeField(_("slot"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="core_periodicrun_slot")]

    def __str__(self) -> str:
        return f"{self.name}@{self.slot}"
