import pytest

from ordercrm.core.models import AuditEntry, Event
from ordercrm.sales import counters, services, workflow
from ordercrm.sales.exceptions import InvalidTransition
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

# Every action a person takes (the table's buttons and amend); ``complete``, ``expire``
# and ``reactivate`` are the system's and have their own tests.
ACTIONS = [row.name for row in workflow.TABLE if row.permission is not None]
# The rep's own actions on the rep's order; the manager takes every other.
BY_REP = {"submit", "reopen"}


def run(action, order, rep, manager):
    actor = rep if action in BY_REP else manager
    if action == "amend":
        return services.order_amend(order=order, actor=actor, version=order.version, lines=[])
    # the interfaces' one entry point, dispatching from the workflow table
    return services.order_action(order=order, actor=actor, action=action, note="no")


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_matrix(status, action, order_in, rep, manager, company):
    order = order_in(status)
    assert order.status == status
    before = SalesOrder.objects.for_company(company).get(pk=order.pk)
    audit_count = AuditEntry.objects.for_company(company).count()
    if workflow.already_done(action, status):
        result = run(action, order, rep, manager)
        assert (result.status, result.version) == (status, before.version)
        assert AuditEntry.objects.for_company(company).count() == audit_count
    elif workflow.allowed(action, status):
        result = run(action, order, rep, manager)
        expected = {"submit": Status.CONFIRMED, "amend": status}.get(
            action, workflow.target(action)
        )
        assert result.status == expected
        assert AuditEntry.objects.for_company(company).count() > audit_count
    else:
        with pytest.raises(InvalidTransition) as raised:
            run(action, order, rep, manager)
        assert raised.value.code == "sales.invalid_transition"
        after = SalesOrder.objects.for_company(company).get(pk=order.pk)
        assert (after.status, after.version) == (before.status, before.version)
        assert AuditEntry.objects.for_company(company).count() == audit_count


@pytest.mark.parametrize("status", list(Status))
def test_reactivate_by_status(status, order_in, company):
    """The system confirms a completed order again (returns owe goods); confirmed is left
    as it is; any other status refuses and nothing changes."""
    order = order_in(status)
    before = SalesOrder.objects.for_company(company).get(pk=order.pk)
    if status == Status.COMPLETED:
        assert services.order_reactivate(order=order).status == Status.CONFIRMED
        assert Event.objects.for_company(company).filter(type="order.reactivated").count() == 1
    elif status == Status.CONFIRMED:
        assert services.order_reactivate(order=order).version == before.version
    else:
        with pytest.raises(InvalidTransition):
            services.order_reactivate(order=order)
        after = SalesOrder.objects.for_company(company).get(pk=order.pk)
        assert (after.status, after.version) == (before.status, before.version)


def test_submit_twice_has_no_second_effect(make_order, rep, company):
    order = make_order()
    first = services.order_submit(order=order, actor=rep)
    events = Event.objects.for_company(company).count()
    second = services.order_submit(order=order, actor=rep, version=1)
    assert (first.status, second.status, second.version) == (
        Status.CONFIRMED,
        Status.CONFIRMED,
        first.version,
    )
    assert Event.objects.for_company(company).count() == events
    types = list(
        Event.objects.for_company(company)
        .filter(entity_id=str(order.pk))
        .values_list("type", flat=True)
    )
    assert types == ["order.created", "order.submitted", "order.confirmed"]


def test_approval_threshold_sends_the_order_to_an_approver_who_is_not_the_author(
    make_order, rep, manager, company, make_user, team
):
    from decimal import Decimal

    from ordercrm.sales.exceptions import SelfApproval

    company.approval_threshold = Decimal("1")
    company.save()
    order = services.order_submit(order=make_order(), actor=rep)
    assert order.status == Status.PENDING_APPROVAL
    assert "order_total" in order.status_reason
    self_approving = make_user("sales_manager", company, team=team)
    own = services.order_submit(
        order=make_order(actor=self_approving, salesperson=self_approving), actor=self_approving
    )
    with pytest.raises(SelfApproval):
        services.order_approve(order=own, actor=self_approving)
    approved = services.order_approve(order=order, actor=manager, comment="ok")
    assert approved.status == Status.CONFIRMED
    assert approved.confirmed_by == manager
    assert approved.exchange_rate == 1


