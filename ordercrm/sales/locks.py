"""Every row lock of a sales order, its lines and its customer, and the one order they are
taken in. Services of sales, fulfilment and billing lock these rows only through this module
(as Saleor's ``order/lock_objects.py``); none spells out ``select_for_update()`` for them.

The lock order (one transaction takes what it needs in this order, never going back up):

1. **Sales orders** — :func:`lock_order`, or :func:`lock_orders` for several (one statement,
   primary-key order). The order is the aggregate root: every write of an order, its lines,
   its shipments, its invoices or its reservations first takes the order's row, so two
   writers of one order queue there and nothing below can deadlock between them.
2. **The document being acted on**, locked by its own app right after its order: a shipment
   (``fulfilment.services._lock_shipment``), an invoice (``billing.services._lock_invoice``).
3. **The customer** — :func:`lock_customer`: confirmations of one customer's orders queue
   here, so two cannot both pass the same credit limit; billing's balances are written
   under it. (The customers app's own edits lock the customer row alone.)
4. **The order's lines** — :func:`lock_order_lines`, only while their order is held (an
   amendment takes them after the customer; the counters in ``sales.counters`` write them).
5. **Stock levels** — inventory's own, ``inventory.services._lock_levels``: one
   ``SELECT … FOR UPDATE ORDER BY id`` for every level a call touches; reservations belong
   to one order line and are changed only under that order's lock.
6. **Billing's rows of the customer** — payments and the invoices a payment is allocated
   to, in primary-key order (``billing.services``). They may follow stock levels (a
   dispatch or a confirmation that invoices at once) and never precede them.

What a lock returns is the current row: decide on it, not on the caller's copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ordercrm.core.exceptions import NotFound
from ordercrm.customers.models import Customer
from ordercrm.sales.models import SalesOrder, SalesOrderLine

# What a service of any app reads from a locked order, joined in the locking statement
# (nullable foreign keys: LEFT JOINs, locked only on the order row itself).
_ORDER_RELATED = ("company", "customer", "payment_terms")


def _id(row_or_id: Any):
    return getattr(row_or_id, "pk", row_or_id)


def lock_order(order, *, company_id=None, access=None) -> SalesOrder:
    """Lock one order (``order`` is an order or its id) and return the current row with its
    company, customer and payment terms.

    With ``access`` the order must be one the caller may see (the record scope of
    ``accounts.access``), else ``core.not_found`` — the check and the lock are one
    statement. Without it the caller already knows the order is theirs to change (the
    system, or an app above that checked its own document's visibility)."""
    company_id = company_id or order.company_id
    rows = SalesOrder.objects.for_company(company_id)
    if access is not None:
        rows = rows.filter(access.owner_filter("salesperson", "team"))
    locked = (
        rows.select_for_update(of=("self",))
        .select_related(*_ORDER_RELATED)
        .filter(pk=_id(order))
        .first()
    )
    if locked is None:
        raise NotFound(details={"order_id": str(_id(order))})
    return locked


def lock_orders(order_ids: Iterable, *, company_id) -> list[SalesOrder]:
    """Lock several orders in one statement, in primary-key order (a payment touching the
    orders of many invoices); returns them in that order. Unknown ids are left out."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    return list(
        SalesOrder.objects.for_company(company_id)
        .select_for_update(of=("self",))
        .select_related(*_ORDER_RELATED)
        .filter(pk__in=ids)
        .order_by("pk")
    )


def lock_customer(customer, *, company_id) -> Customer:
    """Lock a customer row (``customer`` is a customer or its id) and return the current row:
    the credit check and the receivable balances read and write it under this lock."""
    return Customer.objects.for_company(company_id).select_for_update().get(pk=_id(customer))


def lock_order_customer(order: SalesOrder) -> Customer:
    """Lock the customer of a locked order; ``order.customer`` becomes the current row."""
    order.customer = lock_customer(order.customer_id, company_id=order.company_id)
    return order.customer


def lock_order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    """Lock the lines of a locked order, in position order, with their products. The order's
    lock already serializes their writers; the row locks make a writer that forgot it wait."""
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .select_for_update(of=("self",))
        .select_related("product")
        .order_by("position")
    )
