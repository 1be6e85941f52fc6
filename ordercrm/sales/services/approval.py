"""Approval decisions: the approval request an evaluation asks for, approve (level by level),
reject and reopen a rejected order.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ordercrm.accounts.access import access_for
from ordercrm.core import audit, events
from ordercrm.sales import approvals, workflow
from ordercrm.sales.exceptions import ApprovalVoid, NotAnApprover, ReasonRequired, SelfApproval
from ordercrm.sales.models import ApprovalStatus, OrderApproval, OrderComment, SalesOrder
from ordercrm.sales.services._steps import (
    _begin,
    _confirm,
    _credit_gate,
    _lock_customer,
    _move,
    _move_to_approval,
)
from ordercrm.sales.services.lines import (
    _apply_totals,
    _company_today,
    _lines_of,
    _take_exchange_rate,
)
from ordercrm.sales.workflow import OrderEvent


def _request_approval(
    order: SalesOrder,
    actor,
    evaluation: approvals.Evaluation,
    lines,
    *,
    action: workflow.OrderAction,
    event: str | None = None,
    changes: dict | None = None,
) -> None:
    """Record the approvals an evaluation asks for and move the order to pending approval
    (the audit entry is the action's; the event is the action's unless ``event`` says)."""
    import json

    digest = approvals.fingerprint(order, lines)
    OrderApproval.objects.for_company(order.company_id).filter(
        order=order, status=ApprovalStatus.PENDING
    ).update(status=ApprovalStatus.VOID)
    OrderApproval.objects.bulk_create(
        [
            OrderApproval(
                company_id=order.company_id,
                order=order,
                revision=order.revision,
                fingerprint=digest,
                level=level,
                role=role,
                approver_ids=list(approver_ids),
                reasons=kinds,
            )
            for (level, role, approver_ids), kinds in sorted(evaluation.steps.items())
        ]
    )
    order.status_reason = json.dumps(evaluation.reasons, ensure_ascii=False)
    _move_to_approval(
        order,
        actor,
        action,
        event=event,
        changes={"reasons": evaluation.reasons, **(changes or {})},
        payload={"reasons": evaluation.reasons, **(changes or {})},
    )


def _my_approvals(
    order: SalesOrder, actor, *, required: bool = True
) -> tuple[list[OrderApproval], list[OrderApproval]]:
    """The pending approvals of the order's current level, and those ``actor`` may give.

    Raises ``sales.not_an_approver`` when the actor may give none of them (with
    ``required=False`` an order without recorded approvals lets any approver decide)."""
    level = approvals.current_level(order)
    mine = approvals.decidable(access_for(actor, order.company), level)
    if not mine and (required or level):
        raise NotAnApprover()
    return level, mine


@transaction.atomic
def order_approve(
    *, order: SalesOrder, actor, version: int | None = None, comment: str = ""
) -> SalesOrder:
    """Give the approvals of the current level that ``actor`` may give; when none remain,
    the order is confirmed (credit and stock are checked again in this transaction).

    Refused: approving one's own order unless the company allows it (``sales.self_approval``),
    approving a step meant for someone else (``sales.not_an_approver``), and approving an
    order whose content changed since submission (``sales.approval_void``; it goes back to
    draft)."""
    locked, done = _begin(order, actor, workflow.APPROVE, version)
    if done:
        return locked
    if not locked.company.allow_self_approval and actor.pk in (
        locked.submitted_by_id,
        locked.salesperson_id,
    ):
        raise SelfApproval()
    level, mine = _my_approvals(locked, actor)
    lines = _lines_of(locked)
    rate_before = locked.exchange_rate
    if _take_exchange_rate(locked):
        # Finance changed the table's rate for the order date since submission: the amounts
        # the approvers were shown are not those that would be fixed, so the rules run again.
        _lock_customer(locked)
        _apply_totals(locked, lines)
        evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
        if not evaluation.reasons:
            _confirm(locked, actor, workflow.APPROVE)
            return locked
        _request_approval(
            locked,
            actor,
            evaluation,
            lines,
            action=workflow.APPROVE,
            event=OrderEvent.APPROVAL_STEP,
            changes={"exchange_rate": [str(rate_before), str(locked.exchange_rate)]},
        )
        return locked
    if any(a.fingerprint != approvals.fingerprint(locked, lines) for a in level):
        raise ApprovalVoid()
    now = timezone.now()
    for approval in mine:
        approval.status, approval.decided_by, approval.decided_at = (
            ApprovalStatus.APPROVED,
            actor,
            now,
        )
        approval.comment = comment
    OrderApproval.objects.for_company(locked.company_id).bulk_update(
        mine, ["status", "decided_by", "decided_at", "comment"]
    )
    if comment:
        OrderComment.objects.create(
            company_id=locked.company_id, order=locked, author=actor, text=comment
        )
    given = [{"level": a.level, "role": a.role, "reasons": a.reasons} for a in mine]
    audit.record(actor=actor, entity=locked, action="approve_step", changes={"approved": given})
    still_pending = OrderApproval.objects.for_company(locked.company_id).filter(
        order=locked, status=ApprovalStatus.PENDING
    )
    if still_pending.exists():
        locked.version += 1
        locked.save()
        events.emit(
            type=OrderEvent.APPROVAL_STEP,
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "approved": given, "comment": comment},
        )
        return locked
    # Last approval: the credit position may have moved since submission.
    _lock_customer(locked)
    _apply_totals(locked, lines)
    credit = _credit_gate(locked)
    approved_kinds = {
        kind
        for reasons in OrderApproval.objects.for_company(locked.company_id)
        .filter(order=locked, status=ApprovalStatus.APPROVED, fingerprint=level[0].fingerprint)
        .values_list("reasons", flat=True)
        for kind in reasons
    }
    if credit and "credit_limit" not in approved_kinds:
        evaluation = approvals.Evaluation()
        evaluation.add(credit, approvals.DEFAULT_STEPS["credit_limit"])
        _request_approval(
            locked,
            actor,
            evaluation,
            lines,
            action=workflow.APPROVE,
            event=OrderEvent.APPROVAL_STEP,
        )
        return locked
    _confirm(locked, actor, workflow.APPROVE)
    events.emit(
        type=workflow.APPROVE.event,
        entity=locked,
        actor=actor,
        payload={
            "number": locked.number,
            "reasons": sorted(approved_kinds),
            "comment": comment,
        },
    )
    return locked


def _close_pending(order: SalesOrder, actor, status: str, comment: str) -> None:
    """Every approval still pending on ``order`` ends with ``status``, decided by ``actor`` with
    ``comment``: a rejection or a request for changes closes the whole round, every level."""
    OrderApproval.objects.for_company(order.company_id).filter(
        order=order, status=ApprovalStatus.PENDING
    ).update(status=status, decided_by=actor, decided_at=timezone.now(), comment=comment)


@transaction.atomic
def order_reject(
    *, order: SalesOrder, actor, reason: str, version: int | None = None
) -> SalesOrder:
    locked, done = _begin(order, actor, workflow.REJECT, version)
    if done:
        return locked
    if not reason.strip():
        raise ReasonRequired()
    _my_approvals(locked, actor, required=False)
    _close_pending(locked, actor, ApprovalStatus.REJECTED, reason.strip())
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        workflow.REJECT,
        changes={"reason": [None, reason.strip()]},
        payload={"reason": reason.strip()},
    )
    return locked


@transaction.atomic
def order_reopen(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """A rejected order goes back to draft for changes."""
    locked, done = _begin(order, actor, workflow.REOPEN, version)
    if not done:
        _move(locked, actor, workflow.REOPEN)
    return locked
