from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmartConfig(AppConfig):
    name = "shegong.smart"
    label = "smart"
    verbose_name = _("Smart dispatch")

    def ready(self) -> None:
        from shegong.appeals.desk.suggest import register_classifier, register_router
        from shegong.smart import routing, signals, suggestions

        # The intake form shows the live model's top-3 and preselects the first (docs/appeals-desk.md).
        register_classifier(suggestions.desk_classifier)
        # The dispatch form preselects the catalogue's unit, or the unit dispatchers chose where it is silent.
        register_router(routing.desk_router)
        signals.connect()
