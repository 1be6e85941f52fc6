from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers import selectors, services
from ordercrm.customers.models import Customer


def test_create_fills_sensible_defaults(company, make_user):
    rep = make_user(Role.SALES_REP, company)
    customer = services.customer_create(
        company=company, actor=rep, name="  Hangzhou Mingda  ", tags=["vip", "vip", "new"]
    )
    assert customer.name == "Hangzhou Mingda"
    assert customer.code == "C00001"
    assert (customer.language, customer.currency, customer.owner) == ("zh-hans", "CNY", rep)
    assert customer.payment_terms.days == 30
    assert sorted(customer.tags.values_list("name", flat=True)) == ["new", "vip"]
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(customer.pk), action="create")
        .exists()
    )
    assert (
        Event.objects.for_company(company)
        .filter(type="customer.created", entity_id=str(customer.pk))
        .exists()
    )


def test_duplicates_are_flagged_until_confirmed(company, admin):
    first = services.customer_create(
        company=company, actor=admin, name="Mingda Ltd", tax_id="9131X", phone="021-1"
    )
    services.contact_add(customer=first, actor=admin, name="Li Lei", phone="138-0000")
    for probe in [
        {"name": "mingda ltd"},
        {"name": "Other", "tax_id": "9131X"},
        {"name": "Other", "phone": "138-0000"},
    ]:
        with pytest.raises(services.PossibleDuplicate) as raised:
            services.customer_create(company=company, actor=admin, **probe)
        assert raised.value.code == "customers.possible_duplicate"
        assert raised.value.details["matches"][0]["code"] == first.code
    assert Customer.objects.for_company(company).count() == 1
    services.customer_create(company=company, actor=admin, name="Mingda Ltd", allow_duplicate=True)
    assert Customer.objects.for_company(company).count() == 2


def test_bad_input_changes_nothing(company, admin, make_company):
    from ordercrm.catalog.services import price_list_create

    usd_list = price_list_create(company=company, actor=admin, name="USD", currency="USD")
    with pytest.raises(ValidationFailed) as raised:
        services.customer_create(
            company=company,
            actor=admin,
            name="",
            currency="XYZ",
            language="fr",
            credit_limit="-5",
            price_list=usd_list,
        )
    assert set(raised.value.details["fields"]) == {
        "name",
        "currency",
        "language",
        "credit_limit",
        "price_list",
    }
    with pytest.raises(ValidationFailed) as raised:
        services.customer_create(
            company=company, actor=admin, name="A", currency="CNY", price_list=usd_list
        )
    assert set(raised.value.details["fields"]) == {"price_list"}
    assert not Customer.objects.for_company(company).exists()
    assert (
        not AuditEntry.objects.for_company(company)
        .filter(entity_type="customers.customer")
        .exists()
    )


def test_stale_update_is_rejected_with_the_current_version(company, admin, make_customer):
    customer = make_customer(company, name="Before")
    services.customer_update(
        customer=customer, actor=admin, version=1, name="First writer", credit_limit="1000"
    )
    with pytest.raises(services.StaleCustomer) as raised:
        services.customer_update(customer=customer, actor=admin, version=1, name="Second writer")
    assert raised.value.details == {"current_version": 2}
    customer.refresh_from_db()
    assert (customer.name, customer.credit_limit, customer.version) == (
        "First writer",
        Decimal("1000.00"),
        2,
    )
    entry = (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(customer.pk), action="update")
        .get()
    )
    assert entry.changes["name"] == ["Before", "First writer"]


def test_viewers_cannot_edit_customers(company, make_user, make_customer):
    customer = make_customer(company)
    viewer = make_user(Role.VIEWER, company)
    with pytest.raises(PermissionDenied):
        services.customer_update(customer=customer, actor=viewer, name="x")


def test_contacts_and_addresses_keep_one_primary_and_one_default(company, admin, make_customer):
    customer = make_customer(company)
    first = services.contact_add(customer=customer, actor=admin, name="A")
    second = services.contact_add(customer=customer, actor=admin, name="B", is_primary=True)
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    billing = services.address_add(
        customer=customer, actor=admin, kind="billing", line1="1 Road", city="Shanghai"
    )
    shipping = services.address_add(
        customer=customer, actor=admin, kind="shipping", line1="2 Road", city="Suzhou"
    )
    assert billing.is_default
    assert shipping.is_default
    with pytest.raises(ValidationFailed):
        services.address_add(customer=customer, actor=admin, kind="home", line1="", city="")


def test_search_by_code_name_contact_and_phone(company, admin, make_customer, access_of):
    target = make_customer(company, name="Suzhou Hengda", phone="0512-7777")
    make_customer(company, name="Unrelated")
    services.contact_add(customer=target, actor=admin, name="Wang Fang", phone="139-1234")
    access = access_of(admin, company)
    for term in [target.code, "hengda", "Wang Fang", "139-1234", "0512-7777"]:
        assert list(selectors.customer_list(access, search=term)) == [target], term
