"""Role sets the cases use (mirroring the role → permission registry in accounts/roles.py and the apps'
ready()); a case names the set so a change of the registry shows up as a matrix failure to review."""

from shegong.accounts.choices import Role

R = Role
ALL_ROLES = frozenset(Role)
STAFF = frozenset(Role) - {Role.VOLUNTEER, Role.PLATFORM_PARTNER}
DIVISION_VIEW = frozenset(Role) - {Role.PLATFORM_PARTNER}
UNIT_VIEW = frozenset({R.PLATFORM_ADMIN, R.LEADER, R.INTAKE, R.HANDLER, R.SOCIAL_WORKER})
UNIT_MANAGE = frozenset({R.PLATFORM_ADMIN})
USER_VIEW = frozenset({R.PLATFORM_ADMIN, R.SECURITY_ADMIN, R.LEADER})
USER_MANAGE = frozenset({R.PLATFORM_ADMIN})
SECURITY = frozenset({R.SECURITY_ADMIN})
AUDIT = frozenset({R.AUDITOR})
DASHBOARD = frozenset({R.LEADER})
APPEAL_VIEW = frozenset({R.INTAKE, R.HANDLER, R.LEADER})
