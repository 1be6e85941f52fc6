from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The command line: serve, worker, demo, createuser. It calls services like any edge."""

    name = "ordercrm.console"
    label = "console"
