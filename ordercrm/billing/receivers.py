"""Billing's reactions to the order side, run inside the transaction that sent them:
automatic invoicing when an order is confirmed or a shipment dispatched, and the money of a
cancelled order. What they write commits with it or not at all, so none is lost or made twice."""

from __future__ import annotations

from ordercrm.billing import services


def invoice_on_order(sender, order, actor=None, **kwargs) -> None:
    services.invoice_for_order(order=order, actor=actor)


def invoice_on_shipment(sender, shipment, order, actor=None, **kwargs) -> None:
    services.invoice_for_shipment(shipment=shipment, actor=actor)


def settle_on_cancel(sender, order, actor=None, credit_invoices=False, **kwargs) -> None:
    services.order_cancel_settle(order=order, actor=actor, credit_invoices=credit_invoices)
