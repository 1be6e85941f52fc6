"""The background-task half of the worker: a task the database failed under runs again
instead of being marked failed, and tasks left running by a dead worker are handed back."""

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ordercrm.notifications.models import WorkerHeartbeat
from ordercrm.notifications.taskworker import ResilientTaskWorker, requeue_abandoned

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = []


@task()
def flaky() -> int:
    CALLS.append(1)
    if len(CALLS) == 1:
        raise OperationalError("server closed the connection unexpectedly")
    return len(CALLS)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def running(worker_id, started_ago_s):
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="ordercrm.notifications.tests.test_taskworker.flaky",
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - datetime.timedelta(seconds=started_ago_s),
        worker_ids=[worker_id],
    )


def test_a_task_the_database_failed_under_runs_again_not_failed(database_tasks):
    CALLS.clear()
    result = flaky.enqueue()
    worker = ResilientTaskWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="me",
        excluded_queue_names=[],
    )
    worker.run()
    row = DBTaskResult.objects.get(pk=result.id)
    assert (row.status, row.return_value, len(CALLS)) == ("SUCCESSFUL", 2, 2)


def test_tasks_left_running_by_a_dead_worker_are_handed_back(database_tasks):
    WorkerHeartbeat.objects.create(worker_id="alive", hostname="h", pid=1)
    dead = running("dead", started_ago_s=600)
    alive = running("alive", started_ago_s=600)
    young = running("unknown", started_ago_s=1)  # may be a worker that has not beaten yet
    own = running("me", started_ago_s=1)
    assert requeue_abandoned("me") == 1
    assert requeue_abandoned("me", own=True) == 1
    statuses = {
        name: DBTaskResult.objects.get(pk=row.pk).status
        for name, row in (("dead", dead), ("alive", alive), ("young", young), ("own", own))
    }
    assert statuses == {"dead": "READY", "alive": "RUNNING", "young": "RUNNING", "own": "READY"}
