from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "ordercrm.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from ordercrm.billing import hooks as billing
        from ordercrm.billing.merging import register_merge_steps
        from ordercrm.sales import hooks

        hooks.on_order_confirmed(billing.invoice_on_order)
        hooks.on_dispatch(billing.invoice_on_shipment)
        hooks.on_order_cancelled(billing.settle_on_cancel)
        register_merge_steps()
