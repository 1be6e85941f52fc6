from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "ordercrm.service"
    label = "service"
    verbose_name = _("After-sales service")

    def ready(self) -> None:
        from ordercrm.core.signals import company_created
        from ordercrm.service import services

        company_created.connect(services.on_company_created, dispatch_uid="service.defaults")
