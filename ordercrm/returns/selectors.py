"""Reads of returns, scoped to what the caller may see (the RMA's order must be visible):
lists, one RMA, its lines, receipts and settlements, what can still be returned per order
line, and the actions the caller may take now."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.money import ZERO
from ordercrm.core.permissions import Perm
from ordercrm.returns import workflow
from ordercrm.returns.models import (
    ReturnAuthorization,
    ReturnAuthorizationLine,
    RmaReceipt,
    RmaSettlement,
)
from ordercrm.returns.workflow import Decision, Status
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine

# Orders goods can come back on: confirmed or finished (not drafts, quotations, cancelled).
RETURNABLE_ORDERS = frozenset({"confirmed", "on_hold", "completed", "closed"})
# RMAs whose lines still hold quantities (not received yet, or refunds not credited yet).
HOLDING = frozenset({Status.REQUESTED, Status.APPROVED, Status.RECEIVED})


def rma_list(
    access: Access,
    *,
    status: str | None = None,
    order_id=None,
    case_id=None,
    customer_id=None,
    search: str = "",
) -> QuerySet[ReturnAuthorization]:
    """RMAs of orders the caller may see, newest first; ``case_id``: those of one case;
    ``customer_id``: one customer's (the customer 360's return history)."""
    access.require(Perm.ORDER_VIEW)
    visible = sales_selectors.order_list(access).values("pk")
    rmas = (
        ReturnAuthorization.objects.for_company(access.company)
        .filter(order_id__in=visible)
        .select_related("order", "customer")
    )
    if status:
        rmas = rmas.filter(status=status)
    if order_id:
        rmas = rmas.filter(order_id=parse_id(order_id))
    if case_id:
        rmas = rmas.filter(case_id=parse_id(case_id))
    if customer_id:
        rmas = rmas.filter(customer_id=parse_id(customer_id))
    if search:
        rmas = rmas.filter(number__icontains=search) | rmas.filter(customer__name__icontains=search)
    return rmas.order_by("-created_at", "-id")


def rma_get(access: Access, rma_id) -> ReturnAuthorization:
    rma = rma_list(access).filter(pk=parse_id(rma_id)).first()
    if rma is None:
        raise NotFound(details={"rma_id": str(rma_id)})
    return rma


def rma_lines(rma: ReturnAuthorization) -> list[ReturnAuthorizationLine]:
    """The lines, in order; each knows its RMA (``repair_state`` reads its status)."""
    lines = list(
        ReturnAuthorizationLine.objects.for_company(rma.company_id)
        .filter(rma=rma)
        .select_related("order_line", "order_line__unit", "product")
        .order_by("position")
    )
    for line in lines:
        line.rma = rma
    return lines


def repair_lines_of(rmas) -> dict:
    """The repair lines of these RMAs, ``{rma id: [line, …]}``, each with its RMA set (the
    case page shows where each repaired item is). One query."""
    return lines_of(rmas, decision=Decision.REPAIR)


def lines_of(rmas, *, decision: str | None = None) -> dict:
    """The lines of these RMAs (of one decision), ``{rma id: [line, …]}`` in position order,
    each with its RMA set. One query."""
    by_id = {rma.pk: rma for rma in rmas}
    found: dict = {}
    if not by_id:
        return found
    company_id = next(iter(by_id.values())).company_id
    rows = ReturnAuthorizationLine.objects.for_company(company_id).filter(rma_id__in=list(by_id))
    if decision:
        rows = rows.filter(decision=decision)
    for line in rows.select_related("product").order_by("rma_id", "position"):
        line.rma = by_id[line.rma_id]
        found.setdefault(line.rma_id, []).append(line)
    return found


def rma_receipts(rma: ReturnAuthorization) -> list[RmaReceipt]:
    return list(
        RmaReceipt.objects.for_company(rma.company_id)
        .filter(rma=rma)
        .select_related("receipt", "receipt__warehouse", "receipt__shipment")
    )


def rma_settlements(rma: ReturnAuthorization) -> list[RmaSettlement]:
    return list(
        RmaSettlement.objects.for_company(rma.company_id)
        .filter(rma=rma)
        .select_related("invoice", "shipment", "refund", "refund__payment")
    )


def return_receipts(access: Access):
    """Return receipts booked for RMAs the caller may see, newest first."""
    return (
        RmaReceipt.objects.for_company(access.company)
        .filter(rma__in=rma_list(access).values("pk"))
        .select_related("rma", "receipt", "receipt__warehouse", "receipt__shipment")
        .order_by("-created_at", "-id")
    )


def return_receipt_get(access: Access, receipt_id) -> RmaReceipt:
    found = return_receipts(access).filter(receipt_id=parse_id(receipt_id)).first()
    if found is None:
        raise NotFound(details={"receipt_id": str(receipt_id)})
    return found


def held_quantities(order: SalesOrder, *, exclude=None) -> dict:
    """Per order line, what RMAs still hold: not yet received on accepted lines of open RMAs."""
    rows = (
        ReturnAuthorizationLine.objects.for_company(order.company_id)
        .filter(rma__order=order, rma__status__in=HOLDING)
        .exclude(decision=Decision.REJECT)
    )
    if exclude is not None:
        rows = rows.exclude(rma=exclude)
    return {
        row["order_line_id"]: row["held"] or ZERO
        for row in rows.values("order_line_id").annotate(
            held=Sum(F("quantity") - F("qty_received"))
        )
    }


def refund_held(order: SalesOrder, *, exclude=None) -> dict:
    """Per order line, refund quantities of live RMAs not credited yet."""
    rows = ReturnAuthorizationLine.objects.for_company(order.company_id).filter(
        rma__order=order, rma__status__in=HOLDING, decision=Decision.REFUND
    )
    if exclude is not None:
        rows = rows.exclude(rma=exclude)
    return {
        row["order_line_id"]: row["held"] or ZERO
        for row in rows.values("order_line_id").annotate(held=Sum(F("quantity") - F("qty_settled")))
    }


def line_returnable(line: SalesOrderLine, held: Decimal) -> Decimal:
    """Shipped − returned − held by open RMAs (never below zero)."""
    return max(line.qty_shipped - line.qty_returned - held, ZERO)


def returnable(order: SalesOrder, lines: list[SalesOrderLine] | None = None) -> dict:
    """``{order_line_id: quantity}`` that can still be returned, goods lines only."""
    lines = lines if lines is not None else sales_selectors.order_lines(order)
    held = held_quantities(order)
    return {
        line.pk: line_returnable(line, held.get(line.pk, ZERO))
        for line in lines
        if line.kind == LineKind.PRODUCT
    }


def rma_actions(access: Access, rma: ReturnAuthorization, lines=None) -> list[str]:
    """The actions the caller may take on the RMA now (the services' own rules)."""
    lines = lines if lines is not None else rma_lines(rma)
    states = [line.state for line in lines]
    names = []
    for row in workflow.TABLE:
        if not row.allowed(rma.status) or not access.can(row.permission):
            continue
        if row is workflow.CANCEL and any(s.received > 0 for s in states):
            continue
        if row is workflow.RECEIVE and not any(workflow.line_to_receive(s) for s in states):
            continue
        if row is workflow.CREDIT and not any(
            workflow.line_to_settle(s, workflow.CREDITED) for s in states
        ):
            continue
        if row is workflow.REPLACE and not any(
            workflow.line_to_settle(s, workflow.SENT_AGAIN) for s in states
        ):
            continue
        names.append(row.name)
    return names


def order_rma_summary(access: Access, order: SalesOrder) -> list[ReturnAuthorization]:
    """The RMAs of one visible order (for the order page)."""
    return list(rma_list(access, order_id=order.pk))


def advance_payments(order: SalesOrder):
    """The order's payments (advances) with credit neither allocated nor refunded, in the
    order's currency, oldest first: what a refund of uninvoiced returned units is paid
    back from."""
    from ordercrm.billing.models import Payment

    return (
        Payment.objects.for_company(order.company_id)
        .filter(
            order=order,
            currency=order.currency,
            voided_at__isnull=True,
            amount__gt=F("amount_allocated") + F("amount_refunded"),
        )
        .order_by("received_on", "number")
    )
