"""The order line records the price rule that set its price (issue 17, "Price rules")."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.sales import services as sales

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealers(company, admin):
    return catalog.price_list_create(
        company=company,
        actor=admin,
        name="Dealers",
        currency=company.base_currency,
        is_default=True,
    )


@pytest.fixture
def pump(company, make_product):
    return make_product(company, sku="PUMP", list_price=Decimal("100.00"), cost=Decimal("62.30"))


def test_the_order_line_records_the_rule_and_a_typed_price_forgets_it(
    company, dealers, pump, rep, admin, customer
):
    rule = catalog.price_rule_create(
        price_list=dealers, actor=admin, product=pump, markup_percent=Decimal("10")
    )

    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[
            {"product": pump, "quantity": Decimal("2")},
            {"product": pump, "quantity": Decimal("1"), "unit_price": "105"},
        ],
    )

    priced, typed = order.lines.order_by("position")
    assert (priced.unit_price, priced.price_rule_id) == (Decimal("110.0000"), rule.pk)
    assert typed.unit_price == Decimal("105.0000")
    assert typed.list_unit_price == Decimal("110.0000")
    assert typed.price_overridden
    catalog.price_rule_remove(rule=rule, actor=admin)
    priced.refresh_from_db()
    assert priced.price_rule_id is None
    assert priced.unit_price == Decimal("110.0000")
