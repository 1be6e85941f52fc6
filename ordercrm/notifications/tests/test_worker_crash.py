"""kill -9 a worker in the middle of deliveries, start it again: every event is delivered,
none lost; a duplicate carries the same event id. Real processes, real PostgreSQL."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from ordercrm.core import events
from ordercrm.notifications import services
from ordercrm.notifications.models import Delivery, DeliveryStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_worker():
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ORDERCRM_DELIVERY_LEASE_S": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ordercrm", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_kill_nine_mid_delivery_loses_nothing(company, admin, customer, receiver):
    endpoint = receiver()
    # Slow the receiver so the kill lands while deliveries are in flight.
    original = endpoint.server.RequestHandlerClass.do_POST

    def slow_post(handler):
        time.sleep(0.15)
        original(handler)

    endpoint.server.RequestHandlerClass.do_POST = slow_post
    services.webhook_create(
        company=company, actor=admin, url=endpoint.url, event_types=["test.ping"]
    )
    emitted = {
        str(events.emit(type="test.ping", entity=customer, payload={"n": n}).pk) for n in range(40)
    }

    first = start_worker()
    try:
        assert wait_for(lambda: len(endpoint.requests) >= 5), "the worker never started sending"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    delivered_before_crash = len(endpoint.requests)
    assert delivered_before_crash < len(emitted), "killed too late to prove anything"

    second = start_worker()
    try:
        assert wait_for(
            lambda: (
                Delivery.objects.unscoped().filter(status=DeliveryStatus.SENT).count()
                == len(emitted)
            )
        ), "not every event was delivered after the restart"
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=10)
        except subprocess.TimeoutExpired:
            second.kill()
    received = [body["id"] for body in endpoint.payloads()]
    assert set(received) == emitted  # none lost
    assert len(received) >= len(emitted)  # duplicates allowed, each with its event's id
