"""Audit action codes of the divisions app (registered in DivisionsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionsAction(models.TextChoices):
    DIVISIONS_IMPORTED = "divisions.division.imported", _("Division codes imported")
    UNIT_CREATED = "divisions.unit.created", _("Unit created")
    UNIT_UPDATED = "divisions.unit.updated", _("Unit updated")
    UNIT_DEACTIVATED = "divisions.unit.deactivated", _("Unit deactivated")
