"""Approval rules, multi-step authority, the known bypasses, credit control and holds."""

import datetime
import json
from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.accounts.services import team_create
from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, CreditPolicy
from ordercrm.customers import services as customer_services
from ordercrm.customers.models import Customer
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import selectors, services
from ordercrm.sales.exceptions import (
    ApprovalVoid,
    CreditHoldRelease,
    CreditLimitExceeded,
    CustomerOnCreditHold,
    NotAnApprover,
    NotEditable,
    ReasonRequired,
    SelfApproval,
    StaleVersion,
)
from ordercrm.sales.models import (
    ApprovalStatus,
    OrderApproval,
    RuleKind,
    SalesOrder,
    SalesOrderLine,
)
from ordercrm.sales.workflow import Status


@pytest.fixture
def company(make_company):
    """These tests set up every rule they look at, so the company starts without the default
    approval rules (tests/test_money_authority.py covers those)."""
    return make_company("acme", name="Acme Trading", default_rules=False)


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


def reasons_of(order):
    order = SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)
    return [r["rule"] for r in json.loads(order.status_reason or "[]")]


def fresh(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def rule(company, admin, kind, threshold=None, steps=()):
    return services.approval_rule_create(
        company=company,
        actor=admin,
        name=f"{kind} rule",
        kind=kind,
        threshold=threshold,
        steps=steps,
    )


def submit(company, rep, customer, lines, **header):
    order = services.order_create(
        company=company, actor=rep, customer=customer, lines=lines, **header
    )
    return services.order_submit(order=order, actor=rep)


# ---------------------------------------------------------------- each rule


def test_no_rule_fires_so_the_order_confirms_at_once(company, rep, customer, products):
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    assert order.status == Status.CONFIRMED
    assert not OrderApproval.objects.for_company(company).exists()


def test_order_total_rule(company, admin, rep, customer, products):
    rule(company, admin, RuleKind.ORDER_TOTAL, "100")
    small = submit(company, rep, customer, [{"product": products[0], "quantity": 2}])
    assert small.status == Status.CONFIRMED
    big = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])
    assert big.status == Status.PENDING_APPROVAL
    [reason] = json.loads(fresh(big).status_reason)
    assert reason["rule"] == "order_total"
    assert Decimal(reason["total"]) == Decimal("113")  # 10 × 10.00 + 13 % VAT
    assert reason["threshold"] == "100"


def test_line_discount_rule_counts_the_order_discount_too(company, admin, rep, customer, products):
    rule(company, admin, RuleKind.LINE_DISCOUNT, "15")
    ok = submit(
        company, rep, customer, [{"product": products[0], "quantity": 1, "discount_percent": "15"}]
    )
    assert ok.status == Status.CONFIRMED
    combined = submit(
        company,
        rep,
        customer,
        [{"product": products[0], "quantity": 1, "discount_percent": "10"}],
        discount_percent="10",
    )
    assert reasons_of(combined) == ["line_discount"]  # 1 − 0.9 × 0.9 = 19 %


def test_margin_rule(company, admin, rep, customer, make_product):
    rule(company, admin, RuleKind.MARGIN, "20")
    thin = make_product(company, sku="THIN", list_price=Decimal("10"), cost=Decimal("9"))
    fat = make_product(company, sku="FAT", list_price=Decimal("10"), cost=Decimal("5"))
    assert (
        submit(company, rep, customer, [{"product": fat, "quantity": 1}]).status == Status.CONFIRMED
    )
    order = submit(company, rep, customer, [{"product": thin, "quantity": 1}])
    [reason] = json.loads(fresh(order).status_reason)
    assert (reason["rule"], reason["margin"]) == ("margin", "10")


