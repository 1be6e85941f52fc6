"""The outbox pump run by ``ordercrm worker``: fan events out to deliveries, send them at
least once, retry with exponential backoff, park what keeps failing as dead.

Leases. A worker leases ONE delivery at a time (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the IMMEDIATE write lock on SQLite) for ``DELIVERY_LEASE_SECONDS``, sends it and
records the outcome only if it still holds the lease. The lease therefore covers exactly the
work held: one send, bounded by the transport timeouts (webhook ``WEBHOOK_TIMEOUT_S``, SMTP
``EMAIL_TIMEOUT``), which must stay well below the lease (checked at start). A batch lease
expired while its tail waited behind slow receivers, and a second worker sent that tail again;
leasing one at a time also lets every idle worker take the next delivery at once. A worker that
dies mid-send (kill -9) loses nothing: its lease expires and another worker (or itself,
restarted) sends again, with the same event id for the receiver to de-duplicate.

Faults. The database going away is not the receiver's fault and never ends the worker: the
round stops, the broken connection is closed, the pump backs off (0.5 s doubling to 15 s) and
tries again; a delivery already sent when the database went away keeps its outcome in memory
and records it once the database is back, so it is not sent twice. Its own leases are taken
back at once after an outage instead of waiting for them to expire.

Health. A separate heartbeat thread writes ``WorkerHeartbeat`` every ``HEARTBEAT_S`` with what
the worker holds now, so a worker busy with slow receivers is "busy", not "stale"; a worker
that holds one item longer than the lease is "stuck"; no heartbeat for ``STALE_S`` is "stale".
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import random
import socket
import threading
import time
import uuid

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Q
from django.utils import timezone

from ordercrm.core.models import Event
from ordercrm.notifications import routing, sending
from ordercrm.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
HEARTBEAT_S = 10.0  # three beats within STALE_S; each is a write, so not more often (idle CPU)
STALE_S = 30.0
# Heartbeat rows of workers gone for longer than this are removed.
FORGET_AFTER = datetime.timedelta(days=1)


def backoff(attempts: int) -> datetime.timedelta:
    """10 s, 20 s, 40 s, … capped at one hour, with ±20 % jitter so retries spread out."""
    seconds = min(3600, 10 * 2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


# ---------------------------------------------------------------- database faults


def database_unavailable(error: BaseException) -> bool:
    """A fault of the connection (server down, restarted, network cut, SQLite busy), to be
    retried after a pause; not a fault of the data (integrity, bad value)."""
    return isinstance(error, (OperationalError, InterfaceError))


def drop_connection() -> None:
    """Close this thread's connection so the next query opens a fresh one."""
    try:
        connection.close()
    except DatabaseError:  # closing a connection the server already dropped
        connection.connection = None


