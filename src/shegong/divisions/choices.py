from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """Levels of the 12-digit statistical division code; the value is the length of the level's prefix."""

    PROVINCE = 2, _("Province")
    CITY = 4, _("City")
    COUNTY = 6, _("County")
    STREET = 9, _("Street / town")
    COMMUNITY = 12, _("Community / village")


class UnitType(models.TextChoices):
    SOCIAL_WORK_DEPT = "social_work_dept", _("Social work department")
    STREET_OFFICE = "street_office", _("Street office")
    COMMUNITY_COMMITTEE = "community_committee", _("Community committee")
    GOVERNMENT_DEPT = "government_dept", _("Government department")
    PLATFORM_ENTERPRISE = "platform_enterprise", _("Platform enterprise")
    SOCIAL_WORK_ORG = "social_work_org", _("Social work organisation")
    OTHER = "other", _("Other")


# Units that are legal persons outside government carry a 统一社会信用代码.
UNIT_TYPES_WITH_USCC = frozenset({UnitType.PLATFORM_ENTERPRISE, UnitType.SOCIAL_WORK_ORG})
