"""The outbox pump run by ``ordercrm worker``: fan events out to deliveries, send them at
least once, retry with exponential backoff, park what keeps failing as dead.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL plus a lease
(``locked_until``): several workers never send the same delivery at once, and a worker that
dies mid-send (kill -9) loses nothing: its lease expires and another worker (or itself,
restarted) sends again, with the same event id for the receiver to de-duplicate.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
import threading
import uuid

from django.conf import settings
from django.db import close_old_connections, transaction
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
BATCH = 20


def backoff(attempts: int) -> datetime.timedelta:
    """10 s, 20 s, 40 s, … capped at one hour, with ±20 % jitter so retries spread out."""
    seconds = min(3600, 10 * 2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


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
                    url=spec.url,
                )
                for spec in notifications
            ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Notification.objects.bulk_create(notes, ignore_conflicts=True)
        Event.objects.unscoped().filter(pk__in=[e.pk for e in events]).update(
            dispatched_at=timezone.now()
        )
        return len(events)


def claim(worker_id: str, batch: int = BATCH, now=None) -> list[Delivery]:
    """Lease up to ``batch`` due deliveries to this worker."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Delivery.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(
                status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
                next_attempt_at__lte=now,
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("next_attempt_at")[:batch]
        )
        if due:
            Delivery.objects.unscoped().filter(pk__in=[d.pk for d in due]).update(
                locked_until=now + datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
                locked_by=worker_id,
            )
    return due


def deliver(delivery: Delivery, now=None) -> bool:
    """Send one leased delivery and record the outcome. Returns whether it was sent."""
    event = Event.objects.unscoped().select_related("company").get(pk=delivery.event_id)
    if delivery.webhook_id:
        delivery.webhook  # noqa: B018 - load it before sending
    delivery.attempts += 1
    try:
        code = sending.send(delivery, event)
    except sending.SendFailed as error:
        now = now or timezone.now()
        delivery.last_error, delivery.response_code = str(error)[:2000], error.code
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
    delivery.locked_until, delivery.locked_by = None, ""
    Delivery.objects.unscoped().filter(pk=delivery.pk).update(
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
    return sent


def beat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen": timezone.now(),
        },
    )


def run_once(worker_id: str = "inline", now=None) -> int:
    """One round: fan out, claim, send. Returns how many deliveries were attempted."""
    beat(worker_id)
    while fan_out():
        pass
    attempted = 0
    while True:
        leased = claim(worker_id, now=now)
        if not leased:
            return attempted
        for delivery in leased:
            deliver(delivery, now=now)
            attempted += 1


def run_forever(stop: threading.Event, idle: float = 1.0) -> None:
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    logger.info("outbox pump %s started", worker_id)
    while not stop.is_set():
        try:
            close_old_connections()
            if run_once(worker_id) == 0:
                stop.wait(idle)
        except Exception:  # a broken round must not stop the pump
            logger.exception("outbox pump round failed")
            stop.wait(idle * 5)


def replay(event: Event) -> int:
    """Send an event again to every subscriber (an admin's decision, e.g. after fixing a
    receiver); an event never fanned out is simply queued. Returns deliveries reset."""
    if event.dispatched_at is None:
        return 0
    return (
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


def resend(delivery: Delivery) -> None:
    """Send one delivery again (an email the customer did not get, a dead webhook)."""
    Delivery.objects.unscoped().filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )


def queue_state(now=None) -> dict:
    """For ``/health/worker``: last heartbeat, queue depth, oldest pending age."""
    now = now or timezone.now()
    last = WorkerHeartbeat.objects.order_by("-last_seen").first()
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
        "last_heartbeat": last.last_seen.isoformat() if last else None,
        "heartbeat_age_s": round((now - last.last_seen).total_seconds(), 1) if last else None,
        "queue_depth": waiting.count() + undispatched.count(),
        "oldest_pending_age_s": round((now - oldest).total_seconds(), 1) if oldest else 0,
        "dead": Delivery.objects.unscoped().filter(status=DeliveryStatus.DEAD).count(),
    }
