"""Open311 GeoReport v2 at /open311/v2/: platform enterprises and existing Open311 clients file and follow
appeals without a custom integration (docs/open311.md)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "shegong.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self) -> None:
        from shegong.core import audit
        from shegong.core.middleware import TOO_LARGE_RESPONDERS
        from shegong.open311.audit_actions import Open311Action
        from shegong.open311.views import too_large

        audit.register_actions(Open311Action)

        # an oversized body is refused before any view runs: answer with the spec's error list all the same
        TOO_LARGE_RESPONDERS["/open311/"] = too_large
