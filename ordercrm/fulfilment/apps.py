from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfilmentConfig(AppConfig):
    name = "ordercrm.fulfilment"
    label = "fulfilment"
    verbose_name = _("Fulfilment")

    def ready(self) -> None:
        from ordercrm.fulfilment import services
        from ordercrm.sales import hooks

        hooks.on_order_cancelled(services.on_order_cancelled)
