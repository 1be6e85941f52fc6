from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ordercrm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import pre_save

        from ordercrm.core.validation import on_pre_save

        # one backstop for every model save: values must fit their columns (SQLite as PG)
        pre_save.connect(on_pre_save, dispatch_uid="ordercrm.core.validation.on_pre_save")
