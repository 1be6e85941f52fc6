"""Retrying a transaction that lost a race the database resolved by aborting it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")

# PostgreSQL: deadlock_detected, serialization_failure. SQLite: "database is locked".
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(error: BaseException) -> bool:
    cause = error.__cause__ or error
    if getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error)


def retry_on_conflict(function: Callable[[], T], *, attempts: int = 5, pause: float = 0.02) -> T:
    """Run ``function`` (which opens its own transaction) again when the database aborted it
    for a deadlock or serialization failure, at most ``attempts`` times, with jittered
    backoff. Anything else, and the last failure, propagates. Must not run inside an outer
    transaction: the aborted work has to be rolled back entirely before it is retried."""
    if connection.in_atomic_block:
        raise RuntimeError("retry_on_conflict() must wrap the whole transaction")
    for attempt in range(1, attempts + 1):
        try:
            return function()
        except OperationalError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            time.sleep(pause * (2 ** (attempt - 1)) * (0.5 + random.random()))
    raise AssertionError("unreachable")
