from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "shegong.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from shegong.accounts.choices import Role
        from shegong.appeals import notifications
        from shegong.appeals.audit_actions import AppealsAction
        from shegong.appeals.choices import AppealsPerm as P
        from shegong.core import audit, permissions

        permissions.register(
            {
                # 受理/派单员: reviews, dispatches, merges; sees phone numbers to call back.
                Role.INTAKE: {P.VIEW, P.INTAKE, P.DISPATCH, P.REVEAL_PII},
                # 承办人: only appeals of their own unit (checked in services and selectors).
                Role.HANDLER: {P.VIEW, P.HANDLE, P.REVEAL_PII},
                # 领导: reads everything in scope, supervises and decides extensions.
                Role.LEADER: {P.VIEW, P.SUPERVISE},
                Role.PLATFORM_ADMIN: {P.MANAGE_CATALOGUE},
            },
            enums=[P],
        )
        audit.register_actions(AppealsAction)
        notifications.register_templates()
