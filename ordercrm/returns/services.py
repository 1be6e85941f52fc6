"""Write use cases of returns: create an RMA (from an order or a case), approve, reject,
cancel, receive the goods (through ``fulfilment.services.return_receive``), and settle its
lines — refunds by credit notes against the invoice lines they return
(``billing.services.credit_note_create``), replacements and repaired items by a no-charge
shipment that reserves and ships like any other (``fulfilment.services.shipment_create``).

Every service locks the order first, then the RMA (``returns.locks``, in the order
``sales.locks`` documents), checks the workflow table (``returns.workflow``), writes, then
one audit entry and one outbox event. The order's counters move only through the services
below (returned: the receipt; credited: the credit note) and ``sales.counters``
(``order_lines_replace``: what is owed again). What can still be returned — shipped −
returned − open RMA quantities — is checked with the order's lines locked, so two RMAs
racing for the same units cannot both pass.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access, access_for
from ordercrm.billing import services as billing
from ordercrm.billing.models import InvoiceKind, InvoiceLine, InvoiceStatus
from ordercrm.core import audit, events
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.money import ZERO, plain
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import InvalidValue, RowErrors, clean_text, reason
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import ShipmentLine, ShipmentStatus
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import locks, selectors, workflow
from ordercrm.returns.exceptions import (
    InvalidTransition,
    NothingToDo,
    OrderNotReturnable,
    OverReturn,
    ReasonRequired,
    RefundNotInvoiced,
    StaleVersion,
    WrongDestination,
)
from ordercrm.returns.models import (
    Condition,
    ReturnAuthorization,
    ReturnAuthorizationLine,
    RmaReceipt,
    RmaSettlement,
    SettlementKind,
)
from ordercrm.returns.workflow import Decision, RmaEvent, Status
from ordercrm.sales import counters
from ordercrm.sales import locks as sales_locks
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.sales.models import LineKind, SalesOrder
from ordercrm.sales.workflow import Status as OrderStatus

CREDITABLE_INVOICES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


def _summary(lines) -> list[dict]:
    return [
        {
            "order_line_id": str(line.order_line_id),
            "quantity": str(line.quantity),
            "decision": line.decision,
        }
        for line in lines
    ]


def _text(errors: RowErrors, index: int, raw, field: str) -> str:
    try:
        return clean_text(raw or "", ReturnAuthorizationLine, field)
    except (InvalidValue, TypeError, ValueError) as error:
        errors.add(index, field, reason(error))
        return ""


def _parse_lines(order: SalesOrder, order_lines, raw_lines, *, exclude=None):
    """``[{"order_line_id", "quantity", "decision", "reason"}]`` → checked rows.

    Shape errors together (``core.validation_failed``, ``details.lines``); then, with the
    order's lines locked, each accepted quantity ≤ shipped − returned − what other open RMAs
    hold (``returns.over_returnable``) and each refund ≤ invoiced − credited − refunds not
    credited yet (``returns.refund_not_invoiced``)."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValidationFailed(details={"fields": {"lines": [_("Add at least one line.")]}})
    goods = {line.pk: line for line in order_lines if line.kind == LineKind.PRODUCT}
    errors = RowErrors()
    rows = []
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            errors.add(index, "order_line_id", _("Unknown order line."))
            continue
        line = errors.row(
            index, goods, raw.get("order_line_id"), "order_line_id", _("Unknown order line.")
        )
        quantity = errors.quantity(
            index, raw.get("quantity"), (ReturnAuthorizationLine, "quantity"), allow_zero=False
        )
        decision = raw.get("decision")
        if decision not in Decision.values:
            errors.add(index, "decision", _("Choose refund, replace, repair or reject."))
        text = _text(errors, index, raw.get("reason"), "reason")
        if line is not None and quantity is not None and decision in Decision.values:
            rows.append((index, line, quantity, decision, text))
    errors.raise_if_any()
    held = selectors.held_quantities(order, exclude=exclude)
    refunds = selectors.refund_held(order, exclude=exclude)
    # without an invoice, a refund is paid back from the order's advance, if it has one
    advance = any(True for _payment in selectors.advance_payments(order))
    over, not_invoiced = RowErrors(), RowErrors()
    for index, line, quantity, decision, _reason in rows:
        if decision == Decision.REJECT:
            continue
        room = selectors.line_returnable(line, held.get(line.pk, ZERO))
        if quantity > room:
            over.add(
                index,
                "quantity",
                _("At most %(quantity)s can still be returned.") % {"quantity": plain(room)},
            )
            continue
        held[line.pk] = held.get(line.pk, ZERO) + quantity
        if decision == Decision.REFUND:
            creditable = line.qty_invoiced - line.qty_credited - refunds.get(line.pk, ZERO)
            if advance:
                creditable += sales_selectors.line_to_invoice(order, line)
            if quantity > creditable:
                not_invoiced.add(
                    index,
                    "decision",
                    _("At most %(quantity)s invoiced can be refunded.")
                    % {"quantity": plain(max(creditable, ZERO))},
                )
                continue
            refunds[line.pk] = refunds.get(line.pk, ZERO) + quantity
    if over:
        raise OverReturn(details={"lines": over.rows})
    if not_invoiced:
        raise RefundNotInvoiced(details={"lines": not_invoiced.rows})
    return rows


