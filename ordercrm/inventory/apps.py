from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "ordercrm.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from ordercrm.catalog import hooks
        from ordercrm.core.signals import company_created
        from ordercrm.inventory import services

        company_created.connect(services.on_company_created, dispatch_uid="inventory-defaults")
        hooks.on_becoming_kit(services.refuse_kit_with_stock)
