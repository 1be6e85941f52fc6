"""Lifecycle (#17): a cancelled order set back to draft as a new revision and confirmed again;
a customer blocked until a date (quotations only; the block lifts by itself)."""

import datetime

import pytest

from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers import services as customers
from ordercrm.customers.selectors import CustomerBlocked
from ordercrm.sales import services
from ordercrm.sales.models import OrderRevision, SalesOrder
from ordercrm.sales.workflow import Status


def fresh(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def test_a_cancelled_order_is_a_draft_again_as_a_new_revision(order_in, manager, rep, company):
    order = order_in(Status.CONFIRMED)
    order = services.order_cancel(order=order, actor=manager, reason="customer changed mind")
    reset = services.order_reset_to_draft(order=order, actor=manager, reason="back on")
    assert (reset.status, reset.revision) == (Status.DRAFT, order.revision + 1)
    assert (reset.confirmed_at, reset.approval_fingerprint, reset.status_reason) == (None, "", "")
    revision = OrderRevision.objects.for_company(company).get(order=order, revision=reset.revision)
    assert revision.reason == "back on"
    entry = AuditEntry.objects.for_company(company).filter(action="reset_to_draft").get()
    assert entry.changes["status"] == ["cancelled", "draft"]
    assert Event.objects.for_company(company).filter(type="order.reset_to_draft").count() == 1
    # confirmed again, like any new confirmation
    confirmed = services.order_submit(order=fresh(order), actor=rep)
    assert (confirmed.status, confirmed.confirmed_by) == (Status.CONFIRMED, rep)


def test_repeating_it_does_nothing_and_a_rep_may_not(order_in, manager, rep, company):
    order = services.order_cancel(order=order_in(Status.CONFIRMED), actor=manager)
    with pytest.raises(PermissionDenied):
        services.order_reset_to_draft(order=order, actor=rep)
    assert fresh(order).status == Status.CANCELLED
    reset = services.order_reset_to_draft(order=order, actor=manager)
    again = services.order_reset_to_draft(order=reset, actor=manager)
    assert (again.version, again.revision) == (reset.version, reset.revision)


def test_an_expired_quotation_gets_a_new_validity(order_in, manager, company):
    order = order_in(Status.DRAFT)
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
        valid_until=company_today(company) - datetime.timedelta(days=3)
    )
    assert services.order_expire(order=fresh(order))
    expired = fresh(order)
    assert expired.status == Status.CANCELLED
    reset = services.order_reset_to_draft(order=expired, actor=manager)
    days = company.quotation_validity_days
    assert reset.valid_until == company_today(company) + datetime.timedelta(days=days)


@pytest.fixture
def finance(make_user, company):
    from ordercrm.accounts.roles import Role

    return make_user(Role.FINANCE, company, username="finance")


def test_a_blocked_customer_gets_quotations_not_orders_until_the_date(
    make_order, rep, customer, finance, company
):
    today = company_today(company)
    customers.customer_block(
        customer=customer, actor=finance, until=today + datetime.timedelta(days=5), reason="dispute"
    )
    quotation = make_order()  # a quotation is still made
    before = fresh(quotation)
    with pytest.raises(CustomerBlocked) as refused:
        services.order_submit(order=quotation, actor=rep)
    assert refused.value.code == "customers.blocked"
    assert refused.value.details["reason"] == "dispute"
    after = fresh(quotation)
    assert (after.status, after.version) == (before.status, before.version)
    # on the date the block has lifted by itself
    customer.refresh_from_db()
    assert not customer.blocked_on(today + datetime.timedelta(days=5))
    customer.blocked_until = today  # as if the date had come
    customer.save()
    assert services.order_submit(order=quotation, actor=rep).status == Status.CONFIRMED


def test_a_block_set_while_waiting_for_approval_stops_the_approval(
    order_in, manager, customer, finance, company
):
    order = order_in(Status.PENDING_APPROVAL)
    customers.customer_block(
        customer=customer,
        actor=finance,
        until=company_today(company) + datetime.timedelta(days=1),
        reason="audit",
    )
    with pytest.raises(CustomerBlocked):
        services.order_approve(order=order, actor=manager)
    assert fresh(order).status == Status.PENDING_APPROVAL


def test_unblocking_and_the_block_rules(customer, finance, rep, company, make_order):
    today = company_today(company)
    with pytest.raises(ValidationFailed) as refused:
        customers.customer_block(customer=customer, actor=finance, until=today, reason="x")
    assert "until" in refused.value.details["fields"]
    with pytest.raises(ValidationFailed):
        customers.customer_block(
            customer=customer, actor=finance, until=today + datetime.timedelta(days=1), reason=" "
        )
    with pytest.raises(PermissionDenied):
        customers.customer_block(
            customer=customer, actor=rep, until=today + datetime.timedelta(days=1), reason="x"
        )
    customer.refresh_from_db()
    assert customer.blocked_until is None
    customers.customer_block(
        customer=customer, actor=finance, until=today + datetime.timedelta(days=9), reason="x"
    )
    customers.customer_unblock(customer=customer, actor=finance)
    customer.refresh_from_db()
    assert (customer.blocked_until, customer.blocked_reason) == (None, "")
    assert services.order_submit(order=make_order(), actor=rep).status == Status.CONFIRMED