@transaction.atomic
def rma_create(
    access: Access,
    order: SalesOrder,
    lines: list[dict[str, Any]],
    *,
    case_id=None,
    notes: str = "",
    return_instructions: str = "",
) -> ReturnAuthorization:
    """A return authorisation for lines of one order (``[{"order_line_id", "quantity",
    "decision", "reason"}]``), status ``requested``; ``case_id`` links the after-sales case
    it came from. Needs ``return_edit``; the order must be visible and confirmed or later
    (``returns.order_not_returnable``). Quantities are checked as :func:`_parse_lines` says,
    under the order's lock, so concurrent RMAs never hold more than was shipped."""
    access.require(Perm.RETURN_EDIT)
    actor = access.user
    locked = sales_locks.lock_order(order, access=access)
    if locked.status not in selectors.RETURNABLE_ORDERS:
        raise OrderNotReturnable(details={"status": locked.status})
    order_lines = sales_locks.lock_order_lines(locked)
    rows = _parse_lines(locked, order_lines, lines)
    try:
        notes = clean_text(notes or "", ReturnAuthorization, "notes")
        instructions = clean_text(
            return_instructions or "", ReturnAuthorization, "return_instructions"
        )
    except (InvalidValue, TypeError, ValueError) as error:
        raise ValidationFailed(details={"fields": {"notes": [reason(error)]}}) from error
    rma = ReturnAuthorization.objects.create(
        company_id=locked.company_id,
        number=next_number(company=locked.company, prefix="RMA", year=timezone.now().year),
        order=locked,
        customer_id=locked.customer_id,
        case_id=case_id,
        notes=notes,
        return_instructions=instructions,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    rma_lines = ReturnAuthorizationLine.objects.bulk_create(
        [
            ReturnAuthorizationLine(
                company_id=locked.company_id,
                rma=rma,
                position=position,
                order_line=line,
                product_id=line.product_id,
                description=line.description or (line.product.name if line.product else ""),
                quantity=quantity,
                decision=decision,
                reason=text,
            )
            for position, (_i, line, quantity, decision, text) in enumerate(rows, start=1)
        ]
    )
    summary = _summary(rma_lines)
    audit.record(
        actor=actor,
        entity=rma,
        action="create",
        changes={"order": locked.number, "lines": summary, "case_id": case_id},
    )
    events.emit(
        type=RmaEvent.CREATED,
        entity=rma,
        actor=actor,
        payload={
            "number": rma.number,
            "order_id": str(locked.pk),
            "order_number": locked.number,
            "case_id": str(case_id) if case_id else None,
            "lines": summary,
        },
    )
    return rma


def _begin(rma, actor, action: workflow.RmaAction, version: int | None):
    """Lock order then RMA, check permission, transition and version. Returns
    ``(rma, order, lines, done)``; ``done``: the action already took effect (a no-op)."""
    access = access_for(actor, rma.company)
    access.require(action.permission)
    locked, order = locks.lock_rma(rma, access=access)
    if version is not None and locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})
    if action.already_done(locked.status):
        return locked, order, None, True
    if not action.allowed(locked.status):
        raise InvalidTransition(
            params={"status": Status(locked.status).label},
            details={"status": locked.status, "action": action.name},
        )
    return locked, order, locks.lock_rma_lines(locked), False


