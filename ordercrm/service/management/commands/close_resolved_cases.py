"""``ordercrm close_resolved_cases``: close the resolved cases past their company's window
now (``ordercrm worker`` does this every minute beside the SLA check; the command is for
cron-driven setups and for operators)."""

from django.core.management.base import BaseCommand

from ordercrm.service.services import cases_auto_close


class Command(BaseCommand):
    help = "Close resolved after-sales cases whose company's close-after window has passed."

    def handle(self, *args, **options):
        closed = cases_auto_close()
        self.stdout.write(f"{closed} case(s) closed")
