"""Deactivate / reactivate, and contacts and addresses edited after creation."""

import pytest
from django.db import IntegrityError, transaction

from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers import selectors, services
from ordercrm.customers.models import Address, Contact


def test_deactivate_needs_a_reason(company, rep, customer):
    with pytest.raises(ValidationFailed) as raised:
        services.customer_deactivate(customer=customer, actor=rep, reason="  ")
    assert set(raised.value.details["fields"]) == {"reason"}
    customer.refresh_from_db()
    assert customer.is_active

    services.customer_deactivate(customer=customer, actor=rep, reason="Closed down", version=1)
    customer.refresh_from_db()
    assert (customer.is_active, customer.inactive_reason, customer.version) == (
        False,
        "Closed down",
        2,
    )
    assert Event.objects.for_company(company).filter(type="customer.deactivated").count() == 1
    assert AuditEntry.objects.for_company(company).filter(action="deactivate").count() == 1
    # a second deactivation is no change
    services.customer_deactivate(customer=customer, actor=rep, reason="again")
    customer.refresh_from_db()
    assert customer.version == 2


def test_reactivate_and_stale_version(company, rep, customer):
    services.customer_deactivate(customer=customer, actor=rep, reason="Paused")
    with pytest.raises(services.StaleCustomer):
        services.customer_reactivate(customer=customer, actor=rep, version=1)
    services.customer_reactivate(customer=customer, actor=rep, version=2)
    customer.refresh_from_db()
    assert (customer.is_active, customer.inactive_reason) == (True, "")
    assert list(selectors.customer_list(customer_access(rep, company), status="inactive")) == []


def customer_access(user, company):
    from ordercrm.accounts.access import access_for

    return access_for(user, company)


def test_list_filters_by_status(company, rep, make_customer, customer):
    other = make_customer(company, actor=rep, name="Sleeping")
    services.customer_deactivate(customer=other, actor=rep, reason="No orders")
    access = customer_access(rep, company)
    assert list(selectors.customer_list(access)) == [customer]
    assert list(selectors.customer_list(access, status="inactive")) == [other]
    assert set(selectors.customer_list(access, status="all")) == {customer, other}


def test_viewer_and_out_of_scope_rep_cannot_deactivate(company, make_user, customer):
    viewer = make_user(Role.VIEWER, company)
    with pytest.raises(PermissionDenied):
        services.customer_deactivate(customer=customer, actor=viewer, reason="x")
    stranger = make_user(Role.SALES_REP, company)
    with pytest.raises(NotFound):
        services.customer_deactivate(customer=customer, actor=stranger, reason="x")
    customer.refresh_from_db()
    assert customer.is_active


def test_contact_edit_primary_and_remove(company, rep, customer):
    li = Contact.objects.for_company(company).get(customer=customer)
    wang = services.contact_add(customer=customer, actor=rep, name="Wang Fang", phone="139")
    services.contact_update(contact=wang, actor=rep, is_primary=True, title=" Buyer ")
    li.refresh_from_db()
    wang.refresh_from_db()
    assert (li.is_primary, wang.is_primary, wang.title) == (False, True, "Buyer")
    with pytest.raises(ValidationFailed) as raised:
        services.contact_update(contact=wang, actor=rep, is_primary=False, name="")
    assert set(raised.value.details["fields"]) == {"is_primary", "name"}
    wang.refresh_from_db()
    assert (wang.name, wang.is_primary) == ("Wang Fang", True)
    services.contact_remove(contact=wang, actor=rep)
    li.refresh_from_db()
    wang.refresh_from_db()
    assert (wang.is_active, wang.is_primary, li.is_primary) == (False, False, True)
    assert list(selectors.customer_contacts(customer)) == [li]


def test_address_default_moves_and_stays_exactly_one(company, rep, customer):
    ningbo = Address.objects.for_company(company).get(customer=customer, kind="shipping")
    suzhou = services.address_add(
        customer=customer, actor=rep, kind="shipping", line1="3 Lake Rd", city="Suzhou"
    )
    assert not suzhou.is_default
    services.address_update(address=suzhou, actor=rep, is_default=True)
    ningbo.refresh_from_db()
    assert ningbo.is_default is False
    with pytest.raises(ValidationFailed) as raised:
        services.address_update(address=suzhou, actor=rep, is_default=False)
    assert set(raised.value.details["fields"]) == {"is_default"}
    services.address_remove(address=suzhou, actor=rep)
    ningbo.refresh_from_db()
    assert ningbo.is_default
    defaults = Address.objects.for_company(company).filter(customer=customer, is_default=True)
    assert sorted(defaults.values_list("kind", flat=True)) == ["billing", "shipping"]
    # moving the only shipping address to billing: billing keeps its default, shipping has none
    services.address_update(address=ningbo, actor=rep, kind="billing")
    ningbo.refresh_from_db()
    assert (ningbo.kind, ningbo.is_default) == ("billing", False)


def test_database_refuses_two_defaults_or_an_inactive_default(company, customer):
    billing = Address.objects.for_company(company).get(customer=customer, kind="billing")
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.all_objects.create(
            company=company,
            customer=customer,
            kind="billing",
            line1="x",
            city="y",
            is_default=True,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.all_objects.filter(pk=billing.pk).update(is_active=False)


def test_bad_address_input_changes_nothing(company, rep, customer):
    billing = Address.objects.for_company(company).get(customer=customer, kind="billing")
    with pytest.raises(ValidationFailed) as raised:
        services.address_update(address=billing, actor=rep, kind="home", line1="", city="x" * 500)
    assert set(raised.value.details["fields"]) == {"kind", "line1", "city"}
    billing.refresh_from_db()
    assert (billing.kind, billing.line1, billing.city) == ("billing", "1 Renmin Rd", "Shanghai")