def _finish(
    rma, order, lines, actor, action: workflow.RmaAction, *, target=None, changes=None, payload=None
):
    """Set the status (the action's target, or what the lines say), audit, event; and
    ``rma.closed`` once everything is settled."""
    old = rma.status
    new = target or action.target or old
    new = workflow.status_after(new, [line.state for line in lines])
    rma.status = new
    rma.version += 1
    rma.save()
    audit.record(
        actor=actor,
        entity=rma,
        action=action.name,
        changes={"status": [old, new], **(changes or {})},
    )
    base = {
        "number": rma.number,
        "status": new,
        "order_id": str(order.pk),
        "order_number": order.number,
        "case_id": str(rma.case_id) if rma.case_id else None,
    }
    events.emit(type=action.event, entity=rma, actor=actor, payload={**base, **(payload or {})})
    if new == Status.CLOSED and old != Status.CLOSED:
        events.emit(type=RmaEvent.CLOSED, entity=rma, actor=actor, payload=base)
    return rma


@transaction.atomic
def rma_approve(
    *,
    rma: ReturnAuthorization,
    actor,
    decisions: dict | None = None,
    return_instructions: str | None = None,
    version: int | None = None,
) -> ReturnAuthorization:
    """Approve a requested RMA (``return_approve``: the roles the company gives it). The
    approver may change decisions line by line (``{rma_line_id: decision}``; ``reject``
    drops a line). Approving twice does nothing."""
    locked, order, lines, done = _begin(rma, actor, workflow.APPROVE, version)
    if done:
        return locked
    changed = {}
    if decisions:
        by_id = {str(line.pk): line for line in lines}
        errors = RowErrors("decisions")
        for key, decision in decisions.items():
            line = by_id.get(str(key))
            if line is None:
                errors.add(str(key), "rma_line_id", _("Unknown line."))
            elif decision not in Decision.values:
                errors.add(str(key), "decision", _("Choose refund, replace, repair or reject."))
            elif decision != line.decision:
                changed[str(line.pk)] = [line.decision, decision]
                line.decision = decision
        errors.raise_if_any()
        if changed:
            # a new decision is checked as a new request would be (refunds need invoices)
            order_lines = sales_locks.lock_order_lines(order)
            _parse_lines(
                order,
                order_lines,
                [
                    {
                        "order_line_id": str(line.order_line_id),
                        "quantity": str(line.quantity),
                        "decision": line.decision,
                    }
                    for line in lines
                ],
                exclude=locked,
            )
            ReturnAuthorizationLine.objects.for_company(locked.company_id).bulk_update(
                lines, ["decision"]
            )
    if return_instructions is not None:
        locked.return_instructions = clean_text(
            return_instructions, ReturnAuthorization, "return_instructions"
        )
    locked.decided_by, locked.decided_at = actor, timezone.now()
    return _finish(
        locked,
        order,
        lines,
        actor,
        workflow.APPROVE,
        changes={"decisions": changed} if changed else None,
        payload={"return_instructions": locked.return_instructions},
    )


@transaction.atomic
def rma_reject(
    *, rma: ReturnAuthorization, actor, reason: str, version: int | None = None
) -> ReturnAuthorization:
    """Reject a requested RMA with a reason; its quantities are free again."""
    if not (reason or "").strip():
        raise ReasonRequired(details={"fields": {"reason": [_("Please give a reason.")]}})
    locked, order, lines, done = _begin(rma, actor, workflow.REJECT, version)
    if done:
        return locked
    locked.status_reason = clean_text(reason, ReturnAuthorization, "status_reason")
    locked.decided_by, locked.decided_at = actor, timezone.now()
    return _finish(
        locked,
        order,
        lines,
        actor,
        workflow.REJECT,
        changes={"reason": [None, locked.status_reason]},
    )


