"""Waking the worker's threads when there is work, instead of polling every second.

PostgreSQL. Triggers (migration ``notifications.0006_work_notify``, PostgreSQL only) run
``pg_notify('ordercrm_work', …)`` after each statement that inserts an outbox event or a
background task; the notification goes out when that transaction commits, never for one
that rolls back. One listener thread per worker process holds its own connection, LISTENs,
and blocks in ``select()`` (psycopg's ``notifies(timeout=…)``): no CPU while nothing happens.
Each notification rings every :class:`Doorbell` of the process (outbox pump, analytics, task
worker), which then run a round at once. A missed notification (the listener reconnecting
after the database went away, a row written with the triggers disabled) is still picked up
by the slow poll: every ``SLOW_POLL_S``, and after each reconnect the listener rings once.

SQLite has no LISTEN/NOTIFY and no way for another process to signal a commit (its
``update_hook`` sees only its own connection's writes), so the doorbell falls back to
polling, backing off while idle: ``interval`` (1 s) after work, doubling to ``IDLE_POLL_S``
(5 s) while nothing comes, so new work after a quiet spell waits up to 5 s there.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "ordercrm_work"
SLOW_POLL_S = 30.0  # PostgreSQL: a round at least this often, notification or not
IDLE_POLL_S = 5.0  # SQLite: the longest pause between polls when idle

_lock = threading.Lock()
_bells: list[Doorbell] = []
_listening = threading.Event()  # a listener holds a LISTEN now


class Doorbell:
    """What one thread waits on when idle: rung by the listener, or its timeout."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._event = threading.Event()
        self._idle_rounds = 0
        with _lock:
            _bells.append(self)

    def ring(self) -> None:
        self._event.set()

    def worked(self) -> None:
        """The last round found work: poll at ``interval`` again (SQLite)."""
        self._idle_rounds = 0

    def timeout(self, due_in: float | None = None) -> float:
        """How long to wait now: with a listener the slow poll, else the backed-off poll;
        never past ``due_in`` (seconds until known future work, e.g. a retry)."""
        if polling_only():
            wait = self.interval
        elif _listening.is_set():
            wait = SLOW_POLL_S
        else:
            wait = min(IDLE_POLL_S, self.interval * 2 ** min(self._idle_rounds, 8))
            self._idle_rounds += 1
        if due_in is not None:
            wait = max(0.0, min(wait, due_in))
        return wait

    def wait(self, stop: threading.Event | None = None, due_in: float | None = None) -> bool:
        """Wait until rung, ``stop`` or the timeout; True when rung. ``stop`` ends the wait
        within 5 s (the two events are not one object to wait on; ``ring_all`` after
        ``stop.set()`` ends it at once)."""
        deadline = time.monotonic() + self.timeout(due_in)
        rung = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                break
            # One wake-up per 5 s at most while idle when a stop event must be watched:
            # cheap (a futex wait), and it bounds how long a SIGTERM waits.
            if self._event.wait(min(left, 5.0) if stop is not None else left):
                rung = True
                break
        self._event.clear()
        if rung:
            self._idle_rounds = 0
        return rung


def ring_all() -> None:
    with _lock:
        bells = list(_bells)
    for bell in bells:
        bell.ring()


def supported() -> bool:
    return connection.vendor == "postgresql"


def polling_only() -> bool:
    """``settings.WORKER_WAKEUP == "poll"``: the old fixed poll, no listener, no back-off."""
    from django.conf import settings

    return getattr(settings, "WORKER_WAKEUP", "notify") == "poll"


def listen_forever(stop: threading.Event) -> None:
    """The listener thread (PostgreSQL): LISTEN on its own connection and ring every doorbell
    per notification; reconnect (backing off) when the database goes away."""
    import psycopg

    failures = 0
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    while not stop.is_set():
        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                _listening.set()
                failures = 0
                ring_all()  # whatever was committed while nobody listened
                while not stop.is_set():
                    # blocks in select(); the timeout only lets ``stop`` be seen
                    for _note in conn.notifies(timeout=5.0):
                        ring_all()
        except Exception as error:  # never ends the worker
            _listening.clear()
            failures += 1
            delay = min(15.0, 0.5 * 2 ** (failures - 1))
            logger.warning("work listener disconnected (%s); retry in %.1f s", error, delay)
            stop.wait(delay)
    _listening.clear()


def start_listener(stop: threading.Event) -> threading.Thread | None:
    if not supported() or polling_only():
        return None
    thread = threading.Thread(target=listen_forever, args=(stop,), name="listener", daemon=True)
    thread.start()
    return thread


def notify_sql() -> str:
    """The statement a transaction runs to wake the workers at its commit (PostgreSQL)."""
    return f"SELECT pg_notify('{CHANNEL}', '')"


def notify() -> None:
    """Wake the workers when the current transaction commits (immediately outside one).
    For writes the triggers do not see (an admin resending a delivery). SQLite: nothing."""
    if supported():
        with connection.cursor() as cursor:
            cursor.execute(notify_sql())
