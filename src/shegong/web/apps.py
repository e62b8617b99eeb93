from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "shegong.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from shegong.accounts.choices import AccountsPerm
        from shegong.web.nav import NavItem, register

        # The workbench comes first, the cockpit last; modules fill the orders in between (10-899).
        register(
            NavItem(_("Workbench"), "desk:home", None, section=_("Workbench"), order=0),
            NavItem(
                label=_("Dashboard"),
                url_name="dashboard:home",
                perm=AccountsPerm.DASHBOARD_VIEW,
                section=_("Insights"),
                order=900,
            ),
        )