@transaction.atomic
def rma_cancel(
    *, rma: ReturnAuthorization, actor, reason: str = "", version: int | None = None
) -> ReturnAuthorization:
    """Cancel an RMA before any goods came back (``returns.invalid_transition`` after)."""
    locked, order, lines, done = _begin(rma, actor, workflow.CANCEL, version)
    if done:
        return locked
    if any(line.qty_received > 0 for line in lines):
        raise InvalidTransition(
            params={"status": Status(locked.status).label},
            details={"status": locked.status, "action": "cancel", "received": True},
        )
    locked.status_reason = clean_text(reason or "", ReturnAuthorization, "status_reason")
    return _finish(locked, order, lines, actor, workflow.CANCEL)


def _parse_amounts(lines, raw, left_of, key: str) -> dict:
    """``[{"rma_line_id", "quantity"}]`` (or None: everything left) → ``{line: quantity}``."""
    left = {line.pk: left_of(line) for line in lines}
    if raw is None:
        return {line: left[line.pk] for line in lines if left[line.pk] > 0}
    by_id = {line.pk: line for line in lines}
    errors = RowErrors()
    wanted: dict = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            errors.add(index, "rma_line_id", _("Unknown line."))
            continue
        line = errors.row(index, by_id, item.get("rma_line_id"), "rma_line_id", _("Unknown line."))
        quantity = errors.quantity(
            index, item.get("quantity"), (ReturnAuthorizationLine, "quantity")
        )
        if line is None or not quantity:
            continue
        if wanted.get(line, ZERO) + quantity > left[line.pk]:
            errors.add(
                index,
                "quantity",
                _("At most %(quantity)s is waiting.") % {"quantity": plain(left[line.pk])},
            )
            continue
        wanted[line] = wanted.get(line, ZERO) + quantity
    errors.raise_if_any()
    return wanted


def _shipment_parts(order: SalesOrder, wanted: dict) -> dict:
    """Spread each order line's returned quantity over its dispatched shipment lines with
    something not yet returned, oldest dispatch first: ``{shipment: [(shipment_line, q)]}``."""
    need = defaultdict(lambda: ZERO)
    for line, quantity in wanted.items():
        need[line.order_line_id] += quantity
    candidates = (
        ShipmentLine.objects.for_company(order.company_id)
        .filter(
            shipment__order=order,
            shipment__status=ShipmentStatus.DISPATCHED,
            order_line_id__in=list(need),
        )
        .select_related("shipment")
        .order_by("shipment__dispatched_at", "shipment_id", "pk")
    )
    parts: dict = defaultdict(list)
    for sl in candidates:
        room = sl.quantity - sl.qty_returned
        take = min(room, need[sl.order_line_id])
        if take > 0:
            parts[sl.shipment].append((sl, take))
            need[sl.order_line_id] -= take
    short = [str(k) for k, q in need.items() if q > 0]
    if short:
        raise OverReturn(details={"order_line_ids": short})
    return parts