def test_stock_shortfall_rule(company, admin, rep, customer, products, make_user):
    rule(company, admin, RuleKind.STOCK_SHORTFALL)
    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=warehouse,
        lines=[{"product": products[0], "quantity": 5}],
    )
    assert submit(company, rep, customer, [{"product": products[0], "quantity": 5}]).status == (
        Status.CONFIRMED
    )
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    [reason] = json.loads(fresh(order).status_reason)
    assert reason["rule"] == "stock_shortfall"
    assert reason["products"] == [
        {"product_id": str(products[0].pk), "wanted": "1", "available": "0"}
    ]


def test_overdue_invoices_rule(company, admin, rep, customer, products):
    rule(company, admin, RuleKind.OVERDUE_INVOICES, "30")
    today = services._company_today(company)
    Customer.objects.for_company(company).filter(pk=customer.pk).update(
        oldest_unpaid_due_date=today - datetime.timedelta(days=30)
    )
    assert submit(company, rep, customer, [{"product": products[0], "quantity": 1}]).status == (
        Status.CONFIRMED
    )
    Customer.objects.for_company(company).filter(pk=customer.pk).update(
        oldest_unpaid_due_date=today - datetime.timedelta(days=31)
    )
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    [reason] = json.loads(fresh(order).status_reason)
    assert (reason["rule"], reason["days_overdue"]) == ("overdue_invoices", 31)


def test_new_customer_rule(company, admin, rep, manager, customer, products):
    rule(company, admin, RuleKind.NEW_CUSTOMER)
    first = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    assert reasons_of(first) == ["new_customer"]
    services.order_approve(order=first, actor=manager)
    second = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    assert second.status == Status.CONFIRMED


def test_below_price_list_rule(company, admin, rep, customer, products):
    rule(company, admin, RuleKind.BELOW_PRICE_LIST)
    assert (
        submit(
            company, rep, customer, [{"product": products[0], "quantity": 1, "unit_price": "10.50"}]
        ).status
        == Status.CONFIRMED
    )
    order = submit(
        company, rep, customer, [{"product": products[0], "quantity": 1, "unit_price": "9"}]
    )
    [reason] = json.loads(fresh(order).status_reason)
    assert reason["rule"] == "below_price_list"
    assert reason["lines"] == [{"position": 1, "unit_price": "9", "list_price": "10"}]


def test_rules_are_validated(company, admin, rep):
    with pytest.raises(ValidationFailed) as error:
        services.approval_rule_create(company=company, actor=admin, name="", kind="nope")
    assert set(error.value.details["fields"]) == {"name", "kind"}
    with pytest.raises(ValidationFailed):
        services.approval_rule_create(company=company, actor=admin, name="x", kind=RuleKind.MARGIN)
    with pytest.raises(PermissionDenied):
        services.approval_rule_create(
            company=company, actor=rep, name="x", kind=RuleKind.NEW_CUSTOMER
        )


# ---------------------------------------------------------------- steps and authority


def test_sequential_steps_manager_then_finance(
    company, admin, rep, manager, finance, customer, products
):
    rule(
        company,
        admin,
        RuleKind.ORDER_TOTAL,
        "100",
        steps=[{"role": Role.SALES_MANAGER}, {"role": Role.FINANCE}],
    )
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 20}])
    with pytest.raises(NotAnApprover):  # finance's turn has not come
        services.order_approve(order=order, actor=finance)
    order = services.order_approve(order=order, actor=manager, comment="margin fine")
    assert order.status == Status.PENDING_APPROVAL
    assert [item.order for item in selectors.approval_inbox(access_for(finance, company))] == [
        order
    ]
    assert selectors.approval_inbox(access_for(manager, company)) == []
    order = services.order_approve(order=order, actor=finance)
    assert order.status == Status.CONFIRMED
    decided = OrderApproval.objects.for_company(company).filter(order=order).order_by("level")
    assert [(a.level, a.status, a.decided_by) for a in decided] == [
        (1, ApprovalStatus.APPROVED, manager),
        (2, ApprovalStatus.APPROVED, finance),
    ]


