"""Audit action codes written by open311 (`open311.<object>.<verb>`); registered in Open311Config.ready().

Creating the platform account behind a key is audited by accounts (`accounts.user.created`,
`accounts.grant.added`); these rows record the keys themselves.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Action(models.TextChoices):
    KEY_CREATED = "open311.key.created", _("Open311 key created")
    KEY_REVOKED = "open311.key.revoked", _("Open311 key revoked")