@transaction.atomic
def rma_receive(
    *,
    rma: ReturnAuthorization,
    actor,
    warehouse: Warehouse,
    condition: str = Condition.SALEABLE,
    lines: list[dict[str, Any]] | None = None,
    reason: str = "",
    version: int | None = None,
) -> ReturnAuthorization:
    """The goods came back: ``lines`` = ``[{"rma_line_id", "quantity"}]`` (None: everything
    still expected). A return receipt (``RT-``) per shipment they left on puts them into
    ``warehouse`` and raises the order line's returned counter. ``condition`` saleable needs
    a saleable warehouse, quarantine and scrap one that is not
    (``returns.wrong_destination``): such stock is on hand but never promised."""
    locked, order, rma_lines, done = _begin(rma, actor, workflow.RECEIVE, version)
    if done:
        return locked
    if condition not in Condition.values:
        raise ValidationFailed(details={"fields": {"condition": [_("Choose a condition.")]}})
    if warehouse is None or warehouse.company_id != locked.company_id:
        raise ValidationFailed(details={"fields": {"warehouse": [_("Unknown warehouse.")]}})
    if warehouse.is_saleable != (condition == Condition.SALEABLE):
        raise WrongDestination(details={"fields": {"warehouse": [str(WrongDestination.message)]}})
    wanted = _parse_amounts(
        rma_lines, lines, lambda line: workflow.line_to_receive(line.state), "receive"
    )
    if not wanted:
        raise NothingToDo()
    receipts = []
    for shipment, parts in _shipment_parts(order, wanted).items():
        receipt = fulfilment.return_receive(
            shipment=shipment,
            actor=actor,
            lines=[{"shipment_line_id": sl.pk, "quantity": q} for sl, q in parts],
            warehouse=warehouse,
            reason=(reason or locked.number).strip(),
        )
        receipts.append(receipt)
    RmaReceipt.objects.bulk_create(
        [
            RmaReceipt(company_id=locked.company_id, rma=locked, receipt=r, condition=condition)
            for r in receipts
        ]
    )
    for line, quantity in wanted.items():
        line.qty_received += quantity
    ReturnAuthorizationLine.objects.for_company(locked.company_id).bulk_update(
        list(wanted), ["qty_received"]
    )
    received = {str(line.pk): str(q) for line, q in wanted.items()}
    return _finish(
        locked,
        order,
        rma_lines,
        actor,
        workflow.RECEIVE,
        changes={"received": received, "receipts": [r.number for r in receipts]},
        payload={
            "receipts": [r.number for r in receipts],
            "warehouse": warehouse.code,
            "condition": condition,
            "lines": received,
        },
    )


def _invoice_parts(order: SalesOrder, wanted: dict) -> dict:
    """Spread each refund over the issued invoice lines of its order line with something
    left to credit, oldest first: ``{invoice: [(invoice_line, quantity)]}``."""
    need = defaultdict(lambda: ZERO)
    for line, quantity in wanted.items():
        need[line.order_line_id] += quantity
    candidates = (
        InvoiceLine.objects.for_company(order.company_id)
        .filter(
            invoice__order=order,
            invoice__kind=InvoiceKind.INVOICE,
            invoice__status__in=CREDITABLE_INVOICES,
            order_line_id__in=list(need),
        )
        .select_related("invoice")
        .order_by("invoice__issue_date", "invoice__number", "position")
    )
    parts: dict = defaultdict(list)
    for x in candidates:
        take = min(x.quantity - x.qty_credited, need[x.order_line_id])
        if take > 0:
            parts[x.invoice].append((x, take))
            need[x.order_line_id] -= take
    return parts, {k: q for k, q in need.items() if q > 0}


def _advance_refunds(order: SalesOrder, order_lines: dict, short: dict) -> tuple[list, dict]:
    """Refund lines with no invoice left to credit, paid back from the order's advance:
    each order line's uninvoiced room (``line_to_invoice``) takes them, valued at the line's
    gross price per unit; the money comes off the order's payments with unallocated credit,
    oldest first. ``([(payment, amount)], {order line id: quantity})``; more than the room or
    than the advance holds → ``returns.refund_not_invoiced``."""
    from ordercrm.core.money import round_money

    amount = ZERO
    for line_id, quantity in short.items():
        line = order_lines[line_id]
        if quantity > sales_selectors.line_to_invoice(order, line):
            raise RefundNotInvoiced(details={"order_lines": {str(line_id): str(quantity)}})
        amount += line.gross * quantity / line.quantity
    amount = round_money(amount, order.currency)
    parts, left = [], amount
    for payment in selectors.advance_payments(order):
        take = min(payment.unallocated, left)
        if take > 0:
            parts.append((payment, take))
            left -= take
    if left > 0:
        raise RefundNotInvoiced(
            details={
                "order_lines": {str(k): str(q) for k, q in short.items()},
                "advance_short": plain(left),
            }
        )
    return parts, short


