from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordercrm.core.money import (
    RoundingMode,
    currency_decimals,
    percent_of,
    round_money,
    to_decimal,
)


@pytest.mark.parametrize(
    ("currency", "decimals"), [("CNY", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("cny", 2)]
)
def test_currency_precision_comes_from_cldr(currency, decimals):
    assert currency_decimals(currency) == decimals


def test_half_up_and_half_even_differ_only_on_ties():
    assert round_money(Decimal("2.345"), "CNY") == Decimal("2.35")
    assert round_money(Decimal("2.345"), "CNY", RoundingMode.HALF_EVEN) == Decimal("2.34")
    assert round_money(Decimal("2.3451"), "CNY", RoundingMode.HALF_EVEN) == Decimal("2.35")
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(ValueError, match="not a decimal"):
        to_decimal("ten")
    with pytest.raises(ValueError, match="finite"):
        to_decimal("NaN")
    assert to_decimal(" 12.30 ") == Decimal("12.30")


amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False
)


@given(amounts, st.sampled_from(["CNY", "USD", "JPY"]), st.sampled_from(list(RoundingMode)))
def test_rounding_is_within_half_a_minor_unit_and_idempotent(amount, currency, mode):
    rounded = round_money(amount, currency, mode)
    quantum = Decimal(1).scaleb(-currency_decimals(currency))
    assert abs(rounded - amount) <= quantum / 2
    assert round_money(rounded, currency, mode) == rounded
    assert rounded.as_tuple().exponent == -currency_decimals(currency)


@given(amounts, st.decimals(min_value=0, max_value=100, places=4))
def test_percent_of_is_exact(amount, percent):
    assert percent_of(amount, percent) * 100 == amount * percent
