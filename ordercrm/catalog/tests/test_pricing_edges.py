"""The edges of ``price_for``: tier boundaries, a list's validity dates (expired, not yet
valid, the boundary days themselves), an inactive list, and a customer's list in another
currency than the order's."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.catalog import services
from ordercrm.catalog.pricing import NoPrice, price_for

DAY = datetime.date(2026, 6, 15)


@pytest.fixture
def product(company, make_product):
    return make_product(company, list_price=Decimal("20"))


@pytest.fixture
def tiers(company, admin, product):
    dealers = services.price_list_create(
        company=company, actor=admin, name="Dealers", currency="CNY"
    )
    for minimum, price in [("0", "10"), ("100", "9"), ("500.5", "8")]:
        services.price_list_item_set(
            price_list=dealers, product=product, min_quantity=minimum, unit_price=price, actor=admin
        )
    return dealers


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("1", "10"), ("99.999", "10"), ("100", "9"), ("500.4999", "9"), ("500.5", "8"), ("1e6", "8")],
)
def test_the_tier_starts_exactly_at_its_minimum(
    company, admin, make_customer, product, tiers, quantity, expected
):
    customer = make_customer(company, price_list=tiers)
    quote = price_for(product, quantity=Decimal(quantity), on_date=DAY, customer=customer)
    assert (quote.unit_price, quote.source) == (Decimal(expected), "customer_price_list")


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "in_force"),
    [
        (None, datetime.date(2026, 6, 14), False),  # expired the day before
        (None, DAY, True),  # its last day
        (DAY, None, True),  # its first day
        (datetime.date(2026, 6, 16), None, False),  # not yet valid
    ],
)
def test_a_list_applies_only_within_its_dates(
    company, admin, make_customer, product, tiers, valid_from, valid_to, in_force
):
    services.price_list_update(
        price_list=tiers, actor=admin, valid_from=valid_from, valid_to=valid_to
    )
    tiers.refresh_from_db()  # as the next request reads it
    customer = make_customer(company, price_list=tiers)
    quote = price_for(product, quantity=Decimal("1"), on_date=DAY, customer=customer)
    expected = (Decimal("10"), "customer_price_list") if in_force else (Decimal("20"), "list_price")
    assert (quote.unit_price, quote.source) == expected


def test_an_inactive_list_falls_back_to_the_default_list(
    company, admin, make_customer, product, tiers
):
    standard = services.price_list_create(
        company=company, actor=admin, name="Standard", currency="CNY", is_default=True
    )
    services.price_list_item_set(price_list=standard, product=product, unit_price="15", actor=admin)
    customer = make_customer(company, price_list=tiers)
    services.price_list_update(price_list=tiers, actor=admin, is_active=False)
    customer.refresh_from_db()  # as the next request reads it, with its list
    quote = price_for(product, quantity=Decimal("200"), on_date=DAY, customer=customer)
    assert (quote.unit_price, quote.source) == (Decimal("15"), "price_list")


def test_a_customers_list_in_another_currency_is_not_used(company, admin, make_customer, product):
    usd = services.price_list_create(company=company, actor=admin, name="USD", currency="USD")
    services.price_list_item_set(price_list=usd, product=product, unit_price="2", actor=admin)
    customer = make_customer(company, currency="USD", price_list=usd)
    in_cny = price_for(
        product, quantity=Decimal("1"), on_date=DAY, customer=customer, currency="CNY"
    )
    assert (in_cny.unit_price, in_cny.source) == (Decimal("20"), "list_price")
    in_usd = price_for(product, quantity=Decimal("1"), on_date=DAY, customer=customer)
    assert (in_usd.unit_price, in_usd.currency) == (Decimal("2"), "USD")
    services.price_list_update(price_list=usd, actor=admin, valid_to=datetime.date(2026, 1, 1))
    customer.refresh_from_db()
    with pytest.raises(NoPrice):
        price_for(product, quantity=Decimal("1"), on_date=DAY, customer=customer)


def test_a_removed_tier_falls_back_to_the_next_lower_one(
    company, admin, make_customer, product, tiers
):
    customer = make_customer(company, price_list=tiers)
    top = services.price_list_item_set(
        price_list=tiers, product=product, min_quantity="500.5", unit_price="8", actor=admin
    )
    assert top.outcome == "unchanged"
    services.price_list_item_remove(item=top, actor=admin)
    quote = price_for(product, quantity=Decimal("600"), on_date=DAY, customer=customer)
    assert (quote.unit_price, quote.min_quantity) == (Decimal("9"), Decimal("100"))
