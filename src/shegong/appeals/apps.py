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
                Role.LEADER: {P.VIEW, P.SUPERVISE, P.EXCLUDE},
                Role.PLATFORM_ADMIN: {P.MANAGE_CATALOGUE},
                # a platform enterprise's API account: files appeals, reads those it filed (selectors)
                Role.PLATFORM_PARTNER: {P.FILE},
            },
            enums=[P],
        )
        audit.register_actions(AppealsAction)
        notifications.register_templates()
        _register_nav()


def _register_nav() -> None:
    """Sidebar entries; an entry whose page is not installed yet is left out by web.nav."""
    from shegong.appeals.choices import AppealsPerm as P
    from shegong.web.nav import NavItem, register

    section = _("Appeals")
    register(
        NavItem(_("Appeal queues"), "appeals:desk_list", P.VIEW, section=section, order=20),
        NavItem(_("File a hotline call"), "appeals:hotline_new", P.INTAKE, section=section, order=21),
        NavItem(_("Supervision"), "appeals:supervision_list", P.SUPERVISE, section=section, order=22),
        NavItem(_("Indicators"), "appeals:indicators", P.VIEW, section=section, order=23),
        NavItem(
            _("Categories"), "appeals:catalogue_categories", P.MANAGE_CATALOGUE, section=section, order=24
        ),
        NavItem(
            _("Time limits"), "appeals:catalogue_time_limits", P.MANAGE_CATALOGUE, section=section, order=25
        ),
        NavItem(
            _("Dispatch catalogue"), "appeals:catalogue_rules", P.MANAGE_CATALOGUE, section=section, order=26
        ),
    )