class Pause:
    """Backoff between retries of a database that went away: 0.5 s doubling to ``cap``, with
    jitter so several workers do not reconnect in step; ``reset()`` once a round succeeds."""

    def __init__(self, first: float = 0.5, cap: float = 15.0):
        self.first, self.cap, self.failures = first, cap, 0

    def next(self) -> float:
        self.failures += 1
        seconds = min(self.cap, self.first * 2 ** (self.failures - 1))
        return seconds * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.failures = 0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class WorkerStatus:
    """What this worker process holds now, shared by its threads and written by the heartbeat
    thread; each thread writes only its own key."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self.holding: dict[str, str] = {}
        self.since: dict[str, datetime.datetime] = {}
        self.sent = 0
        self._lock = threading.Lock()

    def hold(self, kind: str, ident) -> None:
        with self._lock:
            self.holding[kind] = str(ident)
            self.since[kind] = timezone.now()

    def release(self, kind: str) -> None:
        with self._lock:
            self.holding.pop(kind, None)
            self.since.pop(kind, None)

    def snapshot(self) -> tuple[dict, datetime.datetime | None, int]:
        with self._lock:
            return dict(self.holding), min(self.since.values(), default=None), self.sent


# ---------------------------------------------------------------- the pump


def fan_out(batch: int = 100) -> int:
    """Turn undispatched events into deliveries and notifications, in one transaction per
    batch; each event is fanned out exactly once (it is marked in the same transaction)."""
    with transaction.atomic():
        events = list(
            Event.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .select_related("company")
            .order_by("created_at")[:batch]
        )
        if not events:
            return 0
        deliveries, notes = [], []
        for event in events:
            specs, notifications = routing.route(event)
            deliveries += [
                Delivery(
                    company_id=event.company_id,
                    event=event,
                    channel=spec.channel,
                    webhook_id=spec.webhook_id,
                    kind=spec.kind,
                    recipient=spec.recipient,
                    language=spec.language,
                )
                for spec in specs
            ]
            notes += [
                Notification(
                    company_id=event.company_id,
                    user=spec.user,
                    event=event,
                    kind=spec.kind,
                    title=spec.title[:300],
                    message=spec.message,
                    params=spec.params,
                    url=spec.url,
                )
                for spec in notifications
            ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Notification.objects.bulk_create(notes, ignore_conflicts=True)
        if deliveries:
            # the triggers ring for new events, not for the deliveries made of them: without
            # this, another worker that looked while these events were locked here (and
            # found nothing) sleeps its slow poll while this one sends the whole batch
            from ordercrm.core import wakeup

            wakeup.notify()
        Event.objects.unscoped().filter(pk__in=[e.pk for e in events]).update(
            dispatched_at=timezone.now()
        )
        return len(events)


def claim(worker_id: str, now=None) -> Delivery | None:
    """Lease the next due delivery to this worker, or None. A delivery this worker leased
    before a database outage is its own to take back at once."""
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            Delivery.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(
                status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
                next_attempt_at__lte=now,
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=worker_id))
            .order_by("next_attempt_at")
            .first()
        )
        if due is not None:
            due.locked_until = now + datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
            due.locked_by = worker_id
            Delivery.objects.unscoped().filter(pk=due.pk).update(
                locked_until=due.locked_until, locked_by=worker_id
            )
    return due


def _record(delivery: Delivery, worker_id: str, stop: threading.Event | None) -> bool:
    """Write the outcome of a send, only if this worker still holds the lease (otherwise
    another worker has taken the delivery over and its outcome wins). A database outage here
    is waited out: the send happened, and forgetting it would send it again."""
    pause = Pause()
    while True:
        try:
            written = (
                Delivery.objects.unscoped()
                .filter(pk=delivery.pk, locked_by=worker_id)
                .update(
                    status=delivery.status,
                    attempts=delivery.attempts,
                    next_attempt_at=delivery.next_attempt_at,
                    last_error=delivery.last_error,
                    response_code=delivery.response_code,
                    sent_at=delivery.sent_at,
                    subject=delivery.subject,
                    locked_until=None,
                    locked_by="",
                    updated_at=timezone.now(),
                )
            )
        except DatabaseError as error:
            if not database_unavailable(error) or (stop is not None and stop.is_set()):
                raise
            drop_connection()
            delay = pause.next()
            logger.warning(
                "database unavailable recording delivery %s (%s); retry in %.1f s",
                delivery.pk,
                error,
                delay,
            )
            (stop.wait if stop is not None else time.sleep)(delay)
            continue
        if not written:
            logger.warning("lease on delivery %s was lost before its outcome", delivery.pk)
        return bool(written)


def deliver(delivery: Delivery, now=None, worker_id: str | None = None, stop=None) -> bool:
    """Send one leased delivery and record the outcome. Returns whether it was sent.

    A failure of the receiver (refused, 5xx, timeout, a template that does not render) is an
    attempt: retried with backoff, dead after ``MAX_ATTEMPTS``. The database going away is
    not: it propagates, the attempt is not counted and the lease is taken back later."""
    worker_id = worker_id or delivery.locked_by
    event = Event.objects.unscoped().select_related("company").get(pk=delivery.event_id)
    if delivery.webhook_id:
        delivery.webhook  # noqa: B018 - load it before sending
    delivery.attempts += 1
    error_text, error_code = "", None
    try:
        code = sending.send(delivery, event)
    except sending.SendFailed as error:
        error_text, error_code = str(error), error.code
    except DatabaseError as error:
        if database_unavailable(error):
            raise
        error_text = f"{type(error).__name__}: {error}"
    except Exception as error:  # a broken template or document must not block the queue
        logger.exception("delivery %s failed to render", delivery.pk)
        error_text = f"{type(error).__name__}: {error}"
    if error_text:
        now = now or timezone.now()
        delivery.last_error, delivery.response_code = error_text[:2000], error_code
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.DEAD
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        sent = False
    else:
        delivery.status, delivery.response_code = DeliveryStatus.SENT, code
        delivery.sent_at, delivery.last_error = timezone.now(), ""
        sent = True
    _record(delivery, worker_id, stop)
    delivery.locked_until, delivery.locked_by = None, ""
    return sent


def check_lease() -> None:
    """The lease must outlast the longest single send, or a slow receiver's delivery would be
    taken over and sent twice."""
    longest = max(sending.WEBHOOK_TIMEOUT_S, settings.EMAIL_TIMEOUT or 0)
    if 2 * longest > settings.DELIVERY_LEASE_SECONDS:
        logger.warning(
            "ORDERCRM_DELIVERY_LEASE_S=%s is shorter than twice the longest send timeout "
            "(%s s): a slow receiver may get a delivery twice",
            settings.DELIVERY_LEASE_SECONDS,
            longest,
        )


def beat(worker_id: str, status: WorkerStatus | None = None) -> None:
    holding, since, sent = status.snapshot() if status else ({}, None, 0)
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen": now,
            "holding": holding,
            "busy_since": since,
            "sent": sent,
        },
    )


def run_once(
    worker_id: str = "inline",
    now=None,
    status: WorkerStatus | None = None,
    stop: threading.Event | None = None,
) -> int:
    """One round: fan out, then lease and send one delivery at a time until none is due.
    Returns how many deliveries were attempted. Without a ``status`` (a heartbeat thread
    beside it) the round beats itself."""
    if status is None:
        beat(worker_id)
    while fan_out():
        pass
    attempted = 0
    while stop is None or not stop.is_set():
        delivery = claim(worker_id, now=now)
        if delivery is None:
            break
        if status is not None:
            status.hold("delivery", delivery.pk)
        try:
            if deliver(delivery, now=now, worker_id=worker_id, stop=stop) and status:
                status.sent += 1
        finally:
            if status is not None:
                status.release("delivery")
        attempted += 1
    return attempted


def run_forever(
    stop: threading.Event,
    idle: float = 1.0,
    worker_id: str | None = None,
    status: WorkerStatus | None = None,
) -> None:
    """The pump thread: rounds until ``stop``. Nothing but ``stop`` ends it: a database
    outage is backed off and retried, any other broken round is logged and retried."""
    from ordercrm.core import wakeup

    worker_id = worker_id or new_worker_id()
    logger.info("outbox pump %s started", worker_id)
    pause = Pause()
    bell = wakeup.Doorbell(idle)
    while not stop.is_set():
        try:
            close_old_connections()
            attempted = run_once(worker_id, status=status, stop=stop)
            pause.reset()
            if attempted == 0:
                # Idle: until an event commits (the doorbell), the next retry falls due, or
                # the slow poll (PostgreSQL) / backed-off poll (SQLite).
                bell.wait(stop, due_in=next_due_in())
            else:
                bell.worked()
        except Exception as error:
            drop_connection()
            delay = pause.next()
            if database_unavailable(error):
                logger.warning(
                    "database unavailable (%s); outbox pump retries in %.1f s", error, delay
                )
            else:
                logger.exception("outbox pump round failed; retry in %.1f s", delay)
            stop.wait(delay)
    logger.info("outbox pump %s stopped", worker_id)


SLA_CHECK_S = 60


def next_due_in(now=None) -> float | None:
    """Seconds until the next delivery waiting for a retry (or a lease to expire) is due;
    None when nothing waits. Lets an idle pump sleep until then, not poll."""
    now = now or timezone.now()
    waiting = (
        Delivery.objects.unscoped()
        .filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", "locked_until")
        .first()
    )
    if waiting is None:
        return None
    due = max(d for d in waiting if d is not None)
    return max(0.0, (due - now).total_seconds())


def heartbeat_forever(
    stop: threading.Event, status: WorkerStatus, every: float = HEARTBEAT_S
) -> None:
    """The heartbeat thread: this process is alive, and here is what it holds. It has its
    own connection, so a pump waiting on a slow receiver still beats. Every ``STALE_S`` it also
    hands back background tasks of workers that died (see ``taskworker``)."""
    from ordercrm.notifications import taskworker
    from ordercrm.service import services as service_services
    from ordercrm.service import sla

    last_sweep, last_sla, healthy_since = 0.0, 0.0, None
    while not stop.is_set():
        try:
            close_old_connections()
            beat(status.worker_id, status)
            # SLA warnings and breaches come due with time, not with an event: checked here,
            # about once a minute (each case locked, so several workers mark it once).
            if time.monotonic() - last_sla > SLA_CHECK_S:
                sla.sla_check()
                # resolved cases past their company's window close by themselves
                service_services.cases_auto_close()
                last_sla = time.monotonic()
            healthy_since = healthy_since or time.monotonic()
            # Judge others dead only after beating well for two rounds ourselves: just after
            # an outage every worker's heartbeat looks old until it has beaten again.
            steady = time.monotonic() - healthy_since > 2 * every
            if steady and time.monotonic() - last_sweep > STALE_S:
                WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - FORGET_AFTER).delete()
                taskworker.requeue_abandoned(status.worker_id)
                last_sweep = time.monotonic()
        except Exception as error:
            healthy_since = None
            drop_connection()
            logger.warning("heartbeat not written (%s)", error)
        stop.wait(every)
    with contextlib.suppress(DatabaseError):
        WorkerHeartbeat.objects.filter(worker_id=status.worker_id).delete()
    drop_connection()


def replay(event: Event) -> int:
    """Send an event again to every subscriber (an admin's decision, e.g. after fixing a
    receiver); an event never fanned out is simply queued. Returns deliveries reset."""
    from ordercrm.core import wakeup

    if event.dispatched_at is None:
        return 0
    reset = (
        Delivery.objects.unscoped()
        .filter(event=event)
        .update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            locked_until=None,
            locked_by="",
            last_error="",
        )
    )
    wakeup.notify()
    return reset


def resend(delivery: Delivery) -> None:
    """Send one delivery again (an email the customer did not get, a dead webhook)."""
    from ordercrm.core import wakeup

    Delivery.objects.unscoped().filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
        locked_by="",
    )
    wakeup.notify()


def queue_state(now=None) -> dict:
    """For ``/health/worker`` and ``ordercrm events status``.

    ``status``: "ok" when a live worker is idle, "busy" when every live worker holds work
    (both healthy), "stuck" when a live worker has held one item longer than the lease,
    "stale" when no worker has beaten for ``STALE_S`` (dead or never started). ``workers``
    lists the live ones with what each holds and for how long."""
    now = now or timezone.now()
    lease = settings.DELIVERY_LEASE_SECONDS
    last = WorkerHeartbeat.objects.order_by("-last_seen").first()
    live = []
    for hb in WorkerHeartbeat.objects.filter(
        last_seen__gte=now - datetime.timedelta(seconds=STALE_S)
    ).order_by("started_at"):
        held_s = round((now - hb.busy_since).total_seconds(), 1) if hb.busy_since else None
        state = "idle" if not hb.holding else "busy"
        if held_s is not None and held_s > lease:
            state = "stuck"
        live.append(
            {
                "worker_id": hb.worker_id,
                "pid": hb.pid,
                "state": state,
                "holding": hb.holding,
                "held_s": held_s,
                "sent": hb.sent,
                "heartbeat_age_s": round((now - hb.last_seen).total_seconds(), 1),
            }
        )
    if not live:
        status = "stale"
    elif any(w["state"] == "stuck" for w in live):
        status = "stuck"
    elif any(w["state"] == "idle" for w in live):
        status = "ok"
    else:
        status = "busy"
    waiting = Delivery.objects.unscoped().filter(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED)
    )
    undispatched = Event.objects.unscoped().filter(dispatched_at__isnull=True)
    oldest = min(
        [
            d
            for d in (
                waiting.order_by("created_at").values_list("created_at", flat=True).first(),
                undispatched.order_by("created_at").values_list("created_at", flat=True).first(),
            )
            if d is not None
        ],
        default=None,
    )
    return {
        "status": status,
        "last_heartbeat": last.last_seen.isoformat() if last else None,
        "heartbeat_age_s": round((now - last.last_seen).total_seconds(), 1) if last else None,
        "workers": live,
        "queue_depth": waiting.count() + undispatched.count(),
        "leased": waiting.filter(locked_until__gte=now).count(),
        "oldest_pending_age_s": round((now - oldest).total_seconds(), 1) if oldest else 0,
        "dead": Delivery.objects.unscoped().filter(status=DeliveryStatus.DEAD).count(),
    }