@transaction.atomic
def rma_credit(
    *, rma: ReturnAuthorization, actor, version: int | None = None
) -> ReturnAuthorization:
    """Settle the received refund lines: one credit note per invoice they were billed on
    (``CN-``), for the received quantity; the order line's credited counter and the
    customer's receivables move with it (billing). Units never invoiced are paid back from
    the order's advance instead (a refund ``RF-`` per payment, ``billing.payment_refund``;
    the order line's ``qty_refunded`` rises, so they are never billed). Needs
    ``invoice_edit`` (and ``payment_edit`` for an advance refund)."""
    locked, order, lines, done = _begin(rma, actor, workflow.CREDIT, version)
    if done:
        return locked
    wanted = {
        line: workflow.line_to_settle(line.state, workflow.CREDITED)
        for line in lines
        if workflow.line_to_settle(line.state, workflow.CREDITED) > 0
    }
    if not wanted:
        raise NothingToDo()
    notes = []
    by_invoice, short = _invoice_parts(order, wanted)
    refunds = []
    if short:
        order_lines = {line.pk: line for line in sales_locks.lock_order_lines(order)}
        payments, refunded = _advance_refunds(order, order_lines, short)
        counters.order_lines_refund(order, refunded, lines=order_lines.values())
        for payment, amount in payments:
            refunds.append(
                billing.payment_refund(
                    payment=payment,
                    amount=amount,
                    actor=actor,
                    reason=_("Return %(number)s") % {"number": locked.number},
                )
            )
    for invoice, parts in by_invoice.items():
        notes.append(
            billing.credit_note_create(
                invoice=invoice,
                actor=actor,
                lines=[{"invoice_line_id": x.pk, "quantity": q} for x, q in parts],
                reason=_("Return %(number)s") % {"number": locked.number},
            )
        )
    RmaSettlement.objects.bulk_create(
        [
            RmaSettlement(
                company_id=locked.company_id,
                rma=locked,
                kind=SettlementKind.CREDIT_NOTE,
                invoice=note,
                number=note.number,
            )
            for note in notes
        ]
        + [
            RmaSettlement(
                company_id=locked.company_id,
                rma=locked,
                kind=SettlementKind.ADVANCE_REFUND,
                refund=refund,
                number=refund.number,
            )
            for refund in refunds
        ]
    )
    for line, quantity in wanted.items():
        line.qty_settled += quantity
    ReturnAuthorizationLine.objects.for_company(locked.company_id).bulk_update(
        list(wanted), ["qty_settled"]
    )
    total = sum((note.gross_total for note in notes), ZERO)
    return _finish(
        locked,
        order,
        lines,
        actor,
        workflow.CREDIT,
        changes={
            "credit_notes": [n.number for n in notes],
            **({"advance_refunds": [r.number for r in refunds]} if refunds else {}),
        },
        payload={
            "credit_notes": [n.number for n in notes],
            "gross_total": total,
            "advance_refunds": [r.number for r in refunds],
            "advance_refunded": sum((r.amount for r in refunds), ZERO),
            "currency": order.currency,
        },
    )


@transaction.atomic
def rma_replace(
    *, rma: ReturnAuthorization, actor, version: int | None = None
) -> ReturnAuthorization:
    """Settle the received replace and repair lines: the order lines owe those units again
    (``sales.counters.order_lines_replace``: open to ship, never billed again), a completed
    order is confirmed again, stock is reserved as for any backorder, and one draft shipment
    (``SH-``) of just those quantities is created, no charge. Needs ``shipment_edit``; an
    order on hold or closed refuses (fulfilment's errors)."""
    locked, order, lines, done = _begin(rma, actor, workflow.REPLACE, version)
    if done:
        return locked
    wanted = {
        line: workflow.line_to_settle(line.state, workflow.SENT_AGAIN)
        for line in lines
        if workflow.line_to_settle(line.state, workflow.SENT_AGAIN) > 0
    }
    if not wanted:
        raise NothingToDo()
    per_order_line = defaultdict(lambda: ZERO)
    for line, quantity in wanted.items():
        per_order_line[line.order_line_id] += quantity
    order_lines = {line.pk: line for line in sales_locks.lock_order_lines(order)}
    over = [
        str(k)
        for k, q in per_order_line.items()
        if order_lines[k].qty_replaced + q > order_lines[k].qty_returned
    ]
    if over:
        raise OverReturn(details={"order_line_ids": over})
    counters.order_lines_replace(order, dict(per_order_line), lines=order_lines.values())
    if order.status == OrderStatus.COMPLETED:
        sales.order_reactivate(order=order, actor=actor)
    sales.order_fill_backorders(order=order, actor=actor)
    shipment = fulfilment.shipment_create(
        order=order,
        actor=actor,
        lines=[{"order_line_id": k, "quantity": q} for k, q in per_order_line.items()],
        notes=_("No-charge replacement for return %(number)s") % {"number": locked.number},
    )
    RmaSettlement.objects.create(
        company_id=locked.company_id,
        rma=locked,
        kind=SettlementKind.SHIPMENT,
        shipment=shipment,
        number=shipment.number,
        lines={str(line.pk): str(quantity) for line, quantity in wanted.items()},
    )
    for line, quantity in wanted.items():
        line.qty_settled += quantity
    ReturnAuthorizationLine.objects.for_company(locked.company_id).bulk_update(
        list(wanted), ["qty_settled"]
    )
    return _finish(
        locked,
        order,
        lines,
        actor,
        workflow.REPLACE,
        changes={"shipment": shipment.number},
        payload={"shipment": shipment.number, "shipment_id": str(shipment.pk)},
    )


