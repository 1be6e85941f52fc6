"""The analytics thread of ``ordercrm worker``: apply outbox events to the sales facts."""

from __future__ import annotations

import logging
import random
import threading

from django.db import DatabaseError, OperationalError, close_old_connections, connection

from ordercrm.analytics import refresh

logger = logging.getLogger(__name__)


def run_forever(stop: threading.Event, idle: float = 2.0) -> None:
    """Rounds of :func:`refresh.process_all` until ``stop``; a failed round (the database
    away, a bad row) is logged and retried after a growing pause, never ends the thread."""
    from ordercrm.core import wakeup

    failures = 0
    bell = wakeup.Doorbell(idle)  # rung when an event commits (PostgreSQL)
    while not stop.is_set():
        try:
            close_old_connections()
            applied = refresh.process_all()
            failures = 0
            if not applied:
                bell.wait(stop)
            else:
                bell.worked()
        except Exception as error:
            failures += 1
            try:
                connection.close()
            except DatabaseError:
                connection.connection = None
            delay = min(15.0, 0.5 * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
            if isinstance(error, OperationalError) and "locked" in str(error):
                # SQLite's one writer was busy past the timeout (a long task): a wait, not a
                # fault, so one line instead of a traceback
                logger.warning("analytics round waited for the database; retry in %.1f s", delay)
            else:
                logger.exception("analytics round failed; retry in %.1f s", delay)
            stop.wait(delay)
