"""The validation boundary: numbers bounded by their column and finite, text without NUL and
within max_length, required values present — refused as ``ValidationFailed`` before anything
is written, on SQLite exactly as on PostgreSQL, whichever path the value came by."""

from decimal import Decimal

import pytest

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.validation import InvalidValue, bounded_decimal, clean_text
from ordercrm.customers.models import Customer
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("12", True),
        ("999999999999.9999", True),  # 12 digits + 4 decimals: what numeric(16, 4) holds
        ("-3.5", True),
        ("10.50000", True),  # trailing zeros are not decimals
        ("9999999999999", False),
        ("99999999999999", False),
        ("1e20", False),
        ("1e30", False),
        ("NaN", False),
        ("Infinity", False),
        ("-Infinity", False),
        ("0.00001", False),
        ("abc", False),
        ("", False),
    ],
)
def test_a_quantity_fits_its_column_or_is_refused_with_a_reason(value, ok):
    if ok:
        assert bounded_decimal(value, SalesOrderLine, "quantity") == Decimal(value)
    else:
        with pytest.raises(InvalidValue) as error:
            bounded_decimal(value, SalesOrderLine, "quantity")
        assert str(error.value)


def test_text_is_refused_with_nul_or_over_the_column_length():
    assert clean_text("  Mingda ", Customer, "name") == "Mingda"
    with pytest.raises(InvalidValue, match="NUL"):
        clean_text("a\x00b", Customer, "name")
    with pytest.raises(InvalidValue, match="200"):
        clean_text("x" * 201, Customer, "name")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 10_000),
        ("name", "Ming\x00da"),
        ("email", "a" * 250 + "@x.cn"),
        ("notes", "a\x00b"),
        ("credit_limit", Decimal("1e20")),
        ("credit_limit", Decimal("NaN")),
        ("notes", None),
    ],
)
def test_no_save_stores_a_value_its_column_cannot_hold(customer, field, value):
    before = Customer.objects.for_company(customer.company_id).values().get(pk=customer.pk)
    setattr(customer, field, value)
    with pytest.raises(ValidationFailed) as error:
        customer.save()
    assert error.value.code == "core.validation_failed"
    assert field in error.value.details["fields"]
    assert Customer.objects.for_company(customer.company_id).values().get(pk=customer.pk) == before


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "99999999999999"}, "quantity"),
        ({"quantity": "1e20"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "1", "unit_price": "1e30"}, "unit_price"),
        ({"quantity": "1", "unit_price": "Infinity"}, "unit_price"),
        ({"quantity": "1", "discount_percent": "1e20"}, "discount_percent"),
    ],
)
def test_an_order_line_beyond_its_columns_is_refused_and_nothing_is_saved(
    company, rep, customer, products, line, field
):
    with pytest.raises(ValidationFailed) as error:
        sales.order_create(
            company=company, actor=rep, customer=customer, lines=[{"sku": "P0", **line}]
        )
    assert error.value.code == "core.validation_failed"
    assert field in error.value.details["lines"]["0"]
    assert not SalesOrder.objects.for_company(company).exists()


def test_amounts_computed_beyond_the_columns_are_refused_not_stored(
    company, rep, customer, products
):
    # each value fits its own column, the line total (10^12 × 10^14) does not fit an amount
    with pytest.raises(ValidationFailed):
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"sku": "P0", "quantity": "999999999999", "unit_price": "99999999999999"}],
        )
    assert not SalesOrder.objects.for_company(company).exists()


def test_a_header_exchange_rate_beyond_its_column_is_refused(company, rep, customer, products):
    with pytest.raises(ValidationFailed) as error:
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"sku": "P0", "quantity": "1"}],
            currency="USD",
            exchange_rate="1e20",
        )
    assert "exchange_rate" in error.value.details["fields"]
    assert not SalesOrder.objects.for_company(company).exists()


def test_the_api_document_languages_are_the_configured_ones():
    from typing import get_args

    from django.conf import settings

    from ordercrm.api.v1.common import Language

    assert set(get_args(Language)) == {code for code, _name in settings.LANGUAGES}


def test_an_integer_beyond_what_postgresql_holds_is_refused_on_sqlite_too(company, admin):
    from ordercrm.inventory.models import Warehouse

    warehouse = Warehouse.objects.for_company(company).get(code="main")
    warehouse.sequence = 999_999_999_999
    with pytest.raises(ValidationFailed) as error:
        warehouse.save()
    assert "sequence" in error.value.details["fields"]
    assert Warehouse.objects.for_company(company).get(pk=warehouse.pk).sequence != 999_999_999_999
