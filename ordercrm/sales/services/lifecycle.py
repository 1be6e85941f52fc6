"""Lifecycle transitions of an order: submit, hold and release, request changes, short-close and
resume, cancel, and completion once shipped, invoiced and paid.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from ordercrm.accounts.access import access_for
from ordercrm.core import events
from ordercrm.core.permissions import Perm
from ordercrm.sales import approvals, counters, hooks, locks, progress, workflow
from ordercrm.sales.exceptions import (
    CancelAfterShipment,
    CreditHoldRelease,
    EmptyOrder,
    InvalidTransition,
    ReasonRequired,
)
from ordercrm.sales.models import (
    ApprovalStatus,
    LineKind,
    OrderComment,
    OrderRevision,
    SalesOrder,
    SalesOrderLine,
)
from ordercrm.sales.services._steps import (
    _begin,
    _check_not_blocked,
    _confirm,
    _credit_gate,
    _lock_customer,
    _move,
)
from ordercrm.sales.services.approval import _close_pending, _my_approvals, _request_approval
from ordercrm.sales.services.lines import (
    _apply_totals,
    _company_today,
    _lines_of,
    _snapshot,
    _take_exchange_rate,
)
from ordercrm.sales.services.stock import _release_all, _reserve_open
from ordercrm.sales.workflow import Status


@transaction.atomic
def order_submit(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Submit a draft: with approval reasons it waits in ``pending_approval`` (the reasons are
    kept in ``status_reason``), else it is confirmed at once. A repeated submit changes nothing."""
    locked, done = _begin(order, actor, workflow.SUBMIT, version)
    if done:
        return locked
    lines = _lines_of(locked)
    if not any(line.kind == LineKind.PRODUCT and line.quantity > 0 for line in lines):
        raise EmptyOrder()
    _take_exchange_rate(locked)  # the approval rules look at company-currency amounts
    _apply_totals(locked, lines)
    _lock_customer(locked)
    _check_not_blocked(locked)  # before any approval is asked for
    locked.submitted_at, locked.submitted_by = timezone.now(), actor
    _credit_gate(locked)  # the block policy refuses before anything else
    evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
    if evaluation.reasons:
        _request_approval(locked, actor, evaluation, lines, action=workflow.SUBMIT)
    else:
        locked.status_reason = ""
        events.emit(
            type=workflow.SUBMIT.event,
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "reasons": []},
        )
        _confirm(locked, actor, workflow.SUBMIT)
    return locked


@transaction.atomic
def order_hold(
    *, order: SalesOrder, actor, reason: str, version: int | None = None, credit: bool = False
) -> SalesOrder:
    """Pause a confirmed order (nothing ships). ``credit``: a credit hold by finance, which
    only finance may release."""
    locked, done = _begin(order, actor, workflow.HOLD, version)
    if done:
        return locked
    if credit:
        access_for(actor, locked.company).require(Perm.CREDIT_CONTROL)
    if not reason.strip():
        raise ReasonRequired()
    locked.hold_reason, locked.credit_hold = reason.strip(), credit
    _move(
        locked,
        actor,
        workflow.HOLD,
        changes={"hold_reason": [None, locked.hold_reason], "credit_hold": [False, credit]},
        payload={"reason": locked.hold_reason, "credit": credit},
    )
    return locked


def _recheck(locked: SalesOrder, actor, action: workflow.OrderAction) -> bool:
    """Before an order becomes confirmed again (release, resume): the customer's credit hold,
    the credit limit and, if the content changed since its approval, the rules. Returns
    False when the order went to pending approval instead."""
    _lock_customer(locked)
    lines = _lines_of(locked)
    _apply_totals(locked, lines)
    credit = _credit_gate(locked)
    evaluation = approvals.Evaluation()
    if approvals.fingerprint(locked, lines) != locked.approval_fingerprint:
        evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
    elif credit:
        evaluation.add(credit, approvals.DEFAULT_STEPS["credit_limit"])
    if evaluation.reasons:
        _request_approval(locked, actor, evaluation, lines, action=action)
        return False
    return True


