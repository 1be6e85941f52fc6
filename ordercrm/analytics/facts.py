"""Each order's facts, derived from its documents (the one rule; incremental refresh and the
rebuild both call :func:`derive`, so they agree to the cent).

What counts, and on which day (the company's local date):

- **ordered**: the lines of a booked order (confirmed, on hold, completed, closed), on its
  order date, with their net amounts. An amendment or cancellation restates that day.
- **shipped**: dispatched shipment lines, on the dispatch date; amount = the line's net in
  proportion to the quantity.
- **returned**: return receipt lines, on the day received; amount in proportion.
- **invoiced** / **credited**: issued invoice lines / credit-note lines (not drafts, not
  cancelled), on the invoice date, with their net amounts.
- **collected**: payment allocations to the order's invoices as they stand, on the day
  allocated, as net (the allocation × the invoice's net / gross), spread over the invoice's
  lines by net. A credit note that releases part of an allocation as customer credit lowers
  that collection where it was made (the allocation keeps no history of its amount).

Base-currency amounts convert each of these at the order's fixed exchange rate. An order
shared between salespeople (``CreditSplit``) splits every figure by the shares, exact to the
cent (largest remainder), so totals never change by splitting.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from ordercrm.analytics.models import COLUMNS, DIMENSIONS, ZERO, CreditSplit, OrderFact
from ordercrm.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentAllocation,
)
from ordercrm.core.money import currency_quantum, round_money
from ordercrm.fulfilment.models import ReturnLine, ShipmentLine, ShipmentStatus
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import BOOKED

QTY_QUANTUM = Decimal("0.0001")
LIVE_INVOICE = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


def split_exact(total: Decimal, weights: list[Decimal], quantum: Decimal) -> list[Decimal]:
    """``total`` split over ``weights`` in proportion, each share a multiple of ``quantum``,
    the shares adding up to ``total`` exactly (largest remainder; negative totals too)."""
    if len(weights) == 1:
        return [total]
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0 or total == 0:
        return [total] + [ZERO] * (len(weights) - 1)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [magnitude * w / weight_sum for w in weights]
    floors = [(e / quantum).to_integral_value(rounding="ROUND_FLOOR") * quantum for e in exact]
    units = int(((magnitude - sum(floors, ZERO)) / quantum).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for index in order[:units]:
        floors[index] += quantum
    return [sign * f for f in floors]


class FactRow:
    """One ``OrderFact`` row as plain attributes: cheap to make by the million (a rebuild
    writes these straight to the table); :meth:`model` gives the model instance."""

    __slots__ = ("company_id", "order_id", *DIMENSIONS, *COLUMNS)

    def __init__(self, **values):
        for name in COLUMNS:
            setattr(self, name, ZERO)
        for name, value in values.items():
            setattr(self, name, value)

    def model(self) -> OrderFact:
        return OrderFact(**{name: getattr(self, name) for name in self.__slots__})


def local_day(moment: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.date:
    return moment.astimezone(tz).date()


class _Order:
    """What the derivation needs of an order, read once."""

    def __init__(self, row: dict, company):
        self.id = row["id"]
        self.customer_id = row["customer_id"]
        self.salesperson_id = row["salesperson_id"]
        self.team_id = row["team_id"]
        self.currency = row["currency"]
        self.rate = row["exchange_rate"] or Decimal(1)
        self.booked = row["status"] in BOOKED
        self.order_date = row["order_date"]
        self.region = ((row["shipping_address"] or {}).get("region") or "")[:100]
        self.base = company.base_currency
        self.mode = company.rounding_mode
        self.shares: list[tuple] = [(row["salesperson_id"], row["team_id"], Decimal(100))]

    def to_base(self, amount: Decimal) -> Decimal:
        return round_money(amount * self.rate, self.base, self.mode)

    def part(self, line: dict, quantity: Decimal) -> Decimal:
        """The line's net for ``quantity`` of it (all of it when the whole line)."""
        if quantity == line["quantity"] or not line["quantity"]:
            return line["net"]
        return round_money(line["net"] * quantity / line["quantity"], self.currency, self.mode)