def rma_shipment_dispatched(*, shipment, order, actor) -> bool:
    """``sales.hooks.after_dispatch``: a no-charge shipment of an RMA left, so the replace
    and repair lines it settled are on their way back (``qty_sent_back``; a repair line's
    item is back with the customer once all of it left). Runs in the dispatching transaction
    with the order locked; locks the RMA next (``returns.locks``), writes one audit entry and
    ``rma.sent_back``. Moves no order counter (returns False)."""
    settlement = (
        RmaSettlement.objects.for_company(shipment.company_id)
        .filter(shipment=shipment, kind=SettlementKind.SHIPMENT)
        .first()
    )
    if settlement is None or not settlement.lines:
        return False
    rma = locks.lock_rma_of_locked_order(settlement.rma_id, company_id=shipment.company_id)
    lines = locks.lock_rma_lines(rma)
    by_id = {str(line.pk): line for line in lines}
    moved = {}
    for line_id, raw in settlement.lines.items():
        line = by_id.get(line_id)
        if line is None:
            continue
        quantity = min(Decimal(raw), line.qty_settled - line.qty_sent_back)
        if quantity > 0:
            line.qty_sent_back += quantity
            moved[line_id] = quantity
    if not moved:
        return False
    ReturnAuthorizationLine.objects.for_company(rma.company_id).bulk_update(
        [by_id[k] for k in moved], ["qty_sent_back"]
    )
    rma.version += 1
    rma.save(update_fields=["version", "updated_at"])
    sent = {k: str(q) for k, q in moved.items()}
    audit.record(
        actor=actor,
        entity=rma,
        action="sent_back",
        changes={"sent_back": sent, "shipment": shipment.number},
    )
    repairs = {
        str(line.pk): line.repair_state for line in lines if line.decision == Decision.REPAIR
    }
    events.emit(
        type=RmaEvent.SENT_BACK,
        entity=rma,
        actor=actor,
        payload={
            "number": rma.number,
            "status": rma.status,
            "order_id": str(order.pk),
            "order_number": order.number,
            "case_id": str(rma.case_id) if rma.case_id else None,
            "shipment": shipment.number,
            "shipment_id": str(shipment.pk),
            "lines": sent,
            "repair_states": repairs,
        },
    )
    return False


def rma_action(*, rma: ReturnAuthorization, actor, action: str, **values) -> ReturnAuthorization:
    """Run an RMA action by its name (web buttons, API action endpoints)."""
    services = {
        "approve": rma_approve,
        "reject": rma_reject,
        "cancel": rma_cancel,
        "receive": rma_receive,
        "credit": rma_credit,
        "replace": rma_replace,
    }
    return services[action](rma=rma, actor=actor, **values)


__all__ = [
    "rma_action",
    "rma_approve",
    "rma_cancel",
    "rma_create",
    "rma_credit",
    "rma_receive",
    "rma_reject",
    "rma_replace",
    "rma_shipment_dispatched",
]
