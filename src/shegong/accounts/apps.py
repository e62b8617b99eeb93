from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shegong.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib import admin

        from shegong.accounts import roles
        from shegong.accounts.audit_actions import AccountsAction
        from shegong.accounts.choices import AccountsPerm
        from shegong.accounts.views import admin_login_redirect
        from shegong.core import audit
        from shegong.web import nav

        roles.register_core_permissions()
        # One login for the whole site: the admin's form would skip lockout, throttle and second factor.
        admin.site.login = admin_login_redirect  # type: ignore[method-assign]
        audit.register_actions(AccountsAction)
        nav.register(
            nav.NavItem(
                _("Accounts"), "accounts:user_list", AccountsPerm.USER_VIEW, section=_("System"), order=900
            ),
            nav.NavItem(_("My security"), "accounts:security", None, section=_("System"), order=990),
        )
