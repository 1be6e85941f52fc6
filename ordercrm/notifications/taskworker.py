"""The background-task half of ``ordercrm worker``: django-tasks' database worker, made to
outlive database faults.

The stock ``db_worker`` re-raises any database error but "database is locked", which ended the
whole worker process (and with it the outbox pump) when PostgreSQL went away for a moment.
Here a database fault closes the broken connection, backs off (0.5 s doubling to 15 s) and
runs the loop again; it never ends the process. A task that was running when the database went
away is handed back (status READY) once it is reachable again, so it runs again rather than
staying "running" forever: tasks are at least once and must be idempotent, like every side
effect here. Tasks left "running" by a worker that died (kill -9) are handed back too, once
that worker has not beaten for ``worker.STALE_S``.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.db import DatabaseError, OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ordercrm.notifications import worker as pump
from ordercrm.notifications.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class DatabaseWentAway(OperationalError):
    """A task failed because the database went away under it: run it again, not failed."""


def requeue_abandoned(worker_id: str, *, own: bool = False, others: bool = True, now=None) -> int:
    """Hand back tasks left running: with ``others``, by a dead worker (no heartbeat for
    ``STALE_S`` and started before that); with ``own``, by this worker (after a database fault
    interrupted them: this worker runs nothing now). Returns how many."""
    now = now or timezone.now()
    horizon = now - datetime.timedelta(seconds=pump.STALE_S)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=horizon).values_list("worker_id", flat=True)
    )
    abandoned = [
        pk
        for pk, worker_ids, started_at in DBTaskResult.objects.running().values_list(
            "pk", "worker_ids", "started_at"
        )
        if worker_ids
        and (
            (own and worker_ids[-1] == worker_id)
            or (
                others
                and worker_ids[-1] not in alive
                and worker_ids[-1] != worker_id
                and (started_at is None or started_at < horizon)
            )
        )
    ]
    if not abandoned:
        return 0
    handed_back = (
        DBTaskResult.objects.running()
        .filter(pk__in=abandoned)
        .update(status=TaskResultStatus.READY, started_at=None)
    )
    logger.warning("handed back %s background task(s) left running", handed_back)
    return handed_back


class ResilientTaskWorker(Worker):
    """``db_worker``'s loop, run again after every database fault instead of exiting."""

    def __init__(self, *, status: pump.WorkerStatus | None = None, **options):
        from ordercrm.core import wakeup

        self._bell = None
        super().__init__(**options)
        self.status = status
        # Idle, db_worker sleeps ``self.interval`` between polls; here that sleep is the
        # doorbell: rung when a task is enqueued (PostgreSQL), else the slow / backed-off poll.
        self._bell = wakeup.Doorbell(self._poll)

    @property
    def interval(self) -> float:
        """Read by db_worker's loop only to sleep when idle (and once for its start-up
        jitter): the wait happens here, on the doorbell, and nothing is left to sleep."""
        if self._bell is None or self.batch:
            return self._poll
        self._bell.wait(due_in=self._next_task_in())
        return 0

    @interval.setter
    def interval(self, value: float) -> None:
        self._poll = value

    def _next_task_in(self) -> float | None:
        """Seconds until the earliest task scheduled for later (``run_after``) is due."""
        from django_tasks_db.models import get_date_max

        run_after = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lt=get_date_max())
            .order_by("run_after")
            .values_list("run_after", flat=True)
            .first()
        )
        if run_after is None:
            return None
        return max(0.0, (run_after - timezone.now()).total_seconds())

    def run(self) -> None:
        pause = pump.Pause()
        interrupted = False
        while self.running:
            try:
                if interrupted:
                    # Only our own: other workers may not have beaten yet after the outage;
                    # the heartbeat thread hands back theirs once they stay silent.
                    requeue_abandoned(self.worker_id, own=True, others=False)
                    interrupted = False
                    pause.reset()
                super().run()
                return
            except DatabaseError as error:
                if not pump.database_unavailable(error):
                    raise
                interrupted = True
                pump.drop_connection()
                delay = pause.next()
                logger.warning(
                    "database unavailable (%s); task worker retries in %.1f s", error, delay
                )
                # A signal during this sleep exits as it does in db_worker's own sleep.
                time.sleep(delay)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        original = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            # A task that failed because the database went away has not failed: leave it
            # running; the loop backs off and hands it back once the database returns.
            if isinstance(exc, DatabaseError) and pump.database_unavailable(exc):
                raise DatabaseWentAway(str(exc)) from exc
            original(exc)

        db_task_result.set_failed = set_failed
        if self.status is not None:
            self.status.hold("task", db_task_result.pk)
        try:
            super().run_task(db_task_result)
        finally:
            if self.status is not None:
                self.status.release("task")
