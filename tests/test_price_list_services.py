"""price_list_create/update, price_list_item_set/update/remove, assignment to customers."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services
from ordercrm.catalog.models import PriceListItem
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.customers.price_lists import (
    customer_price_list_set,
    price_list_assign,
    price_list_customers,
)


@pytest.fixture
def vip(company, admin):
    return services.price_list_create(company=company, actor=admin, name="VIP", currency="CNY")


def _items(price_list):
    return list(
        PriceListItem.objects.for_company(price_list.company_id)
        .filter(price_list=price_list)
        .values_list("min_quantity", "unit_price")
        .order_by("min_quantity")
    )


def test_item_set_is_an_idempotent_upsert_by_natural_key(company, admin, make_product, vip):
    product = make_product(company)
    first = services.price_list_item_set(
        price_list=vip, product=product, min_quantity="10", unit_price="9.50", actor=admin
    )
    again = services.price_list_item_set(
        price_list=vip, product=product, min_quantity="10.000", unit_price="9.5", actor=admin
    )
    changed = services.price_list_item_set(
        price_list=vip, product=product, min_quantity="10", unit_price="9.00", actor=admin
    )
    assert (first.outcome, again.outcome, changed.outcome) == ("created", "unchanged", "updated")
    assert first.pk == again.pk == changed.pk
    assert _items(vip) == [(Decimal("10"), Decimal("9.00"))]
    actions = AuditEntry.objects.for_company(company).filter(
        entity_id=str(vip.pk), action="set_price"
    )
    assert actions.count() == 2


def test_item_set_refuses_bad_values_and_writes_nothing(
    company, admin, make_product, make_company, vip
):
    foreign = make_product(make_company())
    with pytest.raises(ValidationFailed) as raised:
        services.price_list_item_set(
            price_list=vip,
            product=foreign,
            min_quantity="-1",
            unit_price="abc",
            valid_from=datetime.date(2026, 5, 1),
            valid_to=datetime.date(2026, 4, 1),
            actor=admin,
        )
    assert set(raised.value.details["fields"]) == {
        "product",
        "min_quantity",
        "unit_price",
        "valid_to",
    }
    assert _items(vip) == []


def test_item_update_moves_a_tier_but_not_onto_another(company, admin, make_product, vip):
    product = make_product(company)
    low = services.price_list_item_set(
        price_list=vip, product=product, min_quantity="0", unit_price="10", actor=admin
    )
    services.price_list_item_set(
        price_list=vip, product=product, min_quantity="100", unit_price="8", actor=admin
    )
    with pytest.raises(ValidationFailed) as raised:
        services.price_list_item_update(item=low, actor=admin, min_quantity="100")
    assert set(raised.value.details["fields"]) == {"min_quantity"}
    services.price_list_item_update(item=low, actor=admin, min_quantity="10", unit_price="9.9")
    assert _items(vip) == [(Decimal("10"), Decimal("9.9")), (Decimal("100"), Decimal("8"))]


def test_item_remove_is_audited(company, admin, make_product, vip):
    product = make_product(company)
    item = services.price_list_item_set(
        price_list=vip, product=product, unit_price="10", actor=admin
    )
    services.price_list_item_remove(item=item, actor=admin)
    assert _items(vip) == []
    entry = AuditEntry.objects.for_company(company).get(action="remove_price")
    assert entry.changes == {f"{product.sku}@0": ["10.0000", None]}


def test_price_list_update_checks_version_dates_and_locks_the_currency(
    company, admin, make_product, vip
):
    services.price_list_update(
        price_list=vip, actor=admin, version=1, valid_from="2026-01-01", valid_to="2026-12-31"
    )
    vip.refresh_from_db()
    assert (vip.valid_from, vip.valid_to, vip.version) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
        2,
    )
    with pytest.raises(services.StaleVersion):
        services.price_list_update(price_list=vip, actor=admin, version=1, name="Old")
    with pytest.raises(ValidationFailed) as raised:
        services.price_list_update(price_list=vip, actor=admin, valid_to="2025-12-31")
    assert set(raised.value.details["fields"]) == {"valid_to"}
    services.price_list_item_set(
        price_list=vip, product=make_product(company), unit_price="1", actor=admin
    )
    with pytest.raises(ValidationFailed) as raised:
        services.price_list_update(price_list=vip, actor=admin, currency="USD")
    assert set(raised.value.details["fields"]) == {"currency"}
    vip.refresh_from_db()
    assert (vip.name, vip.currency, vip.valid_to) == ("VIP", "CNY", datetime.date(2026, 12, 31))


def test_making_a_list_the_default_demotes_the_other(company, admin, vip):
    standard = services.price_list_create(
        company=company, actor=admin, name="Standard", currency="CNY", is_default=True
    )
    services.price_list_update(price_list=vip, actor=admin, is_default=True)
    standard.refresh_from_db()
    vip.refresh_from_db()
    assert (standard.is_default, vip.is_default) == (False, True)


def test_price_list_create_refuses_a_made_up_currency(company, admin):
    with pytest.raises(ValidationFailed) as raised:
        services.price_list_create(company=company, actor=admin, name="X", currency="ABC")
    assert set(raised.value.details["fields"]) == {"currency"}


def test_price_lists_are_the_catalog_editors(company, make_user, make_product, vip):
    rep = make_user(Role.SALES_REP, company)
    with pytest.raises(PermissionDenied):
        services.price_list_item_set(
            price_list=vip, product=make_product(company), unit_price="1", actor=rep
        )
    assert _items(vip) == []


def test_assignment_is_all_or_nothing_and_checks_the_currency(company, admin, make_customer, vip):
    a = make_customer(company, code="C-A")
    b = make_customer(company, code="C-B")
    make_customer(company, code="C-USD", currency="USD")
    with pytest.raises(ValidationFailed) as raised:
        price_list_assign(price_list=vip, codes=["c-a", "C-USD", "NOPE"], actor=admin)
    assert len(raised.value.details["fields"]["customers"]) == 2
    a.refresh_from_db()
    assert a.price_list_id is None
    price_list_assign(price_list=vip, codes=["c-a", "C-B"], actor=admin)
    access = services.access_for(admin, company)
    assert [c.code for c in price_list_customers(access, vip)] == ["C-A", "C-B"]
    customer_price_list_set(customer=b, price_list=None, actor=admin)
    assert [c.code for c in price_list_customers(access, vip)] == ["C-A"]