def test_a_rep_cannot_approve(order_in, rep):
    from ordercrm.core.exceptions import PermissionDenied

    order = order_in(Status.PENDING_APPROVAL)
    with pytest.raises(PermissionDenied):
        services.order_approve(order=order, actor=rep)


def test_cancel_after_shipment_is_refused(order_in, manager, company):
    from django.db.models import F

    from ordercrm.sales.exceptions import CancelAfterShipment

    order = order_in(Status.CONFIRMED)
    order.lines.filter(position=1).update(qty_shipped=F("quantity"))
    counters.order_progress_store(order)  # counters written by hand
    with pytest.raises(CancelAfterShipment):
        services.order_cancel(order=order, actor=manager)
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).status == Status.CONFIRMED


def test_close_short_closes_the_rest_and_completed_comes_by_itself(order_in, manager, company):
    order = order_in(Status.CONFIRMED)
    order.lines.filter(position=1).update(qty_shipped=1)
    counters.order_progress_store(order)  # counters written by hand
    services.order_close(order=order, actor=manager)
    line = order.lines.get(position=2)
    assert line.qty_closed == line.quantity
    assert order_in(Status.COMPLETED).status == Status.COMPLETED


def test_foreign_currency_needs_a_rate_which_is_fixed_at_confirmation(
    make_order, rep, company, customer, products, make_user
):
    """The rate comes from the company rate table (finance), not from the rep."""
    from decimal import Decimal

    from ordercrm.accounts.roles import Role
    from ordercrm.catalog.services import exchange_rate_set
    from ordercrm.sales.exceptions import ExchangeRateMissing, ExchangeRateOverride

    order = make_order(currency="CNY")
    usd = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        currency="USD",
        lines=[{"product": products[0], "quantity": "2", "unit_price": "1.50"}],
    )
    assert usd.company_gross_total is None
    with pytest.raises(ExchangeRateMissing) as missing:
        services.order_submit(order=usd, actor=rep)
    assert missing.value.details["currency"] == "USD"
    assert missing.value.details["date"] == usd.order_date.isoformat()
    with pytest.raises(ExchangeRateOverride):
        services.order_update(order=usd, actor=rep, version=usd.version, exchange_rate="7.1")
    exchange_rate_set(
        company=company,
        actor=make_user(Role.FINANCE, company),
        currency="USD",
        date=usd.order_date,
        rate="7.1",
    )
    confirmed = services.order_submit(order=usd, actor=rep)
    assert confirmed.exchange_rate == Decimal("7.1")
    assert (
        confirmed.company_net_total + confirmed.company_tax_total == confirmed.company_gross_total
    )
    assert order.exchange_rate is None


def test_a_repeated_cancel_by_the_rep_who_cancelled_the_draft_is_already_done(
    order_in, rep, company
):
    """A rep may cancel a draft but not a cancelled order: the repeat (Back and the button
    again) is answered "already done", not refused for a permission, and writes nothing."""
    cancelled = services.order_action(order=order_in(Status.DRAFT), actor=rep, action="cancel")
    entries = AuditEntry.objects.for_company(company).count()
    again = services.order_action(order=cancelled, actor=rep, action="cancel")
    assert (again.status, again.version) == (Status.CANCELLED, cancelled.version)
    assert AuditEntry.objects.for_company(company).count() == entries


def test_the_permission_is_checked_on_the_status_under_the_lock(order_in, rep, company):
    """An order read as cancelled on an old page but confirmed now: a rep's "cancel" is not
    waved through as a repeat; it needs the permission a confirmed order's cancel needs."""
    from ordercrm.core.exceptions import PermissionDenied

    confirmed = order_in(Status.CONFIRMED)
    stale = SalesOrder.objects.for_company(company).get(pk=confirmed.pk)
    stale.status = Status.CANCELLED  # what an old page showed
    with pytest.raises(PermissionDenied):
        services.order_action(order=stale, actor=rep, action="cancel")
    assert SalesOrder.objects.for_company(company).get(pk=confirmed.pk).status == Status.CONFIRMED
