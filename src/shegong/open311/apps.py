from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "shegong.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self) -> None:
        from shegong.core import audit
        from shegong.open311.audit_actions import Open311Action

        audit.register_actions(Open311Action)
