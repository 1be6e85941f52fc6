"""``ordercrm serve``: the web server (gunicorn) and, beside it, one worker process, kept
running by a supervisor: a worker that dies is restarted (with backoff, logged)."""

from __future__ import annotations

import atexit
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ordercrm.console.supervisor import Supervisor


class Command(BaseCommand):
    help = "Serve OrderCRM over HTTP with a background worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background worker"
        )

    def handle(self, *args, host, port, workers, no_worker, **options):
        from gunicorn.app.base import BaseApplication

        from ordercrm.wsgi import application

        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        if not no_worker:
            supervisor = Supervisor([sys.executable, "-m", "ordercrm", "worker"]).start()
            atexit.register(supervisor.stop)

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", 4)
                self.cfg.set("accesslog", "-")
                self.cfg.set("when_ready", lambda _server: self._announce())

            def _announce(self):
                sys.stdout.write(f"\nOrderCRM is running at http://{host}:{port}/\n\n")
                sys.stdout.flush()

            def load(self):
                return application

        Server().run()
