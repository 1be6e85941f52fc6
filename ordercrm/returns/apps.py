from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "ordercrm.returns"
    label = "returns"
    verbose_name = _("Returns")

    def ready(self) -> None:
        from ordercrm.returns import services
        from ordercrm.sales import hooks

        # a no-charge shipment of an RMA leaving moves its lines' "sent back" counters
        hooks.on_dispatch(services.rma_shipment_dispatched)
