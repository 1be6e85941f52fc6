from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "ordercrm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from ordercrm.inventory.signals import stock_increased
        from ordercrm.sales.tasks import on_stock_increased

        stock_increased.connect(on_stock_increased, dispatch_uid="sales.fill_backorders")