@transaction.atomic
def order_release(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Lift a hold. Credit holds need finance. The credit position is checked again: over the
    limit the order is refused (block policy) or waits for approval (approval policy)."""
    locked, done = _begin(order, actor, workflow.RELEASE, version)
    if done:
        return locked
    if locked.credit_hold and not access_for(actor, locked.company).can(Perm.CREDIT_CONTROL):
        raise CreditHoldRelease()
    locked.hold_reason, locked.credit_hold = "", False
    if _recheck(locked, actor, workflow.RELEASE):
        _move(locked, actor, workflow.RELEASE)  # confirmed again: _move calls the hook
    return locked


@transaction.atomic
def order_request_changes(
    *, order: SalesOrder, actor, comment: str, version: int | None = None
) -> SalesOrder:
    """An approver sends a pending order back to draft with what to change."""
    locked, done = _begin(order, actor, workflow.REQUEST_CHANGES, version)
    if done:
        return locked
    if not comment.strip():
        raise ReasonRequired()
    _my_approvals(locked, actor, required=False)
    _close_pending(locked, actor, ApprovalStatus.VOID, comment.strip())
    OrderComment.objects.create(
        company_id=locked.company_id, order=locked, author=actor, text=comment.strip()
    )
    locked.status_reason = comment.strip()
    _move(
        locked,
        actor,
        workflow.REQUEST_CHANGES,
        changes={"comment": [None, comment.strip()]},
        payload={"comment": comment.strip()},
    )
    return locked


@transaction.atomic
def order_resume(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Undo a short-close: what was closed is open again, stock is reserved again, and the
    credit position is checked as for a new confirmation."""
    locked, done = _begin(order, actor, workflow.RESUME, version)
    if done:
        return locked
    SalesOrderLine.objects.for_company(locked.company_id).filter(order=locked).update(qty_closed=0)
    counters.order_progress_store(locked)
    if _recheck(locked, actor, workflow.RESUME):
        _reserve_open(locked, _lines_of(locked))
        _move(locked, actor, workflow.RESUME)  # confirmed again: _move calls the hook
    return locked


@transaction.atomic
def order_cancel(
    *,
    order: SalesOrder,
    actor,
    reason: str = "",
    version: int | None = None,
    credit_invoices: bool = False,
) -> SalesOrder:
    """Cancel an order on which nothing has shipped (else ``sales.cancel_after_shipment``).

    In the same transaction: reservations are released and ``sales.hooks.after_order_cancelled``
    lets the layers above settle what hangs on the order — draft shipments are cancelled; issued
    invoices that are not fully credited refuse the cancel (``sales.cancel_has_invoices``)
    unless ``credit_invoices`` (finance: ``invoice_edit``) credits them in full; draft
    invoices are cancelled; advances paid on the order become customer credit."""
    locked, done = _begin(order, actor, workflow.CANCEL, version)
    if done:
        return locked
    shipped = (
        SalesOrderLine.objects.for_company(locked.company_id)
        .filter(order=locked)
        .aggregate(total=Sum("qty_shipped"))["total"]
    )
    if shipped:
        raise CancelAfterShipment()
    # the customer before stock levels (``sales.locks``): billing settles its balances after
    # the release
    _lock_customer(locked, check_hold=False)
    _release_all(locked)
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        workflow.CANCEL,
        changes={"reason": [None, reason.strip()]},
    )
    hooks.after_order_cancelled(order=locked, actor=actor, credit_invoices=credit_invoices)
    return locked


