"""Vocabulary of hotspots: alert kinds and states, governance task states, permissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    CLUSTER = "cluster", _("Similar appeals in one street")
    SURGE = "surge", _("Sudden rise in a district")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Awaiting decision")
    DISMISSED = "dismissed", _("Dismissed")
    TASK = "task", _("Governance task")


class TaskStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class HotspotPerm(models.TextChoices):
    VIEW = "smart:hotspot:view", _("View hotspot alerts and governance tasks")
    MANAGE = "smart:hotspot:manage", _("Dismiss hotspot alerts and run governance tasks")
