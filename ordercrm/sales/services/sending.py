"""Sending an order confirmation to the customer (by email, through the outbox)."""

from __future__ import annotations

from django.db import transaction

from ordercrm.accounts.access import access_for
from ordercrm.core import audit, events
from ordercrm.core.permissions import Perm
from ordercrm.sales import workflow
from ordercrm.sales.exceptions import InvalidTransition
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import OrderEvent, Status


def order_send_to_customer(*, order: SalesOrder, actor) -> None:
    """Email the order confirmation (with its PDF, in the customer's language) to the order's
    contact or the customer, through the outbox: it goes out once the transaction commits and
    is retried until delivered. Only a confirmed (or later) order can be sent."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_EDIT)
    if order.status not in workflow.SENDABLE:
        raise InvalidTransition(
            params={"action": "send", "status": Status(order.status).label},
            details={"status": order.status},
        )
    contact_email = order.contact.email if order.contact_id else ""
    address = contact_email or order.customer.email
    if not address:
        from ordercrm.sales.exceptions import NoCustomerEmail

        raise NoCustomerEmail()
    with transaction.atomic():
        events.emit(
            type=OrderEvent.SENT,
            entity=order,
            actor=actor,
            payload={"number": order.number, "to": address},
        )
        audit.record(actor=actor, entity=order, action="send", changes={"to": [None, address]})
