"""Price rules (issue 17, "Price rules"): list price or cost plus a markup, rounded, within
dates, in a price list; the most specific rule wins and an explicit price beats a rule (the
order line's record of its rule: ``tests/test_price_rule_lines.py``)."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import PriceRule
from ordercrm.catalog.pricing import price_for
from ordercrm.core.exceptions import ValidationFailed

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)


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
def pump(company, admin, make_product):
    tools = catalog.category_create(company=company, actor=admin, name="Pumps")
    return make_product(
        company, sku="PUMP", list_price=Decimal("100.00"), cost=Decimal("62.30"), category=tools
    )


def _price(product, quantity=1, on=TODAY):
    return price_for(product, quantity=Decimal(quantity), on_date=on)


def test_cost_plus_markup_rounded_to_a_step_then_moved_by_the_surcharge(dealers, pump, admin):
    rule = catalog.price_rule_create(
        price_list=dealers,
        actor=admin,
        base="cost",
        markup_percent=Decimal("25"),
        rounding=Decimal("1"),
        surcharge=Decimal("-0.01"),
    )

    quote = _price(pump)

    # 62.30 × 1.25 = 77.875 → 78 → 77.99
    assert quote.unit_price == Decimal("77.9900")
    assert quote.rule_id == rule.pk


def test_a_discount_off_the_list_price_without_rounding_keeps_four_places(dealers, pump, admin):
    catalog.price_rule_create(
        price_list=dealers, actor=admin, base="list_price", markup_percent=Decimal("-12.345")
    )

    assert _price(pump).unit_price == Decimal("87.6550")


def test_the_most_specific_rule_wins_then_the_highest_tier(dealers, pump, admin, make_product):
    add = catalog.price_rule_create
    add(price_list=dealers, actor=admin, markup_percent=Decimal("-5"))  # all products
    by_category = add(
        price_list=dealers, actor=admin, category=pump.category, markup_percent=Decimal("-10")
    )
    by_product = add(price_list=dealers, actor=admin, product=pump, markup_percent=Decimal("-20"))
    bulk = add(
        price_list=dealers,
        actor=admin,
        product=pump,
        markup_percent=Decimal("-30"),
        min_quantity=Decimal("50"),
    )
    other = make_product(pump.company, sku="HOSE", list_price=Decimal("10.00"))

    assert _price(pump, 1).rule_id == by_product.pk
    assert _price(pump, 50).unit_price == Decimal("70.0000")
    assert _price(pump, 50).rule_id == bulk.pk
    assert _price(other).unit_price == Decimal("9.5000")  # only the all-products rule
    catalog.price_rule_update(rule=by_product, actor=admin, is_active=False)
    catalog.price_rule_update(rule=bulk, actor=admin, is_active=False)
    assert _price(pump).rule_id == by_category.pk


def test_an_explicit_price_beats_a_rule_and_dates_bound_a_rule(dealers, pump, admin):
    catalog.price_rule_create(
        price_list=dealers,
        actor=admin,
        markup_percent=Decimal("50"),
        valid_from=datetime.date(2026, 12, 1),
        valid_to=datetime.date(2026, 12, 31),
    )

    assert _price(pump).unit_price == Decimal("150.0000")
    assert _price(pump, on=datetime.date(2027, 1, 1)).rule_id is None  # the list price
    catalog.price_list_item_set(
        price_list=dealers, product=pump, unit_price=Decimal("95"), actor=admin
    )
    assert _price(pump).unit_price == Decimal("95.0000")
    assert _price(pump).rule_id is None


def test_refusals_change_nothing(company, dealers, pump, admin, other_company):
    foreign = catalog.price_list_create(company=company, actor=admin, name="USD", currency="USD")
    with pytest.raises(ValidationFailed) as wrong_currency:
        catalog.price_rule_create(price_list=foreign, actor=admin, markup_percent=Decimal("5"))
    assert wrong_currency.value.code == "catalog.price_rule_currency"

    with pytest.raises(ValidationFailed) as refused:
        catalog.price_rule_create(
            price_list=dealers,
            actor=admin,
            product=pump,
            category=pump.category,
            markup_percent=Decimal("-101"),
            rounding=Decimal("-1"),
            valid_from="2026-12-10",
            valid_to="2026-12-01",
        )
    assert set(refused.value.details["fields"]) == {
        "category",
        "markup_percent",
        "rounding",
        "valid_to",
    }
    assert not PriceRule.objects.for_company(company).exists()


def test_the_same_rule_twice_is_refused_naming_the_first(dealers, pump, admin):
    """A double post or the form sent from two tabs makes one rule; a rule that differs in
    anything it computes (here the markup) is another rule."""
    values = {"base": "cost", "markup_percent": Decimal("25"), "product": pump}
    first = catalog.price_rule_create(price_list=dealers, actor=admin, name="Cost +25", **values)
    with pytest.raises(ValidationFailed) as refused:
        catalog.price_rule_create(price_list=dealers, actor=admin, name="again", **values)
    assert refused.value.code == "catalog.price_rule_duplicate"
    assert refused.value.details["rule_id"] == str(first.pk)
    assert "Cost +25" in refused.value.text
    assert PriceRule.objects.for_company(dealers.company).count() == 1
    other = {**values, "markup_percent": Decimal("30")}
    catalog.price_rule_create(price_list=dealers, actor=admin, **other)
    assert PriceRule.objects.for_company(dealers.company).count() == 2
