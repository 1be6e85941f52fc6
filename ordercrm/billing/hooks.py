"""Billing's handlers of the sales hooks (``sales.hooks``), registered in ``BillingConfig.ready``
and run inside the transaction of the fact: automatic invoicing when an order is confirmed or
a shipment dispatched, and the money of a cancelled order. What they write commits with it or
not at all, so none is lost or made twice."""

from __future__ import annotations

from ordercrm.billing import services


def invoice_on_order(*, order, actor=None):
    """``on_order`` orders are invoiced when confirmed; returns the invoice issued, if any."""
    return services.invoice_for_order(order=order, actor=actor)


def invoice_on_shipment(*, shipment, order, actor=None):
    """``on_shipment`` orders are invoiced per dispatched shipment; returns the invoice, if any."""
    return services.invoice_for_shipment(shipment=shipment, actor=actor)


def settle_on_cancel(*, order, actor=None, credit_invoices=False) -> None:
    services.order_cancel_settle(order=order, actor=actor, credit_invoices=credit_invoices)
