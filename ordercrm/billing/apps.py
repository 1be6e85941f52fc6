from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "ordercrm.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from ordercrm.billing import receivers
        from ordercrm.billing.merging import register_merge_steps
        from ordercrm.fulfilment.signals import shipment_dispatched
        from ordercrm.sales.signals import order_cancelled, order_confirmed

        order_confirmed.connect(receivers.invoice_on_order, dispatch_uid="billing.on_order")
        shipment_dispatched.connect(
            receivers.invoice_on_shipment, dispatch_uid="billing.on_shipment"
        )
        order_cancelled.connect(receivers.settle_on_cancel, dispatch_uid="billing.on_cancel")
        register_merge_steps()
