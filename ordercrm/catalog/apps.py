from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ordercrm.core.signals import company_created


class CatalogConfig(AppConfig):
    name = "ordercrm.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        company_created.connect(_on_company_created, dispatch_uid="catalog.defaults")


def _on_company_created(sender, company, **kwargs) -> None:
    from ordercrm.catalog.services import catalog_setup_defaults

    catalog_setup_defaults(company=company)
