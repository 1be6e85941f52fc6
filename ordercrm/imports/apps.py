from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk import of master data and open orders, written row by row through the services."""

    name = "ordercrm.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"
