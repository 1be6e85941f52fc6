"""API v1: the event feed (the outbox) and webhook subscriptions."""

from __future__ import annotations

from ninja import Router, Status

from ordercrm.api.base import page
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import with_errors
from ordercrm.core.permissions import Perm
from ordercrm.notifications.models import WebhookSubscription
from ordercrm.notifications.selectors import event_feed
from ordercrm.notifications.services import webhook_create

router = Router()


@router.get("/events", response=with_errors({200: s.EventPage}), tags=["events"])
def events_feed(request, type: str = "", limit: int = 100, cursor: str | None = None):
    """The outbox as a feed, oldest first; keep ``next`` to continue where you stopped.
    An event is listed to who may see the record it names (an order's to who sees the order,
    a payment's to who sees its customer); see ``notifications.selectors.visible_events``."""
    return page(event_feed(request.access, type=type), limit, cursor, ascending=True)


@router.get("/webhooks", response=with_errors({200: list[s.WebhookOut]}), tags=["events"])
def webhooks_list(request):
    request.access.require(Perm.SETTINGS_EDIT)
    return list(WebhookSubscription.objects.for_company(request.company))


@router.post("/webhooks", response=with_errors({201: s.WebhookCreatedOut}), tags=["events"])
def webhooks_create(request, body: s.WebhookIn):
    hook = webhook_create(
        company=request.company,
        actor=request.user,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
    )
    return Status(201, hook)  # WebhookCreatedOut shows the secret, this once