def test_a_step_satisfied_by_any_one_of_several_named_approvers(
    company, admin, rep, customer, products, make_user, team
):
    first = make_user(Role.SALES_MANAGER, company, username="m1", team=team)
    second = make_user(Role.SALES_MANAGER, company, username="m2", team=team)
    rule(company, admin, RuleKind.ORDER_TOTAL, "1", steps=[{"approvers": [first, second]}])
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    assert services.order_approve(order=order, actor=second).status == Status.CONFIRMED


def test_a_sales_rep_cannot_approve(company, rep, make_user, team, order_in):
    other_rep = make_user(Role.SALES_REP, company, username="rep-b", team=team)
    order = order_in(Status.PENDING_APPROVAL)
    with pytest.raises(PermissionDenied):
        services.order_approve(order=order, actor=other_rep)


def test_an_approver_outside_the_orders_scope_cannot_even_see_it(company, make_user, order_in):
    west = team_create(company=company, name="West")
    outsider = make_user(Role.SALES_MANAGER, company, username="west-boss", team=west)
    order = order_in(Status.PENDING_APPROVAL)
    with pytest.raises(NotFound):
        services.order_approve(order=order, actor=outsider)
    assert selectors.approval_inbox(access_for(outsider, company)) == []


def test_authors_do_not_approve_their_own_orders_unless_allowed(
    company, admin, manager, customer, products
):
    rule(company, admin, RuleKind.ORDER_TOTAL, "1")
    order = submit(company, manager, customer, [{"product": products[0], "quantity": 1}])
    with pytest.raises(SelfApproval):
        services.order_approve(order=order, actor=manager)
    company.allow_self_approval = True
    company.save()
    assert services.order_approve(order=fresh(order), actor=manager).status == Status.CONFIRMED


def test_inbox_shows_reasons_margin_credit_and_stock(
    company, admin, rep, manager, customer, products
):
    customer_services.customer_update(customer=customer, actor=admin, credit_limit=Decimal("10000"))
    rule(company, admin, RuleKind.ORDER_TOTAL, "1")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 3}])
    [item] = selectors.approval_inbox(access_for(manager, company))
    assert item.order == order
    assert [r["rule"] for r in item.reasons] == ["order_total"]
    assert item.credit_limit == Decimal("10000")
    assert item.credit_exposure == Decimal("33.90")
    assert item.stock_shortfall[0]["wanted"] == "3"
    assert item.margin_percent is not None


# ---------------------------------------------------------------- decisions


def test_reject_needs_a_reason_and_request_changes_goes_back_to_draft(company, manager, order_in):
    order = order_in(Status.PENDING_APPROVAL)
    with pytest.raises(ReasonRequired):
        services.order_reject(order=order, actor=manager, reason=" ")
    order = services.order_request_changes(order=order, actor=manager, comment="split delivery")
    assert order.status == Status.DRAFT
    assert (
        not OrderApproval.objects.for_company(company)
        .filter(status=ApprovalStatus.PENDING)
        .exists()
    )
    timeline = selectors.order_timeline(access_for(manager, company), order.pk)
    assert "split delivery" in [item.details for item in timeline if item.kind == "comment"]


def test_decisions_are_audited_with_their_reasons(company, admin, rep, manager, customer, products):
    rule(company, admin, RuleKind.ORDER_TOTAL, "1")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    services.order_reject(order=order, actor=manager, reason="price too low")
    actions = list(
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(order.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["submit", "reject"]
    submitted = AuditEntry.objects.for_company(company).get(
        entity_id=str(order.pk), action="submit"
    )
    assert submitted.changes["reasons"][0]["rule"] == "order_total"
    titles = [i.title for i in selectors.order_timeline(access_for(manager, company), order.pk)]
    assert {"order.submitted", "order.rejected"} <= set(titles)


# ---------------------------------------------------------------- the three bypasses


def test_bypass_confirming_unsaved_edits(company, admin, rep, manager, customer, products):
    """The approver approves what they saw: an order edited since (another version) is
    refused, and a pending order cannot be edited at all."""
    rule(company, admin, RuleKind.ORDER_TOTAL, "1")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 1}])
    seen = order.version
    with pytest.raises(NotEditable):
        services.order_update(
            order=order,
            actor=rep,
            version=order.version,
            lines=[{"product": products[0], "quantity": 99}],
        )
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(version=seen + 1)
    with pytest.raises(StaleVersion):
        services.order_approve(order=order, actor=manager, version=seen)
    # content changed behind the services' back (admin, SQL): the approval is void
    SalesOrderLine.objects.for_company(company).filter(order=order).update(quantity=50)
    with pytest.raises(ApprovalVoid):
        services.order_approve(order=order, actor=manager)
    assert fresh(order).status == Status.PENDING_APPROVAL


