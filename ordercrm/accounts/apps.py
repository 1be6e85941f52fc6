from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ordercrm.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from ordercrm.accounts.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self)
