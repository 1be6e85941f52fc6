from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ordercrm.api"
    label = "api"
    verbose_name = "API"