@transaction.atomic
def order_close(
    *, order: SalesOrder, actor, reason: str = "", version: int | None = None
) -> SalesOrder:
    """Short-close: whatever has not shipped will not ship (``qty_closed`` takes the rest)."""
    locked, done = _begin(order, actor, workflow.CLOSE, version)
    if done:
        return locked
    _release_all(locked)
    SalesOrderLine.objects.for_company(locked.company_id).filter(order=locked).update(
        qty_closed=F("quantity") - F("qty_shipped") + F("qty_replaced") + F("qty_over_delivered")
    )
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        workflow.CLOSE,
        changes={"reason": [None, reason.strip()]},
    )
    return locked


@transaction.atomic
def order_reset_to_draft(
    *, order: SalesOrder, actor, reason: str = "", version: int | None = None
) -> SalesOrder:
    """Set a cancelled order back to draft, as a new revision, to be changed and submitted
    again (``workflow.RESET_TO_DRAFT``: needs ``order_cancel``; on a draft it does nothing;
    from any other status ``sales.invalid_transition``).

    What a confirmation fixed is undone (the approval it was bound to, the exchange rate unless
    set by hand, who submitted and confirmed); a validity date already past starts again from
    today; the number stays. The old shipments stay cancelled and its invoices as they are; new
    shipments take the order's data as it is when they are made. The revision keeps what the
    order looked like (``OrderRevision``, with the reason)."""
    locked, done = _begin(order, actor, workflow.RESET_TO_DRAFT, version)
    if done:
        return locked
    lines = _lines_of(locked)
    _close_pending(locked, actor, ApprovalStatus.VOID, reason.strip())
    today = _company_today(locked.company)
    before_valid = locked.valid_until
    days = locked.company.quotation_validity_days
    if locked.valid_until and locked.valid_until < today:
        locked.valid_until = today + datetime.timedelta(days=days) if days else None
    if not locked.exchange_rate_overridden:
        locked.exchange_rate = None
    locked.approval_fingerprint = ""
    locked.submitted_at = locked.submitted_by = None
    locked.confirmed_at = locked.confirmed_by = None
    locked.services_only = False
    old_revision = locked.revision
    locked.revision += 1
    locked.status_reason = ""
    OrderRevision.objects.create(
        company_id=locked.company_id,
        order=locked,
        revision=locked.revision,
        snapshot=_snapshot(locked, lines),
        diff={"status": [Status.CANCELLED, Status.DRAFT]},
        reason=reason.strip(),
        created_by=actor,
    )
    _move(
        locked,
        actor,
        workflow.RESET_TO_DRAFT,
        changes={
            "revision": [old_revision, locked.revision],
            "reason": [None, reason.strip()],
            **(
                {"valid_until": [str(before_valid), str(locked.valid_until)]}
                if before_valid != locked.valid_until
                else {}
            ),
        },
        payload={"revision": locked.revision},
    )
    return locked


@transaction.atomic
def order_reactivate(*, order: SalesOrder, actor=None) -> SalesOrder:
    """A completed order owes goods again (``returns``: a replacement or a repaired item):
    it is confirmed again, so it reserves and ships like any other. A confirmed order is left
    as it is; other statuses refuse (``sales.invalid_transition``). Run by the system under
    the caller's authority (the return's), so no permission is checked here."""
    locked = locks.lock_order(order)
    if workflow.REACTIVATE.already_done(locked.status):
        return locked
    if not workflow.REACTIVATE.allowed(locked.status):
        raise InvalidTransition(
            params={"status": Status(locked.status).label},
            details={"status": locked.status, "action": workflow.REACTIVATE.name},
        )
    _move(locked, actor, workflow.REACTIVATE)
    return locked


def order_complete_if_done(*, order: SalesOrder, actor=None) -> bool:
    """Complete a confirmed order once it is fully shipped, fully invoiced and paid.

    Run by ``sales.hooks`` after a dispatch or an invoicing confirmation, and by billing after
    a payment, credit or cancelled invoice. Returns whether it completed.
    """
    locked = locks.lock_order(order)
    if locked.status != Status.CONFIRMED:
        return False
    if progress.state_of(locked, _lines_of(locked)).done:
        _move(locked, actor, workflow.COMPLETE)
        return True
    return False
