"""``ordercrm expire_quotations [--company CODE]``: the daily run (cron) that cancels
quotations whose validity date has passed (reason "expired")."""

from django.core.management.base import BaseCommand, CommandError

from ordercrm.core.context import change_source
from ordercrm.core.models import Company
from ordercrm.sales import services


class Command(BaseCommand):
    help = "Cancel quotations whose validity date has passed (run once a day)."

    def add_arguments(self, parser):
        parser.add_argument("--company", default="", help="company code (default: all)")

    def handle(self, *args, company, **options):
        found = None
        if company:
            found = Company.objects.filter(code=company).first()
            if found is None:
                raise CommandError(f"no company with code {company!r}")
        with change_source("system"):
            count = services.quotations_expire(company=found)
        self.stdout.write(f"{count} quotation(s) expired")
