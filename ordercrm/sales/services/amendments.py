"""Amendments: changing a confirmed order as a new revision."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ordercrm.core import audit, events
from ordercrm.core.money import ZERO
from ordercrm.core.validation import RowErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.sales import approvals, counters, hooks, kits, locks, workflow
from ordercrm.sales.exceptions import AmendBelowProgress
from ordercrm.sales.models import OrderRevision, SalesOrder, SalesOrderLine
from ordercrm.sales.services._steps import _begin, _credit_gate, _lock_customer
from ordercrm.sales.services.approval import _request_approval
from ordercrm.sales.services.lines import (
    _apply_totals,
    _build_lines,
    _company_today,
    _lines_diff,
    _snapshot,
)
from ordercrm.sales.services.stock import _release, _reserve_open
from ordercrm.sales.workflow import Status


@transaction.atomic
def order_amend(
    *, order: SalesOrder, actor, version: int, lines: list[dict], reason: str = ""
) -> SalesOrder:
    """Change a confirmed order as a new revision.

    ``lines`` lists changes: ``{"line_id", "quantity"?, "unit_price"?, "discount_percent"?}``,
    ``{"line_id", "remove": True}`` or a new line dict (without ``line_id``). Quantities cannot
    drop below what was shipped or invoiced (``sales.amend_below_progress``). The previous state
    is kept as an :class:`OrderRevision` with the diff. If approval rules now fire, the order
    goes back to ``pending_approval``.
    """
    locked, _done = _begin(order, actor, workflow.AMEND, version)
    # Locks in the order of ``sales.locks``. A held customer's orders can still be amended
    # (e.g. lowered); the credit check below still applies.
    _lock_customer(locked, check_hold=False)
    current = locks.lock_order_lines(locked)
    by_id = {str(line.pk): line for line in current}
    before = _snapshot(locked, current)
    if locked.revision == 0:
        OrderRevision.objects.create(
            company_id=locked.company_id,
            order=locked,
            revision=0,
            snapshot=before,
            created_by=locked.confirmed_by,
        )
    removed, additions = set(), []
    errors = RowErrors()
    for index, change in enumerate(lines):
        line_id = change.get("line_id")
        if not line_id:
            additions.append(change)
            continue
        line = by_id.get(str(line_id))
        if line is None:
            errors.add(index, "line_id", _("Unknown line."))
            continue
        floor = max(line.net_shipped, line.qty_invoiced - line.qty_credited, ZERO)
        if change.get("remove"):
            if floor > 0:
                raise AmendBelowProgress(details={"line_id": str(line.pk), "minimum": str(floor)})
            removed.add(str(line.pk))
            continue
        try:
            field = "quantity"
            if "quantity" in change:
                line.quantity = bounded_decimal(change["quantity"], SalesOrderLine, field)
            field = "unit_price"
            if change.get("unit_price") not in (None, ""):
                line.unit_price = bounded_decimal(change["unit_price"], SalesOrderLine, field)
                line.price_overridden = line.unit_price != line.list_unit_price
            field = "discount_percent"
            if "discount_percent" in change:
                line.discount_percent = bounded_decimal(
                    change["discount_percent"], SalesOrderLine, field
                )
        except (TypeError, ValueError) as error:
            errors.add(index, field, invalid_reason(error))
            continue
        if line.quantity < floor:
            raise AmendBelowProgress(details={"line_id": str(line.pk), "minimum": str(floor)})
        if line.quantity < 0 or line.unit_price < 0 or not ZERO <= line.discount_percent <= 100:
            errors.add(index, "quantity", _("Some values are not valid."))
    errors.raise_if_any()
    kept = [line for line in current if str(line.pk) not in removed]
    next_position = max((line.position for line in current), default=0) + 1
    added = _build_lines(locked, additions, start=next_position) if additions else []
    all_lines = kept + added
    _apply_totals(locked, all_lines)
    locked.revision += 1
    after = _snapshot(locked, all_lines)
    diff = {
        "lines": _lines_diff(before["lines"], after["lines"]),
        **audit.diff(before["header"], after["header"]),
    }
    # A line lowered after part of it was closed (a declined backorder, a shortfall within
    # tolerance) closes no more than is left, so lowering it never opens a new shipment; an
    # over-delivery is what shipped beyond the new quantity.
    for line in kept:
        line.qty_closed = min(line.qty_closed, max(line.quantity - line.net_shipped, ZERO))
        line.qty_over_delivered = max(line.net_shipped - line.quantity + line.qty_closed, ZERO)
    # Stock: lowered and removed lines give back what they no longer need.
    excess = {line.pk: line.qty_reserved - max(line.open_quantity, ZERO) for line in kept}
    excess.update({line.pk: None for line in current if str(line.pk) in removed})
    _release(locked, current, excess)
    kits.forget(locked.company_id, [line for line in current if str(line.pk) in removed])
    SalesOrderLine.objects.for_company(locked.company_id).filter(pk__in=removed).delete()
    SalesOrderLine.objects.for_company(locked.company_id).bulk_update(
        kept,
        [
            "quantity",
            "unit_price",
            "price_overridden",
            "discount_percent",
            "net",
            "tax",
            "gross",
            "qty_reserved",
            "qty_closed",
            "qty_over_delivered",
        ],
    )
    SalesOrderLine.objects.bulk_create(added)
    kits.snapshot(locked.company_id, added)
    OrderRevision.objects.create(
        company_id=locked.company_id,
        order=locked,
        revision=locked.revision,
        snapshot=after,
        diff=diff,
        reason=reason,
        created_by=actor,
    )
    changes = {"revision": [locked.revision - 1, locked.revision], "diff": diff}
    evaluation = approvals.evaluate(locked, all_lines, _company_today(locked.company))
    digest = approvals.fingerprint(locked, all_lines)
    if evaluation.reasons and digest != locked.approval_fingerprint:
        # The approval was given to other content: it is void, the order asks again.
        if locked.status == Status.ON_HOLD:
            locked.hold_reason, locked.credit_hold = "", False
        _request_approval(
            locked, actor, evaluation, all_lines, action=workflow.AMEND, changes=changes
        )
    else:
        # Still confirmed: raised and new lines reserve now (by the stock policy).
        _credit_gate(locked)
        _reserve_open(locked, all_lines)
        locked.approval_fingerprint = digest
        locked.version += 1
        locked.save()
        counters.order_progress_store(locked)  # new quantities; reserving set services_only
        audit.record(actor=actor, entity=locked, action=workflow.AMEND.name, changes=changes)
        events.emit(
            type=workflow.AMEND.event,
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "revision": locked.revision},
        )
        if locked.status == Status.CONFIRMED:  # still confirmed, with new content to invoice
            hooks.after_order_confirmed(order=locked, actor=actor)
    return locked
