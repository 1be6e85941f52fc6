"""Named hooks: what the layers above sales do when an order is confirmed or a shipment is
dispatched, called explicitly from the one place each fact happens (no Django signals, so a
reader of ``order_submit`` sees where invoicing happens: ``_confirm`` → here → billing).

- :func:`after_order_confirmed` — called by the sales services each time an order becomes
  (or, amended, stays) confirmed, inside that transaction.
- :func:`after_dispatch` — called by ``fulfilment.services`` when a shipment has left and
  its quantities are on the order lines, inside that transaction.
- :func:`after_order_cancelled` — called by ``order_cancel`` once the order is cancelled and
  its reservations released, inside that transaction; a handler may refuse the cancel by
  raising a ``DomainError`` (everything rolls back).

The layers above register their handlers in their ``AppConfig.ready`` (sales and fulfilment
cannot import them), in ``INSTALLED_APPS`` order: fulfilment cancels a cancelled order's
draft shipments; billing invoices by the order's invoicing policy
(``billing.services.invoice_for_order`` / ``invoice_for_shipment``) and settles the money of
a cancelled order (``order_cancel_settle``: refuses while issued invoices are open, or credits
them; advances become customer credit). A handler returns
whether it moved the order's counters or amounts (an invoice issued); the completion check
(``order_complete_if_done``) then runs once, after every handler, for a dispatch always.
What handlers write commits or rolls back with the fact; durable side effects (email,
webhooks) come from the outbox events the services emit, not from here.
"""

from __future__ import annotations

from collections.abc import Callable

OrderConfirmedHandler = Callable[..., object]  # (*, order, actor) -> moved counters?
DispatchHandler = Callable[..., object]  # (*, shipment, order, actor) -> moved counters?

OrderCancelledHandler = Callable[..., object]  # (*, order, actor, credit_invoices)

_confirmed: list[OrderConfirmedHandler] = []
_dispatched: list[DispatchHandler] = []
_cancelled: list[OrderCancelledHandler] = []


def on_order_confirmed(handler: OrderConfirmedHandler) -> OrderConfirmedHandler:
    """Register ``handler(*, order, actor)`` for :func:`after_order_confirmed` (once)."""
    if handler not in _confirmed:
        _confirmed.append(handler)
    return handler


def on_dispatch(handler: DispatchHandler) -> DispatchHandler:
    """Register ``handler(*, shipment, order, actor)`` for :func:`after_dispatch` (once)."""
    if handler not in _dispatched:
        _dispatched.append(handler)
    return handler


def on_order_cancelled(handler: OrderCancelledHandler) -> OrderCancelledHandler:
    """Register ``handler(*, order, actor, credit_invoices)`` for :func:`after_order_cancelled`."""
    if handler not in _cancelled:
        _cancelled.append(handler)
    return handler


def _complete_if_done(order, actor) -> None:
    from ordercrm.sales.services import order_complete_if_done

    order_complete_if_done(order=order, actor=actor)


def after_order_confirmed(*, order, actor) -> None:
    """The order is confirmed (locked, in the confirming transaction): run the handlers
    (billing: invoice ``on_order`` orders), then the completion check if one moved counters."""
    moved = [handler(order=order, actor=actor) for handler in _confirmed]
    if any(moved):
        _complete_if_done(order, actor)


def after_dispatch(*, shipment, order, actor) -> None:
    """A shipment left (the order locked, its lines' ``qty_shipped`` written): run the
    handlers (billing: invoice ``on_shipment`` orders), then the completion check once."""
    for handler in _dispatched:
        handler(shipment=shipment, order=order, actor=actor)
    _complete_if_done(order, actor)


def after_order_cancelled(*, order, actor, credit_invoices: bool = False) -> None:
    """The order is cancelled (locked, its reservations released): run the handlers
    (fulfilment: draft shipments; billing: invoices and advances)."""
    for handler in _cancelled:
        handler(order=order, actor=actor, credit_invoices=credit_invoices)
