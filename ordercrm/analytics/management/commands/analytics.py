"""``ordercrm analytics rebuild|process|status``: the sales facts from the command line."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Sales facts: rebuild them from the documents, apply pending events, or show status."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "process", "status"])
        parser.add_argument("--company", help="company code (default: every active company)")

    def handle(self, *args, action, company=None, **options):
        from tqdm import tqdm

        from ordercrm.analytics import refresh
        from ordercrm.core.models import Company

        companies = Company.objects.filter(is_active=True).order_by("code")
        if company:
            companies = companies.filter(code=company)
            if not companies.exists():
                raise CommandError(f"no active company with code {company!r}")
        for each in companies:
            if action == "rebuild":
                from ordercrm.sales.models import SalesOrder

                total = SalesOrder.objects.for_company(each).count()
                with tqdm(total=total, desc=each.code, unit="orders", disable=not total) as bar:
                    rows = refresh.rebuild(each, progress=bar.update)
                self.stdout.write(f"{each.code}: {total} orders, {rows} fact rows")
            elif action == "process":
                applied = 0
                while True:
                    done = refresh.process_company(each)
                    if not done:
                        break
                    applied += done
                self.stdout.write(f"{each.code}: {applied} events applied")
            else:
                self.stdout.write(f"{each.code}: data as of {refresh.as_of(each) or '-'}")
