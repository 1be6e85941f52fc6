"""Order arithmetic, pure: line amounts, document totals, company-currency totals.

Rules:
- A line's base is quantity × unit price × (1 − line discount %) × (1 − order discount %),
  unrounded.
- Tax-exclusive prices: net = round(base); tax-inclusive prices: gross = round(base).
- ``per_line`` rounding: each line's tax is rounded on its own. ``per_document``: the tax of each
  tax-rate group is rounded once on the group's sum and spread over its lines by largest
  remainder, so the lines still add up to the totals to the cent.
- Totals are sums of the lines; net + tax = gross holds on every line and on the document.
- Company-currency totals convert net and tax once each and add them, so they also balance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ordercrm.core.money import HUNDRED, ZERO, currency_quantum, round_money


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    tax_percent: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_base(line: LineInput, order_discount_percent: Decimal = ZERO) -> Decimal:
    return (
        line.quantity
        * line.unit_price
        * (HUNDRED - line.discount_percent)
        / HUNDRED
        * (HUNDRED - order_discount_percent)
        / HUNDRED
    )


def _allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` (already rounded) over ``weights`` in proportion, exact to the minor unit."""
    quantum = currency_quantum(currency)
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        shares = [ZERO] * len(weights)
        if weights:
            shares[0] = total
        return shares
    exact = [total * w / weight_sum for w in weights]
    floors = [(e / quantum).to_integral_value(rounding="ROUND_FLOOR") * quantum for e in exact]
    remainder_units = int(((total - sum(floors, ZERO)) / quantum).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for index in order[:remainder_units]:
        floors[index] += quantum
    return floors


def compute_totals(
    lines: list[LineInput],
    *,
    currency: str,
    prices_include_tax: bool = False,
    tax_rounding: str = "per_line",
    rounding_mode: str = "half_up",
    order_discount_percent: Decimal = ZERO,
) -> Totals:
    """Amounts of every line and the document, following the rules in the module docstring."""

    def rnd(amount: Decimal) -> Decimal:
        return round_money(amount, currency, rounding_mode)

    bases = [rnd(line_base(line, order_discount_percent)) for line in lines]
    taxes: list[Decimal] = [ZERO] * len(lines)
    if tax_rounding == "per_line":
        for i, (line, base) in enumerate(zip(lines, bases, strict=True)):
            rate = line.tax_percent / HUNDRED
            taxes[i] = base - rnd(base / (1 + rate)) if prices_include_tax else rnd(base * rate)
    else:
        groups: dict[Decimal, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            groups[line.tax_percent].append(i)
        for percent, indexes in groups.items():
            rate = percent / HUNDRED
            group_base = sum((bases[i] for i in indexes), ZERO)
            group_tax = (
                group_base - rnd(group_base / (1 + rate))
                if prices_include_tax
                else rnd(group_base * rate)
            )
            for i, share in zip(
                indexes, _allocate(group_tax, [bases[i] for i in indexes], currency), strict=True
            ):
                taxes[i] = share
    amounts = []
    for base, tax in zip(bases, taxes, strict=True):
        net, gross = (base - tax, base) if prices_include_tax else (base, base + tax)
        amounts.append(LineAmounts(net=net, tax=tax, gross=gross))
    net = sum((a.net for a in amounts), ZERO)
    tax = sum((a.tax for a in amounts), ZERO)
    return Totals(lines=tuple(amounts), net=net, tax=tax, gross=net + tax)


def to_company_currency(
    totals: Totals, *, rate: Decimal, currency: str, rounding_mode: str = "half_up"
) -> LineAmounts:
    """The document totals in the company currency at ``rate`` (company units per order unit)."""
    net = round_money(totals.net * rate, currency, rounding_mode)
    tax = round_money(totals.tax * rate, currency, rounding_mode)
    return LineAmounts(net=net, tax=tax, gross=net + tax)


@dataclass(frozen=True)
class OrderDiscount:
    """What a document shows of the order discount: the lines' amounts before it (net when
    prices exclude tax, gross when they include it) and the amount it takes off. The lines'
    stored amounts are after it (tax is computed on the discounted base)."""

    before: Decimal
    amount: Decimal


def order_discount(
    lines: list[LineInput],
    *,
    currency: str,
    order_discount_percent: Decimal,
    rounding_mode: str = "half_up",
) -> OrderDiscount:
    """The order discount as an amount: Σ rounded line bases without it minus Σ with it, so
    "before − discount" is exactly what the lines add up to (net, or gross with tax-inclusive
    prices)."""

    def rnd(amount: Decimal) -> Decimal:
        return round_money(amount, currency, rounding_mode)

    before = sum((rnd(line_base(line)) for line in lines), ZERO)
    after = sum((rnd(line_base(line, order_discount_percent)) for line in lines), ZERO)
    return OrderDiscount(before=before, amount=before - after)
