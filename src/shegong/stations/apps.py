from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "shegong.stations"
    label = "stations"
    verbose_name = _("Service stations")

    def ready(self) -> None:
        from shegong.accounts.choices import Role
        from shegong.core import audit, permissions
        from shegong.stations.audit_actions import StationsAction
        from shegong.stations.choices import StationsPerm as P

        permissions.register(
            {
                # Everyone on the desk may look stations up (to point a rider to one); social workers and
                # platform admins keep the list in their jurisdiction up to date.
                Role.LEADER: {P.VIEW},
                Role.INTAKE: {P.VIEW},
                Role.HANDLER: {P.VIEW},
                Role.SOCIAL_WORKER: {P.VIEW, P.MANAGE},
                Role.PLATFORM_ADMIN: {P.VIEW, P.MANAGE},
            },
            enums=[P],
        )
        audit.register_actions(StationsAction)
        _register_nav()


def _register_nav() -> None:
    """Sidebar entries; an entry whose page is not installed yet is left out by web.nav."""
    from shegong.stations.choices import StationsPerm as P
    from shegong.web.nav import NavItem, register

    section = _("Stations")
    register(
        NavItem(_("Stations"), "stations:desk_list", P.VIEW, section=section, order=40),
        NavItem(_("Station usage"), "stations:desk_usage", P.VIEW, section=section, order=41),
        NavItem(_("Import and export"), "stations:transfer", P.MANAGE, section=section, order=42),
    )
