from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ordercrm.core.signals import company_created


class SalesConfig(AppConfig):
    name = "ordercrm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from ordercrm.inventory.signals import stock_increased
        from ordercrm.sales.merging import register_merge_steps
        from ordercrm.sales.tasks import on_stock_increased

        register_merge_steps()
        stock_increased.connect(on_stock_increased, dispatch_uid="sales.fill_backorders")
        company_created.connect(_on_company_created, dispatch_uid="sales.default_rules")


def _on_company_created(sender, company, default_rules: bool = True, **kwargs) -> None:
    from ordercrm.sales.services import approval_rules_setup_defaults

    if default_rules:
        approval_rules_setup_defaults(company=company)
