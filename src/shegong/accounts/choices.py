from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Auditor")
    LEADER = "leader", _("Leader")
    INTAKE = "intake", _("Intake officer")
    HANDLER = "handler", _("Case handler")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    VOLUNTEER = "volunteer", _("Volunteer")
    # A platform enterprise's system (美团, 顺丰…) filing appeals for its workers through the API; its
    # account holds API tokens, never a desk login.
    PLATFORM_PARTNER = "platform_partner", _("Platform enterprise (API)")


# 三权分立 (等保 level 3, 安全管理中心): one person never holds two of these.
SEPARATED_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
# Roles that work on the staff desk and may be required to use a second factor.
STAFF_ROLES = frozenset(set(Role) - {Role.VOLUNTEER, Role.PLATFORM_PARTNER})


class AccountsPerm(models.TextChoices):
    USER_VIEW = "accounts:user:view", _("View accounts")
    USER_MANAGE = "accounts:user:manage", _("Create and disable accounts, assign grants")
    SECURITY_POLICY = "accounts:security:manage", _("Unlock accounts and manage security settings")
    DIVISION_VIEW = "divisions:division:view", _("View divisions")
    UNIT_VIEW = "divisions:unit:view", _("View units")
    UNIT_MANAGE = "divisions:unit:manage", _("Create and edit units")
    DASHBOARD_VIEW = "web:dashboard:view", _("View the dashboard")
