"""Company-currency (base) amounts of billing documents: the pure rules, no database.

A document in a foreign currency is worth its amount × its own rate in the company currency,
rounded to the cent of the company currency (``core.money.round_money``): an invoice at its
rate (the order's, fixed at confirmation), a payment at the rate it was received at.

When part of a document is used up (a payment allocated or refunded, an invoice paid or
credited), the part's base value is what the document was worth in base before less what
the rest is worth after (:func:`taken_base`), and the part that uses up the last of it
takes exactly what was left. So the parts of a document always add up to its base amount
to the cent, and what is left is always worth its own amount at the rate (no drift).

An allocation is worth ``base_amount`` of the payment and settles ``invoice_base_amount``
of the invoice; their gap is the exchange difference it realises (a gain when the payment's
rate is above the invoice's, a loss below). Taking an allocation back (a credit note
releasing what was paid beyond the invoice's new total) reverses its parts in proportion
(:func:`pro_rata`); taking all of it back reverses exactly what it holds.
"""

from __future__ import annotations

from decimal import Decimal

from ordercrm.core.money import ZERO, RoundingMode, round_money


def to_base(amount: Decimal, rate: Decimal, base: str, mode: str = RoundingMode.HALF_UP) -> Decimal:
    """``amount`` × ``rate`` in the company currency ``base``, rounded to its cent."""
    return round_money(amount * rate, base, mode)


def taken_base(
    held_base: Decimal,
    remaining_after: Decimal,
    rate: Decimal,
    base: str,
    mode: str = RoundingMode.HALF_UP,
) -> Decimal:
    """The base value of a part taken out of what is worth ``held_base`` in base, leaving
    ``remaining_after`` in the document currency: all of it when nothing is left, else the
    held base less what is left at the rate."""
    if remaining_after <= 0:
        return held_base
    return held_base - to_base(remaining_after, rate, base, mode)


def pro_rata(
    total: Decimal, part: Decimal, whole: Decimal, base: str, mode: str = RoundingMode.HALF_UP
) -> Decimal:
    """``part``/``whole`` of ``total`` (a base amount), rounded; all of it for the whole."""
    if part >= whole:
        return total
    if whole == 0:
        return ZERO
    return round_money(total * part / whole, base, mode)


def split_base(
    total: Decimal, parts: list[Decimal], base: str, mode: str = RoundingMode.HALF_UP
) -> list[Decimal]:
    """``total`` (a base amount) shared over ``parts`` (document-currency amounts, ≥ 0) in
    proportion, each share rounded to the cent so that the shares add up to ``total``
    exactly: share i is the rounded running total up to part i less the rounded running
    total before it. A part of 0 gets 0; with nothing to share over, every share is 0."""
    whole = sum(parts, ZERO)
    if whole <= 0:
        return [ZERO] * len(parts)
    shares, running, before = [], ZERO, ZERO
    for part in parts:
        running += part
        upto = total if running >= whole else round_money(total * running / whole, base, mode)
        shares.append(upto - before)
        before = upto
    return shares
