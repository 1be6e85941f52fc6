"""``ordercrm createuser USERNAME --company CODE --role ROLE --password PASSWORD``."""

from django.core.management.base import BaseCommand, CommandError

from ordercrm.accounts import services
from ordercrm.accounts.roles import Role
from ordercrm.core.context import change_source
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import Company


class Command(BaseCommand):
    help = "Create a user who is a member of a company with a role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--company", required=True, help="company code")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, username, company, role, password, email, **options):
        found = Company.objects.filter(code=company).first()
        if found is None:
            raise CommandError(f"no company with code {company!r}")
        try:
            with change_source("cli"):
                user = services.user_create(
                    username=username, password=password, company=found, role=role, email=email
                )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.text} {exc.details}") from exc
        self.stdout.write(f"created {user.username} ({role}) in {found.code}")