def test_bypass_editing_after_approval(company, admin, rep, manager, customer, products):
    rule(company, admin, RuleKind.ORDER_TOTAL, "100")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])
    order = services.order_approve(order=order, actor=manager)
    assert order.status == Status.CONFIRMED
    [line] = SalesOrderLine.objects.for_company(company).filter(order=order)
    order = services.order_amend(
        order=order,
        actor=rep,
        version=order.version,
        lines=[{"line_id": str(line.pk), "quantity": 30}],
    )
    assert order.status == Status.PENDING_APPROVAL
    statuses = (
        OrderApproval.objects.for_company(company)
        .filter(order=order)
        .values_list("status", flat=True)
    )
    assert sorted(statuses) == ["approved", "pending"]
    # lowering below every threshold keeps it confirmed without asking again
    order = services.order_approve(order=order, actor=manager)
    order = services.order_amend(
        order=order,
        actor=rep,
        version=order.version,
        lines=[{"line_id": str(line.pk), "quantity": 5}],
    )
    assert order.status == Status.CONFIRMED


def test_bypass_duplicating_an_approved_order(company, admin, rep, manager, customer, products):
    rule(company, admin, RuleKind.ORDER_TOTAL, "100")
    order = services.order_approve(
        order=submit(company, rep, customer, [{"product": products[0], "quantity": 10}]),
        actor=manager,
    )
    copy = services.order_duplicate(order=order, actor=rep)
    assert copy.status == Status.DRAFT
    assert not OrderApproval.objects.for_company(company).filter(order=copy).exists()
    assert services.order_submit(order=copy, actor=rep).status == Status.PENDING_APPROVAL


# ---------------------------------------------------------------- credit


def limit(customer, admin, amount):
    return customer_services.customer_update(
        customer=customer, actor=admin, credit_limit=Decimal(amount)
    )


def test_credit_exposure_counts_open_orders_unpaid_invoices_and_advances(
    company, admin, rep, finance, customer, products
):
    company.credit_policy = CreditPolicy.BLOCK
    company.save()
    limit(customer, admin, "200")
    submit(company, rep, customer, [{"product": products[0], "quantity": 10}])  # 113.00
    Customer.objects.for_company(company).filter(pk=customer.pk).update(
        receivable_balance=Decimal("80"), advance_balance=Decimal("0")
    )
    second = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )  # 11.30 → 113 + 80 + 11.30 = 204.30 > 200
    with pytest.raises(CreditLimitExceeded) as error:
        services.order_submit(order=second, actor=rep)
    assert error.value.details["exposure"] == "204.3"
    assert error.value.details["over_by"] == "4.3"
    assert fresh(second).status == Status.DRAFT
    Customer.objects.for_company(company).filter(pk=customer.pk).update(
        advance_balance=Decimal("10")
    )
    assert services.order_submit(order=second, actor=rep).status == Status.CONFIRMED


def test_over_the_limit_needs_finance_under_the_approval_policy(
    company, admin, rep, manager, finance, customer, products
):
    limit(customer, admin, "50")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])
    assert reasons_of(order) == ["credit_limit"]
    with pytest.raises(NotAnApprover):
        services.order_approve(order=order, actor=manager)
    assert services.order_approve(order=order, actor=finance).status == Status.CONFIRMED


