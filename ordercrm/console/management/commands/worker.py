"""``ordercrm worker``: runs background tasks (django-tasks database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, batch, **options):
        call_command("db_worker", batch=batch, interval=1.0)
