"""Delivery tolerances as pure rules (no database): how much a line may ship beyond what was
ordered, and how short it may ship and still count as delivered.

The percentages are the product's (``Product.over_delivery_tolerance`` /
``under_delivery_tolerance``) when set, else the company's; each applies to the line's
ordered quantity and is rounded to the quantity's four places. docs/decisions.md, "Delivery
tolerances", says why.
"""

from __future__ import annotations

from decimal import Decimal

from ordercrm.core.money import ZERO, percent_of, round_to
from ordercrm.sales.models import SalesOrderLine


def _percent(line: SalesOrderLine, company, field: str) -> Decimal:
    own = getattr(line.product, field, None) if line.product_id else None
    return own if own is not None else getattr(company, field)


def over_allowance(line: SalesOrderLine, company) -> Decimal:
    """The most a line may ship beyond its ordered quantity, in total."""
    return round_to(
        percent_of(line.quantity, _percent(line, company, "over_delivery_tolerance")), 4
    )


def under_allowance(line: SalesOrderLine, company) -> Decimal:
    """The most a line may be left short by and still count as delivered."""
    return round_to(
        percent_of(line.quantity, _percent(line, company, "under_delivery_tolerance")), 4
    )


def over_room(line: SalesOrderLine, company) -> Decimal:
    """What a line may still ship beyond what is open on it."""
    return max(over_allowance(line, company) - line.qty_over_delivered, ZERO)


def over_delivered_after(line: SalesOrderLine, quantity: Decimal) -> Decimal:
    """The line's over-delivery once ``quantity`` more has shipped: what its shipped
    quantity exceeds the ordered − closed + to-send-again quantity by (0 if it does not)."""
    base = line.quantity - line.qty_closed + line.qty_replaced
    return max(line.qty_shipped + quantity - base, ZERO)


def short_within_tolerance(
    line: SalesOrderLine, company, open_after: Decimal, shipping: Decimal = ZERO
) -> bool:
    """A line left ``open_after`` short counts as delivered (the rest is closed) when it
    shipped something (``shipping``: what is about to ship, not yet on the line) and the
    shortfall is within the under-delivery tolerance."""
    shipped = line.qty_shipped + shipping
    return ZERO < open_after <= under_allowance(line, company) and shipped > 0
