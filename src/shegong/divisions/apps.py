from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DivisionsConfig(AppConfig):
    name = "shegong.divisions"
    label = "divisions"
    verbose_name = _("Divisions and units")

    def ready(self) -> None:
        from shegong.accounts.choices import AccountsPerm
        from shegong.core import audit
        from shegong.divisions.audit_actions import DivisionsAction
        from shegong.web.nav import NavItem, register

        audit.register_actions(DivisionsAction)
        register(
            NavItem(_("Units"), "units:list", AccountsPerm.UNIT_VIEW, section=_("Jurisdiction"), order=800),
            NavItem(
                _("Divisions"),
                "units:divisions",
                AccountsPerm.DIVISION_VIEW,
                section=_("Jurisdiction"),
                order=810,
            ),
        )
