"""``ordercrm demo``: load the demo company once, then print the logins."""

from django.core.management.base import BaseCommand

from ordercrm.console.demo import DEMO_PASSWORD, DEMO_USERS, build_demo, demo_exists
from ordercrm.core.context import change_source
from ordercrm.core.models import Company


class Command(BaseCommand):
    help = "Load a realistic demo company (once; running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="only when the database has no company at all"
        )

    def handle(self, *args, if_empty, **options):
        if demo_exists():
            self.stdout.write("The demo company is already loaded.")
        elif if_empty and Company.objects.exists():
            self.stdout.write("The database already has companies; no demo data loaded.")
            return
        else:
            with change_source("cli"):
                company = build_demo()
            # the history is dated in the past (a held clock): derive its sales facts at once
            from ordercrm.analytics import refresh

            refresh.rebuild(company)
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo company {company.name}."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_rest in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {role.label}")
