"""Merging a duplicate into the surviving customer."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, Payment
from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers import services
from ordercrm.customers.models import Address, Contact, Customer
from ordercrm.sales.models import OrderTemplate, SalesOrder


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


@pytest.fixture
def duplicate(company, rep, make_customer):
    duplicate = make_customer(company, actor=rep, name="Shanghai Mingda Co.", tags=["vip"])
    services.contact_add(customer=duplicate, actor=rep, name="Han Mei", is_primary=True)
    services.address_add(
        customer=duplicate, actor=rep, kind="shipping", line1="5 Port Rd", city="Ningbo"
    )
    return duplicate


def _count(model, customer):
    return model.objects.for_company(customer.company_id).filter(customer=customer).count()


def test_merge_moves_everything_and_marks_the_duplicate(
    company, rep, manager, finance, customer, duplicate, make_order
):
    order = make_order()
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(customer=duplicate)
    OrderTemplate.objects.create(company=company, name="Weekly", customer=duplicate, lines=[])
    OrderTemplate.objects.create(company=company, name="Weekly", customer=customer, lines=[])
    billing.payment_record(
        company=company,
        actor=finance,
        customer=duplicate,
        amount=Decimal("50.00"),
        currency="CNY",
        method="bank_transfer",
        reference="TX-1",
    )
    preview = services.customer_merge_preview(duplicate=duplicate, survivor=customer, actor=manager)
    assert {key: n for key, _label, n in preview["moves"]} == {
        "contacts": 1,
        "addresses": 1,
        "orders": 1,
        "templates": 1,
        "invoices": 0,
        "payments": 1,
    }
    assert preview["problem"] is None

    survivor = services.customer_merge(duplicate=duplicate, survivor=customer, actor=manager)

    duplicate.refresh_from_db()
    assert (duplicate.is_active, duplicate.merged_into_id) == (False, customer.pk)
    assert _count(SalesOrder, duplicate) + _count(Payment, duplicate) == 0
    assert _count(SalesOrder, customer) == 1
    assert _count(Contact, customer) == 2
    # the survivor keeps its own primary contact and default shipping address
    assert (
        Contact.objects.for_company(company).filter(customer=customer, is_primary=True).get().name
        == "Li Lei"
    )
    defaults = Address.objects.for_company(company).filter(customer=customer, is_default=True)
    assert sorted(defaults.values_list("city", flat=True)) == ["Ningbo", "Shanghai"]
    assert defaults.count() == 2
    assert sorted(
        OrderTemplate.objects.for_company(company)
        .filter(customer=customer)
        .values_list("name", flat=True)
    ) == ["Weekly", f"Weekly ({duplicate.code})"]
    assert list(survivor.tags.values_list("name", flat=True)) == ["vip"]
    survivor.refresh_from_db()
    assert survivor.advance_balance == Decimal("50.00")
    assert duplicate.advance_balance == Decimal("0.00")
    event = Event.objects.for_company(company).get(type="customer.merged")
    assert event.payload["survivor_id"] == str(customer.pk)
    assert event.payload["moved"]["orders"] == 1
    actions = set(AuditEntry.objects.for_company(company).values_list("action", flat=True))
    assert {"merge", "merged_into"} <= actions
    # the duplicate stays inactive and cannot be merged again or reactivated
    with pytest.raises(services.MergeRefused):
        services.customer_merge(duplicate=duplicate, survivor=customer, actor=manager)
    with pytest.raises(services.CustomerMergedStaysInactive):
        services.customer_reactivate(customer=duplicate, actor=manager)


def test_merge_refusals_change_nothing(
    company, other_company, rep, manager, make_user, make_customer, customer, duplicate
):
    foreign = make_customer(other_company, name="Elsewhere")
    with pytest.raises(services.MergeRefused):
        services.customer_merge(duplicate=foreign, survivor=customer, actor=manager)
    with pytest.raises(services.MergeRefused):
        services.customer_merge(duplicate=customer, survivor=customer, actor=manager)
    with pytest.raises(PermissionDenied):
        services.customer_merge(duplicate=duplicate, survivor=customer, actor=rep)
    # a manager of another team sees neither of rep's customers
    other_manager = make_user(Role.SALES_MANAGER, company)
    with pytest.raises(NotFound):
        services.customer_merge(duplicate=duplicate, survivor=customer, actor=other_manager)
    with pytest.raises(services.StaleCustomer):
        services.customer_merge(duplicate=duplicate, survivor=customer, actor=manager, version=9)
    duplicate.refresh_from_db()
    assert (duplicate.is_active, duplicate.merged_into_id, duplicate.version) == (True, None, 1)
    assert _count(Contact, duplicate) == 1
    assert not Event.objects.for_company(company).filter(type="customer.merged").exists()


def test_payment_reference_clash_is_refused_and_previewed(
    company, manager, finance, customer, duplicate
):
    for who in (customer, duplicate):
        billing.payment_record(
            company=company,
            actor=finance,
            customer=who,
            amount=Decimal("1.00"),
            currency="CNY",
            method="bank_transfer",
            reference="SAME",
        )
    preview = services.customer_merge_preview(duplicate=duplicate, survivor=customer, actor=manager)
    assert preview["problem"].code == "billing.merge_payment_reference_clash"
    with pytest.raises(ValidationFailed) as raised:
        services.customer_merge(duplicate=duplicate, survivor=customer, actor=manager)
    assert raised.value.code == "billing.merge_payment_reference_clash"
    assert _count(Payment, duplicate) == 1
    assert Customer.objects.for_company(company).get(pk=duplicate.pk).is_active
    assert _count(Invoice, duplicate) == 0