def test_credit_is_checked_again_at_the_last_approval(
    company, admin, rep, manager, finance, customer, products
):
    rule(company, admin, RuleKind.ORDER_TOTAL, "1")
    limit(customer, admin, "150")
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])  # 113
    assert reasons_of(order) == ["order_total"]
    Customer.objects.for_company(company).filter(pk=customer.pk).update(
        receivable_balance=Decimal("100")
    )
    order = services.order_approve(order=order, actor=manager)
    assert order.status == Status.PENDING_APPROVAL  # now over the limit: finance must agree
    assert reasons_of(order) == ["credit_limit"]
    assert services.order_approve(order=order, actor=finance).status == Status.CONFIRMED


def test_customer_credit_hold_blocks_confirmation_and_is_audited(
    company, admin, rep, manager, finance, customer, products
):
    with pytest.raises(PermissionDenied):
        customer_services.customer_credit_hold(customer=customer, actor=manager, reason="x")
    customer_services.customer_credit_hold(
        customer=customer, actor=finance, reason="unpaid since May"
    )
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    with pytest.raises(CustomerOnCreditHold):
        services.order_submit(order=order, actor=rep)
    customer_services.customer_credit_release(customer=customer, actor=finance)
    assert services.order_submit(order=order, actor=rep).status == Status.CONFIRMED
    actions = AuditEntry.objects.for_company(company).filter(entity_id=str(customer.pk))
    assert {"credit_hold", "credit_release"} <= set(actions.values_list("action", flat=True))


def test_order_credit_hold_is_released_by_finance_only_and_rechecked(
    company, admin, rep, manager, finance, customer, products
):
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])
    with pytest.raises(PermissionDenied):
        services.order_hold(order=order, actor=manager, reason="check", credit=True)
    order = services.order_hold(order=order, actor=finance, reason="overdue", credit=True)
    with pytest.raises(CreditHoldRelease):
        services.order_release(order=order, actor=manager)
    company.credit_policy = CreditPolicy.BLOCK
    company.save()
    limit(customer, admin, "100")
    with pytest.raises(CreditLimitExceeded):
        services.order_release(order=fresh(order), actor=finance)
    limit(customer, admin, "1000")
    assert services.order_release(order=fresh(order), actor=finance).status == Status.CONFIRMED


@pytest.mark.parametrize("policy", [CreditPolicy.BLOCK, CreditPolicy.APPROVAL])
def test_bypass_close_create_resume(company, admin, rep, manager, customer, products, policy):
    """Close an order to free credit, confirm another in that room, then resume the first:
    the resume is checked like a new confirmation."""
    company.credit_policy = policy
    company.save()
    limit(customer, admin, "150")
    first = submit(company, rep, customer, [{"product": products[0], "quantity": 10}])  # 113
    assert first.status == Status.CONFIRMED
    services.order_close(order=first, actor=manager)
    second = submit(company, rep, customer, [{"product": products[0], "quantity": 5}])  # 56.50
    assert second.status == Status.CONFIRMED
    if policy == CreditPolicy.BLOCK:
        with pytest.raises(CreditLimitExceeded):
            services.order_resume(order=fresh(first), actor=manager)
        assert fresh(first).status == Status.CLOSED
    else:
        resumed = services.order_resume(order=fresh(first), actor=manager)
        assert resumed.status == Status.PENDING_APPROVAL
        assert reasons_of(resumed) == ["credit_limit"]


def test_resume_reopens_closed_quantities(company, rep, manager, customer, products):
    order = submit(company, rep, customer, [{"product": products[0], "quantity": 4}])
    services.order_close(order=order, actor=manager)
    order = services.order_resume(order=fresh(order), actor=manager)
    assert order.status == Status.CONFIRMED
    assert SalesOrderLine.objects.for_company(company).get(order=order).qty_closed == 0
