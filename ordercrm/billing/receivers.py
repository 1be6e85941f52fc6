"""Automatic invoicing, run inside the transaction that confirmed the order or dispatched the
shipment: the invoice commits with it or not at all, so none is lost or made twice."""

from __future__ import annotations

from ordercrm.billing import services


def invoice_on_order(sender, order, actor=None, **kwargs) -> None:
    services.invoice_for_order(order=order, actor=actor)


def invoice_on_shipment(sender, shipment, order, actor=None, **kwargs) -> None:
    services.invoice_for_shipment(shipment=shipment, actor=actor)
