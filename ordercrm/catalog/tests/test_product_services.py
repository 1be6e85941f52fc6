"""product_create / product_update / product_set_active: given / when / then."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services
from ordercrm.catalog.models import Category, Product, Unit
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry


def _audit(company, entity):
    return list(
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(entity.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )


def test_a_service_product_is_created_not_stock_tracked(company, admin):
    hours = Unit.objects.for_company(company).get(code="h")
    product = services.product_create(
        company=company,
        actor=admin,
        sku="SRV-INSTALL",
        name="Installation",
        unit=hours,
        list_price="380",
        is_stock_tracked=False,
    )
    assert (product.is_stock_tracked, product.version, product.tax_rate.is_default) == (
        False,
        1,
        True,
    )


def test_update_checks_the_version_and_bumps_it(company, admin, make_product):
    product = make_product(company)
    updated = services.product_update(
        product=product, actor=admin, version=1, name="Renamed", list_price="12.50"
    )
    assert (updated.name, updated.list_price, updated.version) == (
        "Renamed",
        Decimal("12.50"),
        2,
    )
    with pytest.raises(services.StaleVersion) as raised:
        services.product_update(product=product, actor=admin, version=1, name="Lost")
    assert raised.value.code == "catalog.stale_version"
    assert raised.value.details == {"current_version": 2}
    product.refresh_from_db()
    assert product.name == "Renamed"


def test_an_update_to_the_same_values_writes_nothing(company, admin, make_product):
    product = make_product(company, name="Same")
    services.product_update(product=product, actor=admin, name="Same")
    product.refresh_from_db()
    assert product.version == 1
    assert _audit(company, product) == ["create"]


def test_update_refuses_a_taken_sku_and_a_foreign_category(
    company, admin, make_product, make_company
):
    make_product(company, sku="TAKEN")
    product = make_product(company, sku="MINE")
    other = make_company()
    foreign = Category.objects.create(company=other, name="Elsewhere")
    with pytest.raises(ValidationFailed) as raised:
        services.product_update(
            product=product, actor=admin, sku="taken", category=foreign, cost="-1"
        )
    assert set(raised.value.details["fields"]) == {"sku", "category", "cost"}
    product.refresh_from_db()
    assert (product.sku, product.category_id, product.version) == ("MINE", None, 1)


def test_text_longer_than_its_column_is_a_field_error(company, admin):
    unit = Unit.objects.for_company(company).get(code="pcs")
    with pytest.raises(ValidationFailed) as raised:
        services.product_create(company=company, actor=admin, sku="X" * 65, name="N", unit=unit)
    assert set(raised.value.details["fields"]) == {"sku"}
    assert not Product.objects.for_company(company).exists()


def test_set_active_is_idempotent_and_audited_once(company, admin, make_product):
    product = make_product(company)
    services.product_set_active(product=product, actor=admin, active=False)
    services.product_set_active(product=product, actor=admin, active=False)
    product.refresh_from_db()
    assert (product.is_active, product.version) == (False, 2)
    assert _audit(company, product) == ["create", "update"]


def test_only_catalog_editors_create_or_deactivate(company, make_user, make_product):
    product = make_product(company)
    manager = make_user(Role.SALES_MANAGER, company)
    with pytest.raises(PermissionDenied):
        services.product_set_active(product=product, actor=manager, active=False)
    with pytest.raises(PermissionDenied):
        services.product_create(
            company=company,
            actor=manager,
            sku="NEW",
            name="New",
            unit=Unit.objects.for_company(company).get(code="pcs"),
        )
    product.refresh_from_db()
    assert product.is_active
    assert not Product.objects.for_company(company).filter(sku="NEW").exists()
