from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "shegong.smart.hotspots"
    label = "smart_hotspots"
    verbose_name = _("Hotspots")

    def ready(self) -> None:
        from shegong.accounts.choices import Role
        from shegong.core import audit, permissions
        from shegong.smart.hotspots.audit_actions import HotspotAction
        from shegong.smart.hotspots.choices import HotspotPerm as P

        permissions.register(
            {
                # 受理/派单员 see what piles up in their area; 领导 also decide what to do about it.
                Role.INTAKE: {P.VIEW},
                Role.LEADER: {P.VIEW, P.MANAGE},
            },
            enums=[P],
        )
        audit.register_actions(HotspotAction)
        _register_pages()


def _register_pages() -> None:
    """Sidebar entries with a count of open alerts, and the block on the dashboard home."""
    from shegong.smart.hotspots import dashboard
    from shegong.smart.hotspots.choices import HotspotPerm as P
    from shegong.web.cards import register_count
    from shegong.web.nav import NavItem, register

    section = _("Hotspots")
    register(
        NavItem(_("Hotspot alerts"), "hotspots:alert_list", P.VIEW, section=section, order=40),
        NavItem(_("Governance tasks"), "hotspots:task_list", P.VIEW, section=section, order=41),
    )
    register_count("hotspots:alert_list", dashboard.open_alert_count)
    dashboard.register_block()
