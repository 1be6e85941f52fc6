"""Reads of notifications: a user's in-app notifications and unread count, deliveries, and the
events feed scoped like the records the events name."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import CharField, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast

from ordercrm.accounts.access import Access
from ordercrm.accounts.roles import RecordScope
from ordercrm.core.models import Event
from ordercrm.core.permissions import Perm
from ordercrm.notifications.models import Delivery, Notification


def notification_list(user, company, *, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.for_company(company).filter(user=user)
    return notes.filter(read_at__isnull=True) if unread_only else notes


def unread_count(user, company) -> int:
    return Notification.objects.for_company(company).filter(user=user, read_at__isnull=True).count()


def deliveries_of_event(company, event_id) -> QuerySet[Delivery]:
    return Delivery.objects.for_company(company).filter(event_id=event_id).order_by("created_at")


# ---------------------------------------------------------------- events feed


class _UUIDText(Func):
    """A UUID column as ``str(uuid)`` writes it (``Event.entity_id``): SQLite keeps 32 hex
    digits, PostgreSQL a uuid, so each needs its own spelling to compare with the text."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
        text = " || '-' || ".join(f"substr({sql}, {start}, {length})" for start, length in parts)
        return f"({text})", list(params) * len(parts)

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(Cast(self.source_expressions[0], TextField()))


def _orders(access):
    from ordercrm.sales.selectors import order_list

    return order_list(access)


def _shipments(access):
    from ordercrm.fulfilment.selectors import shipment_list

    return shipment_list(access)


def _returns(access):
    from ordercrm.fulfilment.models import ReturnReceipt

    return ReturnReceipt.objects.for_company(access.company).filter(
        order_id__in=_orders(access).order_by().values("pk")
    )


def _invoices(access):
    from ordercrm.billing.selectors import invoice_list

    return invoice_list(access)


def _payments(access):
    from ordercrm.billing.selectors import payment_list

    return payment_list(access)


def _customers(access):
    from ordercrm.customers.selectors import customer_list

    return customer_list(access, include_inactive=True)


# entity type → (permission to see that kind of record, the records the caller may see; None
# when the kind has no owner or team, so the permission decides alone).
EVENT_ENTITIES: dict[str, tuple[str, Callable[[Access], QuerySet] | None]] = {
    "sales.salesorder": (Perm.ORDER_VIEW, _orders),
    "fulfilment.shipment": (Perm.ORDER_VIEW, _shipments),
    "fulfilment.returnreceipt": (Perm.ORDER_VIEW, _returns),
    "billing.invoice": (Perm.ORDER_VIEW, _invoices),
    "billing.payment": (Perm.CUSTOMER_VIEW, _payments),
    "customers.customer": (Perm.CUSTOMER_VIEW, _customers),
    "catalog.product": (Perm.PRODUCT_VIEW, None),
    "inventory.warehouse": (Perm.STOCK_VIEW, None),
}


def visible_events(access: Access) -> Q:
    """The condition on ``Event`` for what ``access`` may see: an event is visible when the
    record it names is (through that record's own selector: an order event to who sees the
    order, a payment event to who sees its customer…). Events of other kinds of records are
    shown only to members who see every record of the company."""
    if not access.is_member:
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    for entity_type, (perm, visible) in EVENT_ENTITIES.items():
        if not access.can(perm):
            continue
        if visible is None or access.scope == RecordScope.COMPANY:
            condition |= Q(entity_type=entity_type)
        else:
            keys = visible(access).order_by().annotate(_key=_UUIDText("pk")).values("_key")
            condition |= Q(entity_type=entity_type, entity_id__in=keys)
    if access.scope == RecordScope.COMPANY:
        condition |= ~Q(entity_type__in=list(EVENT_ENTITIES))
    return condition


def event_feed(access: Access, *, type: str = "") -> QuerySet[Event]:
    """The outbox as a feed (``core.audit_view``), scoped by :func:`visible_events`."""
    access.require(Perm.AUDIT_VIEW)
    feed = Event.objects.for_company(access.company).filter(visible_events(access))
    return feed.filter(type=type) if type else feed
