"""``ordercrm worker``: the outbox pump (events → emails, webhooks, notifications) in a
thread, and the django-tasks database worker (background tasks) in the main thread."""

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker: outbox deliveries and queued tasks."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queues are empty")

    def handle(self, *args, batch, **options):
        from ordercrm.notifications import worker

        if batch:
            worker.run_once("batch")
            call_command("db_worker", batch=True, interval=1.0)
            return
        stop = threading.Event()
        pump = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        pump.start()
        try:
            # No autoreloader: it would fork a second process (and a second pump).
            call_command("db_worker", interval=1.0, reload=False)
        finally:
            stop.set()
            pump.join(timeout=5)
