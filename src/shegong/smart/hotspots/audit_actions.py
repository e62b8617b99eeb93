"""Audit action codes written by hotspots (`smart.<object>.<verb>`); registered in HotspotsConfig.ready()."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HotspotAction(models.TextChoices):
    ALERT_RAISED = "smart.hotspot.raised", _("Hotspot alert raised")
    ALERT_UPDATED = "smart.hotspot.updated", _("Hotspot alert grew")
    ALERT_DISMISSED = "smart.hotspot.dismissed", _("Hotspot alert dismissed")
    TASK_CREATED = "smart.task.created", _("Governance task created")
    TASK_NOTED = "smart.task.noted", _("Governance task progress noted")
    TASK_DONE = "smart.task.done", _("Governance task marked done")
