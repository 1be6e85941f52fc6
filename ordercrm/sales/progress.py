"""Where an order stands, as pure functions of the order and its lines (no database): the
progress axes (shipped, invoiced, paid), what is left to ship and to invoice per line, and the
completion rule. Selectors (lists, the order page, the SQL filters' twin) and services
(``order_complete_if_done``) both read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ordercrm.core.money import ZERO
from ordercrm.sales.models import InvoicingPolicy, LineKind, SalesOrder, SalesOrderLine

PROGRESS_VALUES = {
    "fulfilment": ("not_shipped", "partially_shipped", "shipped"),
    "invoicing": ("not_invoiced", "partially_invoiced", "invoiced"),
    "payment": ("unpaid", "partially_paid", "paid", "overpaid"),
}


@dataclass(frozen=True)
class Progress:
    fulfilment: str  # not_shipped | partially_shipped | shipped
    invoicing: str  # not_invoiced | partially_invoiced | invoiced
    payment: str  # unpaid | partially_paid | paid | overpaid

    @property
    def label(self) -> str:
        """The combined label the UI shows, e.g. ``partially_shipped · invoiced · unpaid``."""
        return " · ".join((self.fulfilment, self.invoicing, self.payment))


def _axis(done: list[bool], started: list[bool], words: tuple[str, str, str]) -> str:
    if done and all(done):
        return words[2]
    return words[1] if any(started) else words[0]


def order_progress(order: SalesOrder, lines: list[SalesOrderLine], *, paid: Any = None) -> Progress:
    """The three progress axes, derived from the line counters, line by line (units differ,
    so quantities are never summed across lines). Lines with nothing to deliver do not count.

    A credited quantity counts as invoiced: it is settled by the credit note and never billed
    again (see :func:`line_to_invoice`). Payment compares ``paid`` with what the customer
    owes: once everything is invoiced, the amount invoiced net of credit notes
    (``amount_invoiced``); before, the order total."""
    goods = [
        line
        for line in lines
        if line.kind == LineKind.PRODUCT and line.quantity - line.qty_closed > 0
    ]
    due = [line.quantity - line.qty_closed for line in goods]
    fulfilment = _axis(
        [line.net_shipped >= d for line, d in zip(goods, due, strict=True)],
        [line.qty_shipped > 0 for line in goods],
        ("not_shipped", "partially_shipped", "shipped"),
    )
    if order.services_only:
        fulfilment = "shipped"  # nothing to ship: delivered as far as fulfilment goes
    # refunded-from-advance units are settled without an invoice: they count as invoiced
    invoicing = _axis(
        [line.qty_invoiced + line.qty_refunded >= d for line, d in zip(goods, due, strict=True)],
        [line.qty_invoiced + line.qty_refunded > 0 for line in goods],
        ("not_invoiced", "partially_invoiced", "invoiced"),
    )
    return Progress(fulfilment, invoicing, payment_axis(order, Decimal(paid or 0), invoicing))


def payment_axis(order: SalesOrder, paid, invoicing: str) -> str:
    """What the customer paid against what they owe: once everything is invoiced, the
    amount invoiced net of credit notes (``amount_invoiced``); before, the order total."""
    owed = order.amount_invoiced if invoicing == "invoiced" else order.gross_total
    if paid <= 0:
        return "unpaid"
    if paid < owed:
        return "partially_paid"
    return "paid" if paid == owed else "overpaid"


def line_invoiceable(order: SalesOrder, line: SalesOrderLine):
    """What an order line may be billed for by its order's invoicing policy: what shipped
    (``on_shipment``; a replacement sent for a returned unit is not billed again, so net of
    ``qty_replaced``), or what was ordered and not short-closed (``on_order``, ``manual``, and
    a services-only order by any policy); less the returned units paid back from an advance
    (``qty_refunded``)."""
    if line.kind != LineKind.PRODUCT:
        return ZERO
    # returned units paid back from an advance are settled without an invoice; a
    # services-only order never ships: its lines are billed as ordered by every policy
    if order.invoicing_policy == InvoicingPolicy.ON_SHIPMENT and not order.services_only:
        return line.net_shipped - line.qty_refunded
    return line.quantity - line.qty_closed - line.qty_refunded


def line_to_invoice(order: SalesOrder, line: SalesOrderLine):
    """What is left to invoice on a line: invoiceable − invoiced. A credited quantity stays
    counted as invoiced, so "invoice what is left" never bills a credited item again."""
    return max(line_invoiceable(order, line) - line.qty_invoiced, ZERO)


@dataclass(frozen=True)
class OrderState:
    """Where an order stands, from one read of its lines: status, the progress axes, and per
    line what is still to ship and to invoice. The order page, ``order_actions`` and order
    completion all read it, so the labels and the buttons agree with the services."""

    status: str
    progress: Progress
    to_ship: dict  # line id → open quantity (ordered − closed − net shipped), goods only
    to_invoice: dict  # line id → invoiceable − invoiced, goods only

    @property
    def anything_to_ship(self) -> bool:
        return any(q > 0 for q in self.to_ship.values())

    @property
    def anything_to_invoice(self) -> bool:
        return any(q > 0 for q in self.to_invoice.values())

    @property
    def done(self) -> bool:
        """Fully shipped, fully invoiced and paid: a confirmed order in this state completes."""
        return (
            self.progress.fulfilment == "shipped"
            and self.progress.invoicing == "invoiced"
            and self.progress.payment in ("paid", "overpaid")
        )


def state_of(order: SalesOrder, lines: list[SalesOrderLine]) -> OrderState:
    """The :class:`OrderState` of an order from its lines."""
    goods = [line for line in lines if line.kind == LineKind.PRODUCT]
    return OrderState(
        status=order.status,
        progress=order_progress(order, lines, paid=order.amount_paid),
        to_ship={}
        if order.services_only
        else {line.pk: max(line.open_quantity, ZERO) for line in goods},
        to_invoice={line.pk: line_to_invoice(order, line) for line in goods},
    )
