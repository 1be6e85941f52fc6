"""The database beyond one connection: retrying a transaction that lost a race the database
resolved by aborting it, and sending the reads of reports, lists and exports to a read replica
(``reading_from_replica``, ``ReplicaRouter``; docs/scaling.md)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ContextDecorator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError, connection, connections

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


# --- Read replica --------------------------------------------------------------------------
#
# Everything reads and writes the primary (``default``) unless a view opts in with
# ``reading_from_replica()``: reports, lists and exports, which tolerate a second of lag. Even
# inside that, a read goes to the primary when
#
# - no ``replica`` alias is configured (``DATABASE_REPLICA_URL`` unset): the router is off;
# - a transaction is open on the primary (a service's reads decide its writes);
# - the model is one whose staleness would be wrong rather than late (``PRIMARY_ONLY_APPS``:
#   sessions, users and memberships, the cache table, login throttling, tasks);
# - the request is not a safe one (POST, PUT, PATCH, DELETE), or it already wrote on the
#   primary (a statement that changes rows, seen by ``ReplicaReadsMiddleware``);
# - the user wrote within ``REPLICA_READ_YOUR_WRITES_S`` seconds (read-your-writes: the mark
#   is kept in the shared cache per user, so it holds on every app server and for API clients
#   that keep no cookies).
#
# Writes always go to the primary and migrations run there only.

REPLICA = "replica"
PRIMARY = "default"
PRIMARY_ONLY_APPS = frozenset(
    {
        "sessions",
        "auth",
        "accounts",  # users, memberships, API tokens: a revoked one must not linger
        "api",  # idempotency records
        "axes",
        "django_cache",
        "django_tasks_db",
        "contenttypes",
    }
)

_replica_wanted: ContextVar[bool] = ContextVar("ordercrm_replica_wanted", default=False)
_request: ContextVar[RequestReads | None] = ContextVar("ordercrm_request_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def recent_write_key(user_id) -> str:
    return f"ordercrm:wrote:{user_id}"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# statements on these tables are bookkeeping, not the user's writes: the cache counts API
# requests on GETs, a token notes when it was last used (at most once a minute)
_NOT_WRITES = ('"ordercrm_cache"', '"django_session"', '"accounts_apitoken"')


@dataclass
class RequestReads:
    """What one request knows about its user's writes (set by ``ReplicaReadsMiddleware``)."""

    request: object = None
    wrote: bool = False  # an unsafe method, or a statement that changed rows on the primary
    _recent: bool | None = None  # the user's read-your-writes mark, looked up once

    @property
    def user_id(self):
        # read at the end: the API signs its token's user in inside the view
        user = getattr(self.request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None

    def user_wrote_recently(self) -> bool:
        if self._recent is None:
            user_id = self.user_id
            self._recent = bool(user_id is not None and cache.get(recent_write_key(user_id)))
        return self._recent

    def watch(self, execute, sql, params, many, context):
        """``execute_wrapper`` on the primary: a statement that changes rows is a write."""
        if not self.wrote:
            head = sql.lstrip()[:7].upper()
            if head.startswith(("INSERT", "UPDATE", "DELETE")) and not any(
                table in sql[:60] for table in _NOT_WRITES
            ):
                self.wrote = True
        return execute(sql, params, many, context)


class ReplicaReadsMiddleware:
    """Read-your-writes for the replica: during a request it knows whether the request wrote
    (reads then stay on the primary to its end), and after one that wrote it marks the user
    in the shared cache for ``REPLICA_READ_YOUR_WRITES_S`` seconds, so the next pages (the
    list after confirming an order) read the primary too. Not used without a replica."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        state = RequestReads(request=request, wrote=request.method not in SAFE_METHODS)
        token = _request.set(state)
        try:
            with connections[PRIMARY].execute_wrapper(state.watch):
                response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote and (user_id := state.user_id) is not None:
            cache.set(recent_write_key(user_id), 1, timeout=settings.REPLICA_READ_YOUR_WRITES_S)
        return response


class _Reads(ContextDecorator):
    wanted = False

    def _recreate_cm(self):
        # a fresh one per decorated call: the token is per entry (threads, nesting)
        return type(self)()

    def __enter__(self):
        self._token = _replica_wanted.set(self.wanted)
        return self

    def __exit__(self, *exc):
        _replica_wanted.reset(self._token)
        return False


class reading_from_replica(_Reads):
    """Let the reads inside go to the replica (see above for when they still do not)."""

    wanted = True


class reading_from_primary(_Reads):
    """The reads inside go to the primary, also within ``reading_from_replica`` (who the
    caller is and what they may see)."""

    wanted = False


def stream_from_replica(chunks: Iterable[T]) -> Iterator[T]:
    """A streamed response's body read inside ``reading_from_replica``: Django iterates it
    after the view and the middleware returned, so this keeps the request's knowledge of its
    user's writes (taken now, in the view) for the iteration."""
    request = _request.get()

    def body():
        token = _request.set(request)
        try:
            with reading_from_replica():
                yield from chunks
        finally:
            _request.reset(token)

    return body()


def reads_replica() -> bool:
    """Whether a read at this point may go to the replica."""
    if not _replica_wanted.get() or not replica_configured():
        return False
    if connections[PRIMARY].in_atomic_block:
        return False
    request = _request.get()
    return request is None or not (request.wrote or request.user_wrote_recently())


class ReplicaRouter:
    """``DATABASE_ROUTERS`` when a replica is configured. Never returns None, so Django never
    falls back to the database an instance was read from (a row read on the replica and
    saved, or its relations followed outside ``reading_from_replica``, go to the primary)."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return REPLICA if reads_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db or PRIMARY, obj2._state.db or PRIMARY} <= {PRIMARY, REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
