"""Which roles hold the platform's foundation permissions. Later modules register their own in ready()."""

from shegong.accounts.choices import AccountsPerm, Role
from shegong.core import permissions
from shegong.core.permissions import CorePerm

_STAFF_READ = {AccountsPerm.DIVISION_VIEW, AccountsPerm.UNIT_VIEW}


def register_core_permissions() -> None:
    permissions.register(
        {
            # 系统管理员: users, units, calendar, operations; not the audit log, not personal data.
            Role.PLATFORM_ADMIN: _STAFF_READ
            | {
                AccountsPerm.USER_VIEW,
                AccountsPerm.USER_MANAGE,
                AccountsPerm.UNIT_MANAGE,
                CorePerm.CALENDAR_MANAGE,
            },
            # 安全管理员: security policy and lockouts; no business data.
            Role.SECURITY_ADMIN: {
                AccountsPerm.USER_VIEW,
                AccountsPerm.SECURITY_POLICY,
                AccountsPerm.DIVISION_VIEW,
            },
            # 审计员: reads and exports the audit log, nothing else.
            Role.AUDITOR: {CorePerm.AUDIT_VIEW, AccountsPerm.DIVISION_VIEW},
            Role.LEADER: _STAFF_READ | {AccountsPerm.DASHBOARD_VIEW, AccountsPerm.USER_VIEW},
            Role.INTAKE: _STAFF_READ | {CorePerm.PII_REVEAL},
            Role.HANDLER: _STAFF_READ | {CorePerm.PII_REVEAL},
            Role.SOCIAL_WORKER: _STAFF_READ,
            Role.VOLUNTEER: {AccountsPerm.DIVISION_VIEW},
        },
        enums=[CorePerm, AccountsPerm],
    )
