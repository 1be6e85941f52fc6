"""``ordercrm worker``: one worker process with four threads: the outbox pump (events →
emails, webhooks, notifications), the analytics pump (events → sales facts), a heartbeat, and
the django-tasks database worker (background tasks) in the main thread, where it receives
SIGTERM / SIGINT.

No database fault ends it (each part backs off and retries); SIGTERM ends it cleanly. Run it
under a supervisor that restarts it anyway (``ordercrm serve`` does; systemd with
``Restart=always`` in production)."""

import threading

from django.core.management.base import BaseCommand
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME


class Command(BaseCommand):
    help = "Run the background worker: outbox deliveries and queued tasks."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queues are empty")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle"
        )

    def handle(self, *args, batch, interval, **options):
        from ordercrm.analytics import refresh
        from ordercrm.analytics import worker as analytics_worker
        from ordercrm.core import wakeup
        from ordercrm.notifications import worker
        from ordercrm.notifications.taskworker import ResilientTaskWorker

        worker_id = worker.new_worker_id()
        status = worker.WorkerStatus(worker_id)
        tasks = ResilientTaskWorker(
            status=status,
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        if batch:
            worker.run_once(worker_id)
            refresh.process_all()
            tasks.run()
            return
        worker.check_lease()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=worker.heartbeat_forever, args=(stop, status), name="heartbeat", daemon=True
            ),
            threading.Thread(
                target=worker.run_forever,
                args=(stop,),
                kwargs={"idle": interval, "worker_id": worker_id, "status": status},
                name="outbox-pump",
                daemon=True,
            ),
            threading.Thread(
                target=analytics_worker.run_forever,
                args=(stop,),
                kwargs={"idle": max(interval, 2.0)},
                name="analytics",
                daemon=True,
            ),
        ]
        for thread in threads:
            thread.start()
        # PostgreSQL: LISTEN for committed events and tasks, so the threads above wake at once
        # instead of polling (core.wakeup); SQLite: they poll, backing off when idle.
        listener = wakeup.start_listener(stop)
        if listener is not None:
            threads.append(listener)
        self.stdout.write(f"worker {worker_id} started")
        try:
            tasks.configure_signals()
            tasks.run()
        finally:
            stop.set()
            wakeup.ring_all()  # idle threads see ``stop`` now, not at their next timeout
            for thread in threads:
                thread.join(timeout=15)
