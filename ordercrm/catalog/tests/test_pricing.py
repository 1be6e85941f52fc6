import datetime
from decimal import Decimal

import pytest

from ordercrm.catalog import services
from ordercrm.catalog.pricing import NoPrice, price_for, prices_for

TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def lists(company, admin):
    standard = services.price_list_create(
        company=company, actor=admin, name="Standard", currency="CNY", is_default=True
    )
    vip = services.price_list_create(company=company, actor=admin, name="VIP", currency="CNY")
    usd = services.price_list_create(
        company=company, actor=admin, name="Export", currency="USD", is_default=True
    )
    return standard, vip, usd


def test_tiers_pick_the_highest_minimum_not_above_the_quantity(company, admin, make_product, lists):
    standard, _vip, _usd = lists
    product = make_product(company, list_price=Decimal("12.00"))
    for minimum, price in [("0", "10.00"), ("100", "9.50"), ("1000", "9.00")]:
        services.price_list_set_price(
            price_list=standard,
            product=product,
            min_quantity=Decimal(minimum),
            unit_price=Decimal(price),
            actor=admin,
        )
    assert price_for(product, quantity=Decimal("1"), on_date=TODAY).unit_price == Decimal("10.00")
    assert price_for(product, quantity=Decimal("100"), on_date=TODAY).unit_price == Decimal("9.50")
    quote = price_for(product, quantity=Decimal("5000"), on_date=TODAY)
    assert (quote.unit_price, quote.source, quote.min_quantity) == (
        Decimal("9.00"),
        "price_list",
        Decimal("1000"),
    )


def test_customer_list_beats_default_and_falls_back_per_product(
    company, admin, make_product, make_customer, lists
):
    standard, vip, _usd = lists
    on_vip = make_product(company)
    only_standard = make_product(company)
    services.price_list_set_price(price_list=standard, product=on_vip, unit_price="10", actor=admin)
    services.price_list_set_price(price_list=vip, product=on_vip, unit_price="8", actor=admin)
    services.price_list_set_price(
        price_list=standard, product=only_standard, unit_price="20", actor=admin
    )
    customer = make_customer(company, price_list=vip)
    quotes = prices_for(
        company=company,
        customer=customer,
        on_date=TODAY,
        items=[(on_vip, Decimal("1")), (only_standard, Decimal("1"))],
    )
    assert [(q.unit_price, q.source) for q in quotes] == [
        (Decimal("8"), "customer_price_list"),
        (Decimal("20"), "price_list"),
    ]


def test_dated_prices_apply_only_within_their_dates(company, admin, make_product, lists):
    standard, _vip, _usd = lists
    product = make_product(company, list_price=Decimal("15"))
    services.price_list_set_price(
        price_list=standard, product=product, unit_price="10", actor=admin
    )
    services.price_list_set_price(
        price_list=standard,
        product=product,
        unit_price="7",
        actor=admin,
        valid_from=datetime.date(2026, 11, 25),
        valid_to=datetime.date(2026, 11, 30),
    )
    assert price_for(product, quantity=Decimal("1"), on_date=TODAY).unit_price == Decimal("7")
    assert price_for(
        product, quantity=Decimal("1"), on_date=datetime.date(2026, 12, 1)
    ).unit_price == Decimal("10")


def test_list_price_in_base_currency_and_no_price_in_a_foreign_one(
    company, make_product, make_customer
):
    product = make_product(company, list_price=Decimal("12.3400"))
    quote = price_for(product, quantity=Decimal("1"), on_date=TODAY)
    assert (quote.unit_price, quote.currency, quote.source) == (
        Decimal("12.3400"),
        "CNY",
        "list_price",
    )
    customer = make_customer(company, currency="EUR")
    with pytest.raises(NoPrice) as raised:
        price_for(product, quantity=Decimal("1"), on_date=TODAY, customer=customer)
    assert raised.value.code == "catalog.no_price"
    assert raised.value.details == {"sku": product.sku, "currency": "EUR"}


def test_batch_pricing_uses_a_fixed_number_of_queries(
    company, admin, make_product, lists, django_assert_max_num_queries
):
    standard, _vip, _usd = lists
    products = [make_product(company) for _ in range(30)]
    for product in products:
        services.price_list_set_price(
            price_list=standard, product=product, unit_price="5", actor=admin
        )
    # the default list, its tiers, its rules: three, however many products
    with django_assert_max_num_queries(3):
        quotes = prices_for(
            company=company, on_date=TODAY, items=[(p, Decimal("3")) for p in products]
        )
    assert {q.unit_price for q in quotes} == {Decimal("5")}
