from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shegong.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from shegong.core import checks  # noqa: F401  (registers system checks)
        from shegong.core.views import register_nav

        register_nav()
