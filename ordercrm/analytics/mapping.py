"""Which orders an outbox event changes the facts of: the event → fact table.

Facts are derived per order from its documents (``facts.derive``), so an event only has to
name the orders to refresh. A new document kind (a return authorisation, a rebate) plugs in
with a row here: its event type and how to find the orders from the event. Types that name
no order, or whose change moves no figure (comments, emails sent), are not listed and are
never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from uuid import UUID

from ordercrm.billing.models import PaymentAllocation
from ordercrm.core.models import Event


def _uuid(value) -> UUID | None:
    try:
        return UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def the_entity(event: Event) -> list[UUID]:
    """The event's entity is the order."""
    return [x for x in [_uuid(event.entity_id)] if x]


def payload_order(event: Event) -> list[UUID]:
    """The payload names the order (``order_id``) or orders (``order_ids``)."""
    payload = event.payload or {}
    named = [payload.get("order_id"), *(payload.get("order_ids") or [])]
    return [x for x in (_uuid(v) for v in named) if x]


def payment_orders(event: Event) -> list[UUID]:
    """A payment's orders: those named, plus the orders of the invoices it pays."""
    found = set(payload_order(event))
    payment_id = _uuid(event.entity_id)
    if payment_id:
        found |= set(
            PaymentAllocation.objects.for_company(event.company_id)
            .filter(payment_id=payment_id)
            .values_list("invoice__order_id", flat=True)
        )
    return sorted(found)


Resolver = Callable[[Event], list[UUID]]

# event type → the orders whose facts it changes
EVENT_ORDERS: dict[str, Resolver] = {
    # the order itself: booked, changed while booked, or no longer booked
    "order.submitted": the_entity,
    "order.approved": the_entity,
    "order.confirmed": the_entity,
    "order.amended": the_entity,
    "order.updated": the_entity,
    "order.held": the_entity,
    "order.released": the_entity,
    "order.cancelled": the_entity,
    "order.closed": the_entity,
    "order.resumed": the_entity,
    "order.completed": the_entity,
    "order.reopened": the_entity,
    "order.credit_split_set": the_entity,
    # shipments, returns, invoices, credit notes
    "shipment.dispatched": payload_order,
    "shipment.cancelled": payload_order,
    "return.received": payload_order,
    "invoice.issued": payload_order,
    "invoice.cancelled": payload_order,
    "credit_note.issued": payload_order,
    # money: allocations to invoices
    "payment.received": payment_orders,
    "payment.advance_released": payment_orders,
    "payment.refunded": payment_orders,
    "payment.voided": payment_orders,
    "payment.allocated": payment_orders,
}

# Types of the returns app (being built beside this one) that name their order in the
# payload; their credit notes and receipts are billing's and fulfilment's documents above.
EVENT_ORDERS.update(
    {
        "return.approved": payload_order,
        "return.settled": payload_order,
        "return.credited": payload_order,
    }
)

TYPES = frozenset(EVENT_ORDERS)


def orders_of(events: Iterable[Event]) -> set[UUID]:
    found: set[UUID] = set()
    for event in events:
        resolver = EVENT_ORDERS.get(event.type)
        if resolver is not None:
            found.update(resolver(event))
    return found
