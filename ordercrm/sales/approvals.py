"""Why an order needs approval and whose: rule evaluation, credit exposure, the fingerprint.

Each fired rule gives a *reason* (a dict with the rule's kind, name and the figures it looked
at, so the approver sees why) and its steps. Evaluation reads a fixed number of rows whatever
the number of lines. Credit exposure is computed from one aggregate over the customer's open
orders plus the receivable balances billing keeps on the customer row, which the caller has
locked, so two confirmations cannot both pass the same limit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from ordercrm.accounts.roles import Role
from ordercrm.catalog.models import Product
from ordercrm.catalog.selectors import exchange_rate_on
from ordercrm.core.models import CreditPolicy
from ordercrm.core.money import ZERO, plain, round_money
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.services import warehouses_in_order
from ordercrm.sales.models import (
    ApprovalRule,
    ApprovalRuleStep,
    ApprovalStatus,
    LineKind,
    OrderApproval,
    RuleKind,
    SalesOrder,
    SalesOrderLine,
)

# Who approves when a reason comes from a company setting rather than a configured rule.
DEFAULT_STEPS = {
    RuleKind.ORDER_TOTAL: [("", ())],  # anyone who may approve orders
    RuleKind.CREDIT_LIMIT: [(Role.FINANCE, ())],
    RuleKind.EXCHANGE_RATE: [(Role.FINANCE, ())],
}
# Rules checked on every order from company data, whether or not a rule row exists; a rule row
# of the kind only chooses who approves.
BUILT_IN = (RuleKind.CREDIT_LIMIT, RuleKind.EXCHANGE_RATE)


@dataclass(frozen=True)
class Step:
    level: int
    role: str
    approver_ids: tuple[str, ...]


@dataclass
class Evaluation:
    reasons: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[tuple, list[str]] = field(default_factory=dict)  # Step key → reason kinds

    def add(self, reason: dict[str, Any], steps: list[tuple[str, tuple]]) -> None:
        self.reasons.append(reason)
        for level, (role, approvers) in enumerate(steps, start=1):
            key = (level, role, tuple(sorted(str(a) for a in approvers)))
            self.steps.setdefault(key, []).append(reason["rule"])


# ---------------------------------------------------------------- fingerprint


def fingerprint(order: SalesOrder, lines: list[SalesOrderLine]) -> str:
    """A digest of everything the rules look at on the order itself: customer, currency and
    rate, discounts, warehouse, and each line's product, quantity, price and tax. Credit and
    stock are re-checked at confirmation instead, because they change without the order."""
    content = {
        "customer": str(order.customer_id),
        "currency": order.currency,
        "rate": plain(order.exchange_rate) if order.exchange_rate else "",
        "discount": plain(order.discount_percent),
        "warehouse": str(order.warehouse_id or ""),
        "lines": [
            [
                str(line.product_id or ""),
                line.kind,
                plain(line.quantity),
                plain(line.unit_price),
                plain(line.discount_percent),
                plain(line.tax_percent),
            ]
            for line in sorted(lines, key=lambda line: line.position)
        ],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- credit


def credit_exposure(order: SalesOrder) -> Decimal:
    """The customer's exposure in company currency if ``order`` is confirmed too:
    confirmed orders not yet invoiced (this one included) + unpaid invoices − unallocated
    advances. Read after locking the customer row."""
    customer = order.customer
    uninvoiced = ExpressionWrapper(
        F("company_gross_total") - F("amount_invoiced") * F("exchange_rate"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    others = (
        SalesOrder.objects.for_company(order.company_id)
        .committed()
        .filter(customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .aggregate(total=Sum(uninvoiced))["total"]
        or ZERO
    )
    this = (order.company_gross_total or ZERO) - order.amount_invoiced * (
        order.exchange_rate or Decimal(1)
    )
    total = Decimal(others) + this + customer.receivable_balance - customer.advance_balance
    return round_money(total, order.company.base_currency)


def customer_exposure(customer) -> Decimal:
    """The customer's exposure now, in company currency (no order added)."""
    uninvoiced = ExpressionWrapper(
        F("company_gross_total") - F("amount_invoiced") * F("exchange_rate"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    open_orders = (
        SalesOrder.objects.for_company(customer.company_id)
        .committed()
        .filter(customer_id=customer.pk)
        .aggregate(total=Sum(uninvoiced))["total"]
        or ZERO
    )
    total = Decimal(open_orders) + customer.receivable_balance - customer.advance_balance
    return round_money(total, customer.company.base_currency)


def credit_reason(order: SalesOrder) -> dict[str, Any] | None:
    limit = order.customer.credit_limit
    if limit is None or order.company.credit_policy == CreditPolicy.OFF:
        return None
    exposure = credit_exposure(order)
    if exposure <= limit:
        return None
    return {
        "rule": RuleKind.CREDIT_LIMIT,
        "name": str(RuleKind.CREDIT_LIMIT.label),
        "exposure": plain(exposure),
        "limit": plain(limit),
        "over_by": plain(exposure - limit),
    }


# ---------------------------------------------------------------- exchange rate


def exchange_rate_reason(order: SalesOrder) -> dict[str, Any] | None:
    """A rate set by hand on a foreign-currency order that differs from the company rate
    table's rate for the order date by more than ``Company.exchange_rate_tolerance`` (%).
    With no table rate to compare with, a hand-set rate always needs approval. Rates taken
    from the table are the table's, so they never fire."""
    company = order.company
    if (
        order.currency == company.base_currency
        or not order.exchange_rate_overridden
        or not order.exchange_rate
    ):
        return None
    table = exchange_rate_on(company, order.currency, order.order_date)
    tolerance = company.exchange_rate_tolerance
    reason: dict[str, Any] = {
        "rule": RuleKind.EXCHANGE_RATE,
        "name": str(RuleKind.EXCHANGE_RATE.label),
        "currency": order.currency,
        "rate": plain(order.exchange_rate),
        "table_rate": None,
        "table_date": None,
        "deviation_percent": None,
        "tolerance": plain(tolerance),
    }
    if table is not None:
        deviation = abs(order.exchange_rate - table.rate) / table.rate * 100
        if deviation <= tolerance:
            return None
        reason.update(
            table_rate=plain(table.rate),
            table_date=table.date.isoformat(),
            deviation_percent=plain(deviation.quantize(Decimal("0.01"))),
        )
    return reason


# ---------------------------------------------------------------- rules


def margin_percent(order: SalesOrder, lines: list[SalesOrderLine]) -> Decimal | None:
    net = sum((line.net for line in lines if line.kind == LineKind.PRODUCT), ZERO)
    if net <= 0:
        return None
    # line nets are after the order discount already (sales.calculations.line_base)
    cost = sum(
        (line.unit_cost * line.quantity for line in lines if line.kind == LineKind.PRODUCT),
        ZERO,
    )
    rate = order.exchange_rate or Decimal(1)
    net_company = net * rate
    return ((net_company - cost) / net_company * 100).quantize(Decimal("0.01"))


def stock_shortfall(order: SalesOrder, lines: list[SalesOrderLine]) -> list[dict[str, str]]:
    tracked = set(
        Product.objects.for_company(order.company_id)
        .filter(
            pk__in={line.product_id for line in lines if line.product_id}, is_stock_tracked=True
        )
        .values_list("pk", flat=True)
    )
    wanted: dict = {}
    for line in lines:
        if line.kind == LineKind.PRODUCT and line.product_id in tracked:
            wanted[line.product_id] = wanted.get(line.product_id, ZERO) + (
                line.open_quantity - line.qty_reserved
            )
    free = inventory_selectors.availability(
        order.company_id, wanted, warehouses_in_order(order.company, order.warehouse_id)
    )
    short = []
    for product_id, quantity in wanted.items():
        available = free[product_id].available if product_id in free else ZERO
        if quantity > available:
            short.append(
                {
                    "product_id": str(product_id),
                    "wanted": plain(quantity),
                    "available": plain(max(available, ZERO)),
                }
            )
    return short


def _is_new_customer(order: SalesOrder) -> bool:
    return (
        not SalesOrder.objects.for_company(order.company_id)
        .booked()
        .filter(customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .exists()
    )


def _check_rule(
    rule_kind: str,
    threshold: Decimal | None,
    order: SalesOrder,
    lines: list[SalesOrderLine],
    today: datetime.date,
) -> dict[str, Any] | None:
    """The reason ``rule_kind`` fires for this order, or None."""
    goods = [line for line in lines if line.kind == LineKind.PRODUCT]
    if rule_kind == RuleKind.ORDER_TOTAL and threshold is not None:
        total = order.company_gross_total or ZERO
        if total >= threshold:
            return {"total": plain(total), "threshold": plain(threshold)}
    elif rule_kind == RuleKind.LINE_DISCOUNT and threshold is not None:
        over = [
            {"position": line.position, "discount": plain(effective)}
            for line in goods
            if (
                effective := 100
                - (100 - line.discount_percent) * (100 - order.discount_percent) / 100
            )
            > threshold
        ]
        if over:
            return {"lines": over, "threshold": plain(threshold)}
    elif rule_kind == RuleKind.MARGIN and threshold is not None:
        margin = margin_percent(order, lines)
        if margin is not None and margin < threshold:
            return {"margin": plain(margin), "threshold": plain(threshold)}
    elif rule_kind == RuleKind.STOCK_SHORTFALL:
        short = stock_shortfall(order, lines)
        if short:
            return {"products": short}
    elif rule_kind == RuleKind.OVERDUE_INVOICES:
        due = order.customer.oldest_unpaid_due_date
        days = int(threshold or 0)
        if due is not None and (today - due).days > days:
            return {"days_overdue": (today - due).days, "threshold": days}
    elif rule_kind == RuleKind.NEW_CUSTOMER:
        if _is_new_customer(order):
            return {"customer": order.customer.name}
    elif rule_kind == RuleKind.BELOW_PRICE_LIST:
        # With a threshold (%), only prices more than that far below the price list fire.
        floor_share = (100 - (threshold or ZERO)) / 100
        below = [
            {
                "position": line.position,
                "unit_price": plain(line.unit_price),
                "list_price": plain(line.list_unit_price),
            }
            for line in goods
            # a negative price is a discount or rebate line, not a price below the list:
            # its effect is on the total and the margin, which their own rules look at
            if line.price_overridden
            and line.unit_price >= 0
            and line.unit_price < line.list_unit_price * floor_share
        ]
        if below:
            return {"lines": below, "threshold": plain(threshold) if threshold else None}
    return None


def evaluate(order: SalesOrder, lines: list[SalesOrderLine], today: datetime.date) -> Evaluation:
    """Every reason this order needs approval now, with the steps they ask for.

    Sources: the company's active rules; the company's simple total threshold; the credit
    check when the company policy is ``approval``; and, always (no rule switches it off), a
    hand-set exchange rate beyond the company's tolerance."""
    result = Evaluation()
    rules = list(ApprovalRule.objects.for_company(order.company_id).filter(is_active=True))
    steps_by_rule: dict = {}
    for step in (
        ApprovalRuleStep.objects.for_company(order.company_id)
        .filter(rule__in=rules)
        .prefetch_related("approvers")
        .order_by("rule_id", "position")
    ):
        steps_by_rule.setdefault(step.rule_id, []).append(
            (step.role, tuple(str(u.pk) for u in step.approvers.all()))
        )
    for rule in rules:
        if rule.kind in BUILT_IN:
            continue  # checked below from company data, with this rule's steps
        reason = _check_rule(rule.kind, rule.threshold, order, lines, today)
        if reason is not None:
            result.add(
                {"rule": rule.kind, "name": rule.name, "rule_id": str(rule.pk), **reason},
                steps_by_rule.get(rule.pk) or DEFAULT_STEPS[RuleKind.ORDER_TOTAL],
            )
    threshold = order.company.approval_threshold
    if threshold is not None:
        reason = _check_rule(RuleKind.ORDER_TOTAL, threshold, order, lines, today)
        if reason is not None:
            result.add(
                {"rule": RuleKind.ORDER_TOTAL, "name": str(RuleKind.ORDER_TOTAL.label), **reason},
                DEFAULT_STEPS[RuleKind.ORDER_TOTAL],
            )
    if order.company.credit_policy == CreditPolicy.APPROVAL:
        reason = credit_reason(order)
        if reason is not None:
            credit_rules = [r for r in rules if r.kind == RuleKind.CREDIT_LIMIT]
            steps = (
                steps_by_rule.get(credit_rules[0].pk) if credit_rules else None
            ) or DEFAULT_STEPS[RuleKind.CREDIT_LIMIT]
            result.add(reason, steps)
    reason = exchange_rate_reason(order)
    if reason is not None:
        rate_rules = [r for r in rules if r.kind == RuleKind.EXCHANGE_RATE]
        steps = (steps_by_rule.get(rate_rules[0].pk) if rate_rules else None) or DEFAULT_STEPS[
            RuleKind.EXCHANGE_RATE
        ]
        result.add(reason, steps)
    return result


def eligible(role: str | None, user_id: str, step_role: str, approver_ids: list[str]) -> bool:
    """Whether a member with ``role`` satisfies a step: named approvers, the step's role, or
    anyone who may approve orders when the step names neither. Administrators may approve
    any step (they answer for the company's rules)."""
    if role is None:
        return False
    if role == Role.ADMIN or user_id in approver_ids:
        return True
    if step_role:
        return role == step_role
    return not approver_ids


def current_level(order: SalesOrder) -> list[OrderApproval]:
    """The pending approvals of the order's current (lowest pending) level."""
    pending = list(
        OrderApproval.objects.for_company(order.company_id)
        .filter(order=order, status=ApprovalStatus.PENDING)
        .order_by("level", "created_at")
    )
    return [a for a in pending if a.level == pending[0].level] if pending else []


def decidable(access, level: list[OrderApproval]) -> list[OrderApproval]:
    """The approvals of ``level`` this member may give (:func:`eligible`). Who may decide a
    pending approval is this one rule, for the services, the order page's buttons, the
    approval inbox and who is told: the role is the one ``access`` holds, i.e. of an active
    membership of an active user; anyone else may give none."""
    if access.role is None:
        return []
    user_id = str(access.user.pk)
    return [a for a in level if eligible(access.role, user_id, a.role, a.approver_ids)]
