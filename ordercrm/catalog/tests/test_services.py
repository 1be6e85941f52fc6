from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services
from ordercrm.catalog.models import Product, TaxRate, Unit
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry


def test_a_new_company_gets_chinas_vat_rates_and_units(company):
    rates = {r.name: (r.rate, r.is_default) for r in TaxRate.objects.for_company(company)}
    assert rates == {
        "VAT 13%": (Decimal("13"), True),
        "VAT 9%": (Decimal("9"), False),
        "VAT 6%": (Decimal("6"), False),
        "VAT 0%": (Decimal("0"), False),
    }
    assert Unit.objects.for_company(company).get(code="kg").decimals == 3


def test_product_create_defaults_the_tax_rate_and_audits(company, admin):
    unit = Unit.objects.for_company(company).get(code="pcs")
    product = services.product_create(
        company=company, actor=admin, sku=" W-1 ", name="Widget", unit=unit, list_price="9.90"
    )
    assert product.sku == "W-1"
    assert product.tax_rate.rate == Decimal("13")
    assert product.list_price == Decimal("9.90")
    entry = AuditEntry.objects.for_company(company).get(entity_id=str(product.pk))
    assert entry.action == "create"
    assert entry.changes["sku"] == [None, "W-1"]


def test_bad_product_input_is_reported_per_field_and_changes_nothing(
    company, admin, make_product, make_company
):
    make_product(company, sku="TAKEN")
    foreign_unit = Unit.objects.for_company(make_company()).get(code="pcs")
    before = Product.objects.for_company(company).count()
    with pytest.raises(ValidationFailed) as raised:
        services.product_create(
            company=company, actor=admin, sku="taken", name="", unit=foreign_unit, list_price="-1"
        )
    fields = raised.value.details["fields"]
    assert set(fields) == {"sku", "name", "unit", "list_price"}
    assert Product.objects.for_company(company).count() == before


def test_only_catalog_editors_change_products(company, make_user, make_product):
    product = make_product(company)
    rep = make_user(Role.SALES_REP, company)
    with pytest.raises(PermissionDenied):
        services.product_update(product=product, actor=rep, name="Renamed")
    product.refresh_from_db()
    assert product.name != "Renamed"


def test_a_new_default_price_list_demotes_the_old_one(company, admin):
    first = services.price_list_create(
        company=company, actor=admin, name="A", currency="cny", is_default=True
    )
    second = services.price_list_create(
        company=company, actor=admin, name="B", currency="CNY", is_default=True
    )
    first.refresh_from_db()
    assert (first.currency, first.is_default, second.is_default) == ("CNY", False, True)
