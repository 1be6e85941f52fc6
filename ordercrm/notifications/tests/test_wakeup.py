"""An idle worker waits on its doorbell, not a poll: on PostgreSQL a committed event wakes it
at once (LISTEN/NOTIFY), on SQLite it polls, backing off while idle."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from ordercrm.core import events, wakeup
from ordercrm.core.models import Event
from ordercrm.notifications import worker


def test_the_sqlite_poll_backs_off_while_idle_and_returns_to_the_interval_after_work(
    settings, monkeypatch
):
    settings.WORKER_WAKEUP = "notify"
    monkeypatch.setattr(wakeup, "_listening", threading.Event())  # no listener: SQLite
    bell = wakeup.Doorbell(1.0)
    try:
        assert [bell.timeout() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
        bell.worked()
        assert bell.timeout() == 1.0
        assert bell.timeout(due_in=0.25) == 0.25  # a retry due sooner bounds the wait
        wakeup._listening.set()  # PostgreSQL with a listener: the slow poll
        assert bell.timeout() == wakeup.SLOW_POLL_S
    finally:
        wakeup._bells.remove(bell)


def test_the_old_fixed_poll_is_one_setting_away(settings):
    settings.WORKER_WAKEUP = "poll"
    bell = wakeup.Doorbell(1.0)
    try:
        assert [bell.timeout() for _ in range(3)] == [1.0, 1.0, 1.0]
    finally:
        wakeup._bells.remove(bell)


def test_a_rung_doorbell_ends_the_wait_at_once():
    bell = wakeup.Doorbell(30.0)
    try:
        threading.Timer(0.1, wakeup.ring_all).start()
        start = time.monotonic()
        assert bell.wait(threading.Event())
        assert time.monotonic() - start < 1.0
    finally:
        wakeup._bells.remove(bell)


@pytest.mark.django_db(transaction=True)
def test_a_worker_wakes_within_a_second_of_a_committed_event(company, customer, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite polls (see the tests above)")
    monkeypatch.setattr(wakeup, "SLOW_POLL_S", 120.0)  # only the notification can wake it
    stop = threading.Event()

    def closing(target, *args, **kwargs):
        try:
            target(*args, **kwargs)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=closing, args=(wakeup.listen_forever, stop)),
        threading.Thread(
            target=closing,
            args=(worker.run_forever, stop),
            kwargs={"idle": 120.0, "worker_id": "wake-test"},
        ),
    ]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while not wakeup._listening.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert wakeup._listening.is_set()
        time.sleep(1.0)  # the pump's first round is over: it waits on its doorbell
        with transaction.atomic():
            event = events.emit(type="order.noted", entity=customer)
        committed = time.monotonic()
        while time.monotonic() - committed < 5:
            if Event.objects.unscoped().filter(pk=event.pk, dispatched_at__isnull=False).exists():
                break
            time.sleep(0.02)
        woke = time.monotonic() - committed
        assert woke < 1.0, f"fanned out after {woke:.2f} s"
    finally:
        stop.set()
        wakeup.ring_all()
        for thread in threads:
            thread.join(timeout=10)
