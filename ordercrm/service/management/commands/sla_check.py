"""``ordercrm sla_check``: mark SLA warnings and breaches now (``ordercrm worker`` does this
every minute; the command is for cron-driven setups and for operators)."""

from django.core.management.base import BaseCommand

from ordercrm.service.sla import sla_check


class Command(BaseCommand):
    help = "Mark after-sales SLA warnings and breaches that have come due."

    def handle(self, *args, **options):
        changed = sla_check()
        self.stdout.write(f"{changed} case(s) marked")
