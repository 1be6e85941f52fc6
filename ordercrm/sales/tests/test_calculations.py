from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ordercrm.core.money import round_money
from ordercrm.sales.calculations import LineInput, compute_totals, to_company_currency

quantities = st.decimals(min_value=0, max_value=10000, places=3)
prices = st.decimals(min_value=0, max_value=100000, places=4)
discounts = st.decimals(min_value=0, max_value=100, places=2)
rates = st.sampled_from([Decimal("0"), Decimal("6"), Decimal("9"), Decimal("13")])
lines = st.lists(
    st.builds(LineInput, quantities, prices, discounts, rates), min_size=0, max_size=25
)
currencies = st.sampled_from(["CNY", "USD", "JPY"])
modes = st.sampled_from(["half_up", "half_even"])
rounding = st.sampled_from(["per_line", "per_document"])


def test_a_known_order():
    totals = compute_totals(
        [
            LineInput(Decimal("3"), Decimal("19.99"), Decimal("10"), Decimal("13")),
            LineInput(Decimal("1"), Decimal("0.05"), Decimal("0"), Decimal("13")),
        ],
        currency="CNY",
    )
    assert [(a.net, a.tax, a.gross) for a in totals.lines] == [
        (Decimal("53.97"), Decimal("7.02"), Decimal("60.99")),
        (Decimal("0.05"), Decimal("0.01"), Decimal("0.06")),
    ]
    per_document = compute_totals(
        [LineInput(Decimal("1"), Decimal("0.05"), tax_percent=Decimal("13"))] * 3,
        currency="CNY",
        tax_rounding="per_document",
    )
    assert per_document.tax == Decimal("0.02")  # 0.15 × 13 % = 0.0195, rounded once
    assert sum(a.tax for a in per_document.lines) == Decimal("0.02")


@given(lines, currencies, modes, rounding, st.booleans(), discounts)
def test_lines_add_up_and_net_plus_tax_is_gross(
    items, currency, mode, tax_rounding, inclusive, order_discount
):
    totals = compute_totals(
        items,
        currency=currency,
        rounding_mode=mode,
        tax_rounding=tax_rounding,
        prices_include_tax=inclusive,
        order_discount_percent=order_discount,
    )
    assert sum((a.net for a in totals.lines), Decimal(0)) == totals.net
    assert sum((a.tax for a in totals.lines), Decimal(0)) == totals.tax
    assert sum((a.gross for a in totals.lines), Decimal(0)) == totals.gross
    assert totals.net + totals.tax == totals.gross
    for amounts in totals.lines:
        assert amounts.net + amounts.tax == amounts.gross
        assert round_money(amounts.gross, currency, mode) == amounts.gross
        assert amounts.tax >= 0


@given(
    st.lists(
        st.builds(LineInput, quantities, prices, st.just(Decimal(0)), rates),
        min_size=1,
        max_size=10,
    ),
    currencies,
)
def test_inclusive_prices_round_trip(items, currency):
    exclusive = compute_totals(items, currency=currency)
    as_inclusive = [
        LineInput(Decimal(1), amounts.gross, Decimal(0), item.tax_percent)
        for item, amounts in zip(items, exclusive.lines, strict=True)
    ]
    inclusive = compute_totals(as_inclusive, currency=currency, prices_include_tax=True)
    assert [a.net for a in inclusive.lines] == [a.net for a in exclusive.lines]
    assert inclusive.gross == exclusive.gross


@given(
    lines, st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("200"), places=6), currencies
)
def test_company_currency_totals_balance_and_follow_the_rate(items, rate, currency):
    totals = compute_totals(items, currency=currency)
    company = to_company_currency(totals, rate=rate, currency="CNY")
    assert company.net + company.tax == company.gross
    assert abs(company.gross - totals.gross * rate) <= Decimal("0.01")
