from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ordercrm.core.signals import company_created


class CustomersConfig(AppConfig):
    name = "ordercrm.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from ordercrm.customers.services import register_merge_steps

        company_created.connect(_on_company_created, dispatch_uid="customers.defaults")
        register_merge_steps()


def _on_company_created(sender, company, **kwargs) -> None:
    from ordercrm.customers.services import payment_terms_setup_defaults

    payment_terms_setup_defaults(company=company)