def derive(company, order_ids) -> dict:
    """``{order_id: [FactRow, …]}`` for the given orders of ``company``: a fixed number of
    queries however many orders, lines and documents."""
    order_ids = list(order_ids)
    tz = zoneinfo.ZoneInfo(company.timezone)
    orders = {
        row["id"]: _Order(row, company)
        for row in SalesOrder.objects.for_company(company)
        .filter(pk__in=order_ids)
        .values(
            "id",
            "customer_id",
            "salesperson_id",
            "team_id",
            "currency",
            "exchange_rate",
            "status",
            "order_date",
            "shipping_address",
        )
    }
    result: dict = {order_id: [] for order_id in order_ids}
    if not orders:
        return result
    splits = defaultdict(list)
    for split in CreditSplit.objects.for_company(company).filter(order_id__in=orders):
        splits[split.order_id].append((split.salesperson_id, split.team_id, split.percent))
    for order_id, shares in splits.items():
        orders[order_id].shares = sorted(shares, key=lambda s: (-s[2], str(s[0])))
    lines = {
        row["id"]: row
        for row in SalesOrderLine.objects.for_company(company)
        .filter(order_id__in=orders, kind=LineKind.PRODUCT, product__isnull=False)
        .values("id", "order_id", "product_id", "quantity", "net")
    }
    # (order, day, product) → column → value, before the split by salesperson
    cells: dict = defaultdict(lambda: defaultdict(lambda: ZERO))

    def add(line: dict, day, measure: str, quantity, amount):
        order = orders[line["order_id"]]
        cell = cells[(order.id, day, line["product_id"])]
        if quantity is not None:
            cell[f"{measure}_qty"] += quantity
        cell[f"{measure}_amount"] += amount
        cell[f"{measure}_base"] += order.to_base(amount)

    for line in lines.values():
        order = orders[line["order_id"]]
        if order.booked:
            add(line, order.order_date, "ordered", line["quantity"], line["net"])
    for row in (
        ShipmentLine.objects.for_company(company)
        .filter(order_line_id__in=lines, shipment__status=ShipmentStatus.DISPATCHED)
        .values("order_line_id", "quantity", "shipment__dispatched_at")
    ):
        line = lines[row["order_line_id"]]
        order = orders[line["order_id"]]
        day = local_day(row["shipment__dispatched_at"], tz)
        add(line, day, "shipped", row["quantity"], order.part(line, row["quantity"]))
    for row in (
        ReturnLine.objects.for_company(company)
        .filter(shipment_line__order_line_id__in=lines)
        .values("shipment_line__order_line_id", "quantity", "receipt__created_at")
    ):
        line = lines[row["shipment_line__order_line_id"]]
        order = orders[line["order_id"]]
        day = local_day(row["receipt__created_at"], tz)
        add(line, day, "returned", row["quantity"], order.part(line, row["quantity"]))
    invoice_lines = defaultdict(list)
    for row in (
        InvoiceLine.objects.for_company(company)
        .filter(invoice__order_id__in=orders, invoice__status__in=LIVE_INVOICE)
        .filter(order_line_id__in=lines)
        .values(
            "invoice_id", "order_line_id", "quantity", "net", "invoice__kind", "invoice__issue_date"
        )
        .order_by("invoice_id", "position", "id")
    ):
        line = lines[row["order_line_id"]]
        measure = "credited" if row["invoice__kind"] == InvoiceKind.CREDIT_NOTE else "invoiced"
        add(line, row["invoice__issue_date"], measure, row["quantity"], row["net"])
        if measure == "invoiced":
            invoice_lines[row["invoice_id"]].append(row)
    if invoice_lines:
        invoices = {
            row["id"]: row
            for row in Invoice.objects.for_company(company)
            .filter(pk__in=invoice_lines)
            .values("id", "net_total", "gross_total", "currency")
        }
        for row in (
            PaymentAllocation.objects.for_company(company)
            .filter(invoice_id__in=invoice_lines, payment__voided_at__isnull=True)
            .values("invoice_id", "amount", "created_at")
            .order_by("created_at", "id")
        ):
            invoice = invoices[row["invoice_id"]]
            own = invoice_lines[row["invoice_id"]]
            if not invoice["gross_total"]:
                continue
            net = round_money(
                row["amount"] * invoice["net_total"] / invoice["gross_total"],
                invoice["currency"],
                company.rounding_mode,
            )
            day = local_day(row["created_at"], tz)
            shares = split_exact(
                net, [x["net"] for x in own], currency_quantum(invoice["currency"])
            )
            for x, share in zip(own, shares, strict=True):
                add(lines[x["order_line_id"]], day, "collected", None, share)
    for (order_id, day, product_id), cell in cells.items():
        order = orders[order_id]
        weights = [share[2] for share in order.shares]
        parts = {
            column: split_exact(
                value,
                weights,
                QTY_QUANTUM
                if column.endswith("_qty")
                else currency_quantum(order.base if column.endswith("_base") else order.currency),
            )
            for column, value in cell.items()
        }
        for index, (salesperson_id, team_id, _percent) in enumerate(order.shares):
            values = {column: shares[index] for column, shares in parts.items()}
            if not any(values.values()):
                continue
            result[order_id].append(
                FactRow(
                    company_id=company.pk,
                    order_id=order_id,
                    day=day,
                    product_id=product_id,
                    customer_id=order.customer_id,
                    salesperson_id=salesperson_id,
                    team_id=team_id,
                    region=order.region,
                    currency=order.currency,
                    **values,
                )
            )
    return result
