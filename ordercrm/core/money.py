"""Money and rounding: the only module that rounds an amount.

Amounts are ``Decimal`` with an ISO 4217 currency; floats are refused because they cannot
represent a cent exactly. Currency precision comes from the CLDR data Babel ships (CNY, USD,
EUR: 2 decimals, JPY: 0), so a new currency needs no code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache

from babel.numbers import get_currency_precision
from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Database shapes shared by every app: amounts are stored rounded to the currency (at most two
# decimals), unit prices and rates keep more so that a price of 0.0125 survives.
AMOUNT_FIELD = {"max_digits": 18, "decimal_places": 2}
PRICE_FIELD = {"max_digits": 18, "decimal_places": 4}
QUANTITY_FIELD = {"max_digits": 16, "decimal_places": 4}
PERCENT_FIELD = {"max_digits": 7, "decimal_places": 4}
RATE_FIELD = {"max_digits": 18, "decimal_places": 8}


class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("Round half up")
    HALF_EVEN = "half_even", _("Round half to even (banker's)")


_DECIMAL_ROUNDING = {RoundingMode.HALF_UP: ROUND_HALF_UP, RoundingMode.HALF_EVEN: ROUND_HALF_EVEN}


@lru_cache(maxsize=256)
def currency_decimals(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (``JPY`` → 0, ``CNY`` → 2)."""
    return get_currency_precision(currency.upper())


@lru_cache(maxsize=256)
def currency_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_decimals(currency))


def to_decimal(value: object) -> Decimal:
    """Exact conversion of a user or API value; floats are refused, not approximated."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise TypeError("money and quantities must be Decimal, int or str, never float/bool")
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    else:
        raise TypeError(f"cannot read {type(value).__name__} as a decimal")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def round_money(amount: Decimal, currency: str, mode: str = RoundingMode.HALF_UP) -> Decimal:
    """``amount`` rounded to the minor unit of ``currency`` with the company's rounding mode.

    Rounding never raises for a large amount (the context is widened); whether it fits a
    column is the validation boundary's question (``core.validation``), answered as a 422."""
    with localcontext() as context:
        context.prec = 80
        return amount.quantize(currency_quantum(currency), rounding=_DECIMAL_ROUNDING[mode])


def round_to(amount: Decimal, places: int, mode: str = RoundingMode.HALF_UP) -> Decimal:
    """``amount`` rounded to ``places`` decimals (rates, unit prices, quantities)."""
    with localcontext() as context:
        context.prec = 80
        return amount.quantize(Decimal(1).scaleb(-places), rounding=_DECIMAL_ROUNDING[mode])


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """Unrounded ``percent`` % of ``amount``; the caller rounds once, where the rule says."""
    return amount * percent / HUNDRED


def plain(value: Decimal) -> str:
    """A decimal as plain text without trailing zeros (``Decimal("3.5000")`` → ``"3.5"``), for
    error details and payloads people read."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
