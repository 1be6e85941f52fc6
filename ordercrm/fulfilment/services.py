"""Write use cases of fulfilment: shipments (create, dispatch, cancel) and returns receipts.

Locks are taken in the order ``sales.locks`` documents (the order, the shipment, the
customer, stock levels inside inventory); the order lines' counters are written through
``sales.counters``, and a dispatch ends in ``sales.hooks.after_dispatch`` (billing invoices
``on_shipment`` orders there; the completion check runs once). Dispatch is idempotent: a second
dispatch of the same shipment returns it unchanged. Statement counts do not depend on the
number of lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.core import audit, events
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import ShippingPolicy
from ordercrm.core.money import ZERO, plain
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import RowErrors
from ordercrm.fulfilment import tolerances
from ordercrm.fulfilment.exceptions import (
    AdvanceUnpaid,
    ExceptionAlreadyOpen,
    ExceptionDecided,
    NoShipmentNeeded,
    NothingToDecline,
    NothingToShip,
    NotShippable,
    OverReturn,
    OverShipment,
    OverShipmentPlanned,
    PaymentFirst,
    ShipComplete,
    ShipmentState,
)
from ordercrm.fulfilment.models import (
    DELIVERY_FAILURES,
    GOODS_COME_BACK,
    ExceptionKind,
    ExceptionResolution,
    FulfilmentException,
    ReturnLine,
    ReturnReceipt,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import counters, hooks, kits, locks, workflow
from ordercrm.sales import services as sales_services
from ordercrm.sales.exceptions import OrderOnHold, ReasonRequired
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


def _pending_in_drafts(order: SalesOrder, exclude=None) -> dict:
    """Quantities per order line already planned on other draft shipments."""
    drafts = ShipmentLine.objects.for_company(order.company_id).filter(
        shipment__order=order, shipment__status=ShipmentStatus.DRAFT
    )
    if exclude is not None:
        drafts = drafts.exclude(shipment=exclude)
    return {
        row["order_line_id"]: row["total"]
        for row in drafts.values("order_line_id").annotate(total=Sum("quantity"))
    }


def _tracked(line: SalesOrderLine) -> bool:
    return line.product_id is not None and line.product.is_stock_tracked


def _stock_parts(line: SalesOrderLine, components: dict):
    """What holds stock for a line in inventory: ``(id, product id, per unit)`` — the line
    itself, or each component of a kit line (``sales.kits``)."""
    if line.pk in components:
        return [(part.pk, part.product_id, part.quantity) for part in components[line.pk]]
    return [(line.pk, line.product_id, None)]


def _share(before: Decimal, after: Decimal, per_kit: Decimal | None) -> Decimal:
    """The stock a line's counter moving from ``before`` to ``after`` moves: the same for a
    plain line, each component's share for a kit's (``sales.kits.change``)."""
    return after - before if per_kit is None else kits.change(before, after, per_kit)


def _require_shippable(order: SalesOrder) -> None:
    """Only a confirmed order ships; on hold the refusal says so (``sales.order_on_hold``)."""
    if order.status == Status.ON_HOLD:
        raise OrderOnHold(
            params={"reason": order.hold_reason}, details={"hold_reason": order.hold_reason}
        )
    if order.status not in workflow.SHIPPABLE:
        raise NotShippable(
            params={"status": Status(order.status).label}, details={"status": order.status}
        )


def _requested_quantities(
    order: SalesOrder, lines: list[SalesOrderLine], wanted: list[dict[str, Any]] | None, pending
) -> dict:
    """``{order_line: quantity}`` from input, or everything ready (reserved, or any open
    quantity of untracked lines) when ``wanted`` is None. Errors are raised together."""
    by_id = {line.pk: line for line in lines}
    if wanted is None:
        ready = {}
        for line in lines:
            if line.kind != LineKind.PRODUCT:
                continue
            room = line.open_quantity - pending.get(line.pk, ZERO)
            if _tracked(line):
                room = min(room, line.qty_reserved - pending.get(line.pk, ZERO))
            if room > 0:
                ready[line] = room
        return ready
    errors, over = RowErrors(), RowErrors()
    products = {pk: line for pk, line in by_id.items() if line.kind == LineKind.PRODUCT}
    requested: dict[SalesOrderLine, Decimal] = {}
    allowed: dict[str, str] = {}
    for index, raw in enumerate(wanted):
        line = errors.row(
            index, products, raw.get("order_line_id"), "order_line_id", _("Unknown order line.")
        )
        if line is None:
            continue
        quantity = errors.quantity(index, raw.get("quantity"), (ShipmentLine, "quantity"))
        if not quantity:
            continue  # refused, or a zero line, which moves nothing
        # what is open, plus what the over-delivery tolerance still allows on the line
        room = (
            line.open_quantity
            + tolerances.over_room(line, order.company)
            - pending.get(line.pk, ZERO)
            - requested.get(line, ZERO)
        )
        if quantity > room:
            allowed[str(line.pk)] = plain(max(room, ZERO))
            over.add(
                index,
                "quantity",
                _("At most %(quantity)s can still ship.") % {"quantity": plain(max(room, ZERO))},
            )
        else:
            requested[line] = requested.get(line, ZERO) + quantity
    errors.raise_if_any()
    if over:
        raise OverShipmentPlanned(details={"lines": over.rows, "allowed": allowed})
    return requested


def _check_ship_complete(order: SalesOrder, lines, requested: dict) -> None:
    if order.effective_shipping_policy != ShippingPolicy.SHIP_COMPLETE:
        return
    for line in lines:
        open_quantity = line.open_quantity
        if line.kind != LineKind.PRODUCT or open_quantity <= 0:
            continue
        # in full: the open quantity, or short or over by no more than the tolerances allow
        short = open_quantity - requested.get(line, ZERO)
        if short > 0 and not tolerances.short_within_tolerance(
            line, order.company, short, requested.get(line, ZERO)
        ):
            raise ShipComplete(details={"order_line_id": str(line.pk)})


@transaction.atomic
def shipment_create(
    *,
    order: SalesOrder,
    actor,
    lines: list[dict[str, Any]] | None = None,
    carrier: str = "",
    tracking_number: str = "",
    notes: str = "",
    dispatch: bool = False,
    decline_backorder: bool = False,
) -> Shipment:
    """Plan a shipment of a confirmed order: ``lines`` = ``[{"order_line_id", "quantity"}]``,
    or ``None`` for everything ready to go. Each quantity is at most what is still open on
    the line (minus other draft shipments) plus what the over-delivery tolerance allows,
    else ``fulfilment.over_shipment`` (``details.allowed`` per line). With ``dispatch`` it
    leaves at once (``decline_backorder``: see :func:`shipment_dispatch`)."""
    access = access_for(actor, order.company)
    access.require(Perm.SHIPMENT_EDIT)
    locked = locks.lock_order(order, access=access)
    _require_shippable(locked)
    if locked.services_only:
        raise NoShipmentNeeded()
    order_lines = locks.lock_order_lines(locked)
    pending = _pending_in_drafts(locked)
    requested = _requested_quantities(locked, order_lines, lines, pending)
    if not requested:
        raise NothingToShip()
    _check_ship_complete(locked, order_lines, requested)
    shipment = _new_shipment(
        locked,
        requested,
        actor,
        notes=notes,
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
    )
    if dispatch:
        _dispatch(shipment, locked, order_lines, actor, decline_rest=decline_backorder)
    return shipment


def _lock_shipment(shipment: Shipment, actor, perm: str) -> tuple[Shipment, SalesOrder]:
    access = access_for(actor, shipment.company)
    access.require(perm)
    order = locks.lock_order(shipment.order_id, company_id=shipment.company_id, access=access)
    locked = (
        Shipment.objects.for_company(shipment.company_id).select_for_update().get(pk=shipment.pk)
    )
    return locked, order


@transaction.atomic
def shipment_dispatch(
    *,
    shipment: Shipment,
    actor,
    carrier: str | None = None,
    tracking_number: str | None = None,
    decline_backorder: bool = False,
) -> Shipment:
    """The goods leave: reservations are consumed, stock moves written, ``qty_shipped`` rises.

    A line may ship beyond its order within the over-delivery tolerance (beyond it:
    ``fulfilment.over_shipment``); a line left short within the under-delivery tolerance
    counts as delivered (the rest is closed, its reservation released). With
    ``decline_backorder`` whatever stays open on the shipped lines (and is on no other draft
    shipment) is closed the same way: no backorder. Dispatching a dispatched shipment does
    nothing (double click, retry)."""
    locked, order = _lock_shipment(shipment, actor, Perm.SHIPMENT_EDIT)
    if locked.status == ShipmentStatus.DISPATCHED:
        return locked
    if locked.status != ShipmentStatus.DRAFT:
        raise ShipmentState(params={"status": ShipmentStatus(locked.status).label})
    _require_shippable(order)
    if carrier is not None:
        locked.carrier = carrier.strip()
    if tracking_number is not None:
        locked.tracking_number = tracking_number.strip()
    _dispatch(locked, order, locks.lock_order_lines(order), actor, decline_rest=decline_backorder)
    return locked


def _require_advance(order: SalesOrder) -> None:
    """Terms with a required advance: nothing is dispatched before that share of the order
    total is paid (``order.amount_paid``: advances and payments of its invoices, which
    billing keeps), ``fulfilment.advance_unpaid`` naming both amounts; under the shipping
    policy "after payment" the whole total first (``fulfilment.payment_first``)."""
    from ordercrm.core.money import plain, round_money
    from ordercrm.fulfilment.selectors import advance_position

    position = advance_position(order)
    if position is not None and position.blocks_dispatch:
        refusal = PaymentFirst if position.after_payment else AdvanceUnpaid

        def said(amount):  # as money is written: the currency's decimals (33.90, not 33.9)
            return f"{round_money(amount, order.currency)} {order.currency}"

        raise refusal(
            params={"required": said(position.required), "paid": said(position.paid)},
            details={
                "required": plain(position.required),
                "paid": plain(position.paid),
                "currency": order.currency,
                "advance_percent": plain(position.percent),
            },
        )


def _dispatch(
    shipment: Shipment, order: SalesOrder, order_lines, actor, *, decline_rest: bool = False
) -> None:
    _require_advance(order)
    # The customer before stock levels (``sales.locks``): the invoice this dispatch may
    # create updates its balances.
    locks.lock_order_customer(order)
    by_id = {line.pk: line for line in order_lines}
    shipment_lines = list(
        ShipmentLine.objects.for_company(order.company_id).filter(shipment=shipment)
    )
    quantities = {sl.order_line_id: sl.quantity for sl in shipment_lines}
    _check_ship_complete(order, order_lines, {by_id[k]: q for k, q in quantities.items()})
    # Beyond what is open only within the over-delivery tolerance (an amendment may have
    # lowered a line since the shipment was planned).
    over_delivered = {
        k: tolerances.over_delivered_after(by_id[k], q) for k, q in quantities.items()
    }
    over = [
        str(k)
        for k, extra in over_delivered.items()
        if extra > tolerances.over_allowance(by_id[k], order.company)
    ]
    if over:
        raise OverShipment(details={"order_line_ids": over})
    tracked = {k: q for k, q in quantities.items() if _tracked(by_id[k])}
    # Lines shipping more than they hold reserved take free stock now, all or nothing; a
    # kit line's components ship their share of the kits (``sales.kits``).
    components = kits.components_of(order.company_id, [by_id[k] for k in tracked])
    missing, consumptions = [], []
    for k, q in tracked.items():
        line = by_id[k]
        held = line.qty_reserved
        for stock_id, product_id, per_kit in _stock_parts(line, components):
            if q > held:
                missing.append(
                    inventory.Demand(
                        order_line_id=stock_id,
                        order_id=order.pk,
                        product_id=product_id,
                        quantity=_share(held, q, per_kit),
                        reference=order.number,
                        already_reserved=_share(ZERO, held, per_kit),
                    )
                )
            top = max(held, q)
            consumptions.append(inventory.Consumption(stock_id, _share(top - q, top, per_kit)))
    got = {}
    if missing:
        got = kits.reserve(
            components,
            company=order.company,
            demands=missing,
            warehouse_ids=inventory.warehouses_in_order(order.company, order.warehouse_id),
            all_or_nothing=True,
        )
        for k in components:
            for part in components[k]:
                got.pop(part.pk, None)
            if tracked[k] > by_id[k].qty_reserved:
                got[k] = tracked[k] - by_id[k].qty_reserved
    moves = inventory.consume(
        company=order.company,
        consumptions=consumptions,
        warehouse_ids=None,
        actor=actor,
        reference=shipment.number,
        reference_id=shipment.pk,
    )
    counters.order_lines_ship(
        order,
        quantities,
        from_reservation=tracked,
        reserved_at_dispatch=got,
        over_delivered={
            k: v for k, v in over_delivered.items() if v != by_id[k].qty_over_delivered
        },
        lines=order_lines,
    )
    closed = _close_rest(
        order,
        [by_id[k] for k in quantities],
        shipment,
        everything=decline_rest,
    )
    left_from = [move.warehouse_id for move in moves]
    if left_from and shipment.warehouse_id not in left_from:
        shipment.warehouse_id = left_from[0]
    now = timezone.now()
    shipment.status = ShipmentStatus.DISPATCHED
    shipment.dispatched_at, shipment.dispatched_by = now, actor
    shipment.version += 1
    shipment.save()
    summary = {str(k): str(q) for k, q in quantities.items()}
    audit.record(
        actor=actor,
        entity=order,
        action="ship",
        changes={
            "shipment": shipment.number,
            "lines": summary,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            **({"closed": closed} if closed else {}),
        },
    )
    events.emit(
        type="shipment.dispatched",
        entity=shipment,
        actor=actor,
        payload={
            "number": shipment.number,
            "order_id": str(order.pk),
            "order_number": order.number,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "lines": summary,
            "closed": closed,
        },
    )
    if closed and decline_rest:
        events.emit(
            type=workflow.OrderEvent.BACKORDER_DECLINED,
            entity=order,
            actor=actor,
            payload={"number": order.number, "shipment": shipment.number, "lines": closed},
        )
    hooks.after_dispatch(shipment=shipment, order=order, actor=actor)


@transaction.atomic
def backorder_decline(
    *, order: SalesOrder, actor, reason: str, line_ids: list | None = None
) -> dict:
    """Decline the backorder of a confirmed order: what is still open on the named lines
    (``line_ids``; ``None``: every line) and planned on no draft shipment will not ship. It
    is closed (``qty_closed``), its reservation released, the order flagged
    (``backorder_declined``), audited with the reason (``decline_backorder``) and announced
    (``order.backorder_declined``); the order then completes once invoiced and paid. Lowering
    a line later opens nothing again (``order_amend`` closes no more than is left).

    Refused: without ``order_cancel`` (it closes part of the order, as a short-close does);
    an order on hold (``sales.order_on_hold``) or not confirmed (``fulfilment.not_shippable``);
    no reason (``sales.reason_required``); an unknown line (``core.validation_failed``);
    nothing open outside draft shipments (``fulfilment.nothing_to_decline``). Returns
    ``{line id: closed quantity}`` as text."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_CANCEL)
    locked = locks.lock_order(order, access=access)
    _require_shippable(locked)
    if not (reason or "").strip():
        raise ReasonRequired()
    order_lines = locks.lock_order_lines(locked)
    goods = {str(line.pk): line for line in order_lines if line.kind == LineKind.PRODUCT}
    if line_ids is None:
        chosen = list(goods.values())
    else:
        unknown = [str(k) for k in line_ids if str(k) not in goods]
        if unknown:
            raise ValidationFailed(
                details={"fields": {"line_ids": [_("Unknown order line.")]}, "unknown": unknown}
            )
        chosen = [goods[str(k)] for k in dict.fromkeys(line_ids)]
    pending = _pending_in_drafts(locked)
    rest = {
        line.pk: line.open_quantity - pending.get(line.pk, ZERO)
        for line in chosen
        if line.open_quantity - pending.get(line.pk, ZERO) > 0
    }
    if not rest:
        raise NothingToDecline()
    closed = _close_lines(
        locked, {line.pk: line for line in order_lines}, rest, pending, declined=True
    )
    audit.record(
        actor=actor,
        entity=locked,
        action="decline_backorder",
        changes={"closed": closed, "reason": [None, reason.strip()]},
    )
    events.emit(
        type=workflow.OrderEvent.BACKORDER_DECLINED,
        entity=locked,
        actor=actor,
        payload={"number": locked.number, "lines": closed, "reason": reason.strip()},
    )
    sales_services.order_complete_if_done(order=locked, actor=actor)
    return closed


def _close_rest(
    order: SalesOrder, lines: list[SalesOrderLine], shipment: Shipment, *, everything: bool
) -> dict:
    """After a dispatch, close what is left open on the shipped ``lines`` and planned on no
    other draft shipment: all of it when the backorder is declined (``everything``), else
    only a shortfall within the under-delivery tolerance (the line counts as delivered).
    Reservations of the closed quantity are released. Returns ``{line id: closed}`` as text."""
    pending = _pending_in_drafts(order, exclude=shipment)
    rest = {}
    for line in lines:
        left = line.open_quantity - pending.get(line.pk, ZERO)
        if left <= 0 or pending.get(line.pk):
            continue
        if everything or tolerances.short_within_tolerance(line, order.company, left):
            rest[line.pk] = left
    if not rest:
        return {}
    return _close_lines(
        order, {line.pk: line for line in lines}, rest, pending, declined=everything
    )


def _close_lines(
    order: SalesOrder, by_id: dict, rest: dict, pending: dict, *, declined: bool = False
) -> dict:
    """Close ``rest`` (``{line id: quantity}``) on the order's lines, releasing what stays
    reserved beyond the drafts' ``pending`` quantities; ``declined`` flags the order."""
    release = {
        k: by_id[k].qty_reserved - min(by_id[k].qty_reserved, pending.get(k, ZERO)) for k in rest
    }
    release = {k: q for k, q in release.items() if q > 0}
    released = kits.release(order, by_id, release) if release else {}
    counters.order_lines_close(
        order, rest, released=released, declined=declined, lines=[by_id[k] for k in rest]
    )
    return {str(k): plain(q) for k, q in rest.items()}


@transaction.atomic
def shipment_update(
    *, shipment: Shipment, actor, carrier: str, tracking_number: str, notes: str | None = None
) -> Shipment:
    """Carrier and tracking number can be filled in or corrected, also after dispatch."""
    locked, _order = _lock_shipment(shipment, actor, Perm.SHIPMENT_EDIT)
    before = audit.snapshot(locked, ["carrier", "tracking_number", "notes"])
    locked.carrier, locked.tracking_number = carrier.strip(), tracking_number.strip()
    if notes is not None:
        locked.notes = notes
    locked.version += 1
    locked.save()
    changes = audit.diff(before, audit.snapshot(locked, ["carrier", "tracking_number", "notes"]))
    audit.record(actor=actor, entity=locked, action="update", changes=changes)
    return locked


@transaction.atomic
def shipment_cancel(*, shipment: Shipment, actor, reason: str = "") -> Shipment:
    """Drop a draft shipment (nothing has moved). The order keeps its reservations: what
    the shipment planned is open again on the order, ready for another shipment. The order's
    fulfilment exception is raised (kind ``cancelled``) until someone chooses to recreate it
    or not (:func:`fulfilment_exception_resolve`). Cancelling twice does nothing; a
    dispatched shipment cannot be cancelled (``fulfilment.invalid_shipment_state``: record
    a delivery exception instead)."""
    locked, order = _lock_shipment(shipment, actor, Perm.SHIPMENT_EDIT)
    if locked.status == ShipmentStatus.CANCELLED:
        return locked
    if locked.status != ShipmentStatus.DRAFT:
        raise ShipmentState(params={"status": ShipmentStatus(locked.status).label})
    locked.status = ShipmentStatus.CANCELLED
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="cancel",
        changes={"status": ["draft", "cancelled"], "reason": [None, reason.strip()]},
    )
    events.emit(
        type="shipment.cancelled", entity=locked, actor=actor, payload={"number": locked.number}
    )
    if order.status in workflow.SHIPPABLE or order.status == Status.ON_HOLD:
        _raise_exception(locked, order, actor, ExceptionKind.CANCELLED, reason)
    return locked


def _raise_exception(shipment: Shipment, order: SalesOrder, actor, kind: str, note: str):
    if (
        FulfilmentException.objects.for_company(order.company_id)
        .filter(shipment=shipment, resolution="")
        .exists()
    ):
        raise ExceptionAlreadyOpen(details={"shipment": shipment.number})
    exception = FulfilmentException.objects.create(
        company_id=order.company_id,
        order=order,
        shipment=shipment,
        kind=kind,
        note=(note or "").strip(),
        raised_by=actor,
    )
    audit.record(
        actor=actor,
        entity=order,
        action="fulfilment_exception",
        changes={"shipment": shipment.number, "kind": kind, "note": exception.note},
    )
    events.emit(
        type="order.fulfilment_exception",
        entity=order,
        actor=actor,
        payload={
            "number": order.number,
            "shipment": shipment.number,
            "exception_id": str(exception.pk),
            "kind": kind,
        },
    )
    return exception


@transaction.atomic
def shipment_exception_record(
    *, shipment: Shipment, actor, kind: str, note: str = ""
) -> FulfilmentException:
    """A dispatched shipment's delivery failed (refused, undeliverable, lost, damaged): the
    order's fulfilment exception is raised until someone decides
    (:func:`fulfilment_exception_resolve`). Nothing moves yet: the goods count as shipped
    until the decision. Refused: a shipment not dispatched
    (``fulfilment.invalid_shipment_state``: a draft is cancelled instead), an unknown kind
    (``core.validation_failed``), a shipment whose exception is still open
    (``fulfilment.exception_open``)."""
    locked, order = _lock_shipment(shipment, actor, Perm.SHIPMENT_EDIT)
    if kind not in DELIVERY_FAILURES:
        raise ValidationFailed(
            details={
                "fields": {"kind": [_("Choose one of: %s.") % ", ".join(sorted(DELIVERY_FAILURES))]}
            }
        )
    if locked.status != ShipmentStatus.DISPATCHED:
        raise ShipmentState(params={"status": ShipmentStatus(locked.status).label})
    return _raise_exception(locked, order, actor, kind, note)


def _lock_exception(exception: FulfilmentException, actor):
    access = access_for(actor, exception.company)
    access.require(Perm.SHIPMENT_EDIT)
    order = locks.lock_order(exception.order_id, company_id=exception.company_id, access=access)
    locked = (
        FulfilmentException.objects.for_company(exception.company_id)
        .select_for_update()
        .select_related("shipment")
        .get(pk=exception.pk)
    )
    return locked, order


@transaction.atomic
def fulfilment_exception_resolve(
    *, exception: FulfilmentException, actor, choice: str, note: str = ""
) -> FulfilmentException:
    """Decide an open fulfilment exception.

    ``recreate``: what the shipment was to deliver is shipped again. For a cancelled draft,
    a new draft shipment takes what is still open on its lines (and on no other draft). For
    a failed delivery the goods are owed again first: a return receipt takes them back
    (into stock when they come back — refused, undeliverable; lost or damaged goods do not),
    the lines owe them again (as a replacement: never billed twice; a completed order is
    confirmed again), then a new draft shipment takes them.
    ``close``: nothing is sent again; what is still open on the shipment's lines is closed
    as a declined backorder (so the order can complete).

    Deciding twice with the same choice does nothing; refused: an unknown choice
    (``core.validation_failed``), an exception already decided otherwise
    (``fulfilment.exception_decided``), an order not confirmed (``sales.order_on_hold``,
    ``fulfilment.not_shippable``), ``recreate`` with nothing left to ship
    (``fulfilment.nothing_to_ship``)."""
    if choice not in ExceptionResolution.values:
        raise ValidationFailed(details={"fields": {"choice": [_("Choose recreate or close.")]}})
    locked, order = _lock_exception(exception, actor)
    if locked.resolution == choice:
        return locked
    if locked.resolution:
        raise ExceptionDecided(details={"resolution": locked.resolution})
    shipment = locked.shipment
    recreate = choice == ExceptionResolution.RECREATE
    if recreate and locked.kind != ExceptionKind.CANCELLED and order.status == Status.COMPLETED:
        # the goods are owed again: a completed order is confirmed again to ship them
        order = sales_services.order_reactivate(order=order, actor=actor)
    if recreate or order.status == Status.ON_HOLD:
        _require_shippable(order)
    order_lines = locks.lock_order_lines(order)
    by_id = {line.pk: line for line in order_lines}
    planned = {
        sl.order_line_id: sl.quantity - sl.qty_returned
        for sl in ShipmentLine.objects.for_company(order.company_id).filter(shipment=shipment)
    }
    details: dict = {}
    if recreate:
        if locked.kind != ExceptionKind.CANCELLED:
            receipt = _take_back(shipment, order, by_id, planned, locked, actor)
            details["return"] = receipt.number
            # what is owed again is reserved as any open quantity (free stock, by policy)
            sales_services.order_fill_backorders(order=order, actor=actor)
            order_lines = locks.lock_order_lines(order)
            by_id = {line.pk: line for line in order_lines}
        pending = _pending_in_drafts(order)
        wanted = {
            by_id[k]: min(q, by_id[k].open_quantity - pending.get(k, ZERO))
            for k, q in planned.items()
        }
        wanted = {line: q for line, q in wanted.items() if q > 0}
        if not wanted:
            raise NothingToShip()
        new = _new_shipment(
            order, wanted, actor, notes=_("Recreated from %(number)s") % {"number": shipment.number}
        )
        locked.new_shipment = new
        details["new_shipment"] = new.number
    elif order.status in workflow.SHIPPABLE:
        # (a completed or closed order has nothing open to close: the decision is recorded)
        pending = _pending_in_drafts(order)
        rest = {
            k: by_id[k].open_quantity - pending.get(k, ZERO)
            for k in planned
            if by_id[k].open_quantity - pending.get(k, ZERO) > 0
        }
        if rest:
            details["closed"] = _close_lines(order, by_id, rest, pending, declined=True)
    locked.resolution = choice
    locked.resolved_at, locked.resolved_by = timezone.now(), actor
    locked.save()
    audit.record(
        actor=actor,
        entity=order,
        action="fulfilment_exception_resolve",
        changes={
            "shipment": shipment.number,
            "kind": locked.kind,
            "resolution": [None, choice],
            "note": (note or "").strip(),
            **details,
        },
    )
    events.emit(
        type="order.fulfilment_exception_resolved",
        entity=order,
        actor=actor,
        payload={
            "number": order.number,
            "shipment": shipment.number,
            "exception_id": str(locked.pk),
            "resolution": choice,
            **details,
        },
    )
    if choice == ExceptionResolution.CLOSE:
        sales_services.order_complete_if_done(order=order, actor=actor)
    return locked


def _back_to_stock(order: SalesOrder, returned: dict, by_id: dict) -> list:
    """``(product id, quantity)`` that come back into stock for shipment lines' returned
    quantities: a kit line's components, each its share of the kits (``sales.kits.change``
    from the line's returned counter, so rounding adds up over several returns)."""
    components = kits.components_of(
        order.company_id, {sl.order_line_id: by_id[sl.order_line_id] for sl in returned}.values()
    )
    quantities, counted = [], {}
    for sl, quantity in returned.items():
        parts = components.get(sl.order_line_id)
        if parts is None:
            quantities.append((sl.product_id, quantity))
            continue
        before = counted.get(sl.order_line_id, by_id[sl.order_line_id].qty_returned)
        counted[sl.order_line_id] = before + quantity
        quantities.extend(
            (part.product_id, kits.change(before, before + quantity, part.quantity))
            for part in parts
        )
    return quantities


def _take_back(shipment, order, by_id, planned, exception, actor) -> ReturnReceipt:
    """The failed delivery's goods are taken back on paper (a return receipt; into stock
    only when they physically come back) and owed again on the lines."""
    restock = exception.kind in GOODS_COME_BACK
    warehouse = (
        Warehouse.objects.for_company(order.company_id).filter(pk=shipment.warehouse_id).first()
        or Warehouse.objects.for_company(order.company_id)
        .filter(is_active=True)
        .order_by("sequence", "code")
        .first()
    )
    reason = f"{ExceptionKind(exception.kind).label}: {exception.note}".strip(": ")
    receipt = ReturnReceipt.objects.create(
        company_id=order.company_id,
        number=next_number(company=order.company, prefix="RT", year=timezone.now().year),
        shipment=shipment,
        order=order,
        warehouse=warehouse,
        reason=reason[:500],
        received_by=actor,
    )
    shipment_lines = list(
        ShipmentLine.objects.for_company(order.company_id).filter(shipment=shipment)
    )
    back = {sl: sl.quantity - sl.qty_returned for sl in shipment_lines}
    back = {sl: q for sl, q in back.items() if q > 0}
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(company_id=order.company_id, receipt=receipt, shipment_line=sl, quantity=q)
            for sl, q in back.items()
        ]
    )
    if restock:
        inventory.put_back(
            company=order.company,
            warehouse=warehouse,
            quantities=_back_to_stock(
                order, {sl: q for sl, q in back.items() if _tracked(by_id[sl.order_line_id])}, by_id
            ),
            actor=actor,
            reason=reason,
            reference=receipt.number,
            reference_id=receipt.pk,
        )
    for sl, q in back.items():
        sl.qty_returned += q
    ShipmentLine.objects.for_company(order.company_id).bulk_update(list(back), ["qty_returned"])
    quantities = {sl.order_line_id: q for sl, q in back.items()}
    lines = [by_id[k] for k in quantities]
    counters.order_lines_return(order, quantities, lines=lines)
    counters.order_lines_replace(order, quantities, lines=lines)
    events.emit(
        type="return.received",
        entity=receipt,
        actor=actor,
        payload={
            "number": receipt.number,
            "order_id": str(order.pk),
            "shipment": shipment.number,
            "lines": {str(k): plain(q) for k, q in quantities.items()},
            "restocked": restock,
        },
    )
    return receipt


def _new_shipment(
    order: SalesOrder,
    wanted: dict,
    actor,
    *,
    notes: str = "",
    carrier: str = "",
    tracking_number: str = "",
) -> Shipment:
    """A draft shipment of ``wanted`` (``{order line: quantity}``), audited and announced:
    planned by ``shipment_create`` and made again by a fulfilment exception's "recreate"."""
    shipment = Shipment.objects.create(
        company_id=order.company_id,
        number=next_number(company=order.company, prefix="SH", year=timezone.now().year),
        order=order,
        # the order's own warehouse, else the first it draws from; dispatch corrects it to
        # where the goods actually left
        warehouse_id=order.warehouse_id
        or next(iter(inventory.warehouses_in_order(order.company)), None),
        carrier=carrier,
        tracking_number=tracking_number,
        shipping_address=order.shipping_address,
        notes=notes,
        created_by=actor,
    )
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                company_id=order.company_id,
                shipment=shipment,
                order_line=line,
                product_id=line.product_id,
                description=line.description or (line.product.name if line.product else ""),
                quantity=quantity,
            )
            for line, quantity in wanted.items()
        ]
    )
    summary = {str(line.pk): str(q) for line, q in wanted.items()}
    audit.record(
        actor=actor,
        entity=shipment,
        action="create",
        changes={"order": order.number, "lines": summary},
    )
    events.emit(
        type="shipment.created",
        entity=shipment,
        actor=actor,
        payload={"number": shipment.number, "order_id": str(order.pk), "lines": summary},
    )
    return shipment


def shipments_cancel_for_order(*, order: SalesOrder, actor) -> list[Shipment]:
    """Cancel every draft shipment of an order being cancelled, inside its transaction (the
    order is locked by the caller, its reservations already released). Dispatched ones
    cannot exist: an order with shipped goods is closed, not cancelled. The authority is the
    order cancel's; each shipment gets its audit entry and event."""
    drafts = list(
        Shipment.objects.for_company(order.company_id)
        .select_for_update()
        .filter(order=order, status=ShipmentStatus.DRAFT)
        .order_by("pk")
    )
    for shipment in drafts:
        shipment.status = ShipmentStatus.CANCELLED
        shipment.version += 1
        shipment.save(update_fields=["status", "version", "updated_at"])
        audit.record(
            actor=actor,
            entity=shipment,
            action="cancel",
            changes={"status": ["draft", "cancelled"], "order": order.number},
        )
        events.emit(
            type="shipment.cancelled",
            entity=shipment,
            actor=actor,
            payload={"number": shipment.number, "order_id": str(order.pk)},
        )
    return drafts


def on_order_cancelled(*, order, actor=None, **kwargs) -> None:
    """``sales.hooks.after_order_cancelled``: its draft shipments are cancelled with it."""
    shipments_cancel_for_order(order=order, actor=actor)


@transaction.atomic
def return_receive(
    *,
    shipment: Shipment,
    actor,
    lines: list[dict[str, Any]],
    warehouse: Warehouse | None = None,
    reason: str = "",
) -> ReturnReceipt:
    """Receive goods sent back against a dispatched shipment's lines
    (``[{"shipment_line_id", "quantity"}]``): returned ≤ shipped on each line; stock comes
    back into ``warehouse`` (default: the shipment's or the first active one)."""
    locked, order = _lock_shipment(shipment, actor, Perm.RETURN_EDIT)
    if locked.status != ShipmentStatus.DISPATCHED:
        raise ShipmentState(params={"status": ShipmentStatus(locked.status).label})
    shipment_lines = {
        sl.pk: sl
        for sl in ShipmentLine.objects.for_company(order.company_id)
        .filter(shipment=locked)
        .select_related("order_line", "order_line__product")
    }
    errors = RowErrors()
    returned: dict = {}
    for index, raw in enumerate(lines):
        line = errors.row(
            index,
            shipment_lines,
            raw.get("shipment_line_id"),
            "shipment_line_id",
            _("Unknown shipment line."),
        )
        if line is None:
            continue
        quantity = errors.quantity(index, raw.get("quantity"), (ReturnLine, "quantity"))
        if quantity:
            returned[line] = returned.get(line, ZERO) + quantity
    errors.raise_if_any()
    if not returned:
        raise ValidationFailed(details={"fields": {"lines": [_("Enter a returned quantity.")]}})
    over = [str(sl.pk) for sl, q in returned.items() if sl.qty_returned + q > sl.quantity]
    if over:
        raise OverReturn(details={"shipment_line_ids": over})
    if warehouse is None:
        warehouse = (
            Warehouse.objects.for_company(order.company_id).filter(pk=locked.warehouse_id).first()
            or Warehouse.objects.for_company(order.company_id)
            .filter(is_active=True)
            .order_by("sequence", "code")
            .first()
        )
    elif warehouse.company_id != order.company_id:
        raise ValidationFailed(details={"fields": {"warehouse": [_("Unknown warehouse.")]}})
    receipt = ReturnReceipt.objects.create(
        company_id=order.company_id,
        number=next_number(company=order.company, prefix="RT", year=timezone.now().year),
        shipment=locked,
        order=order,
        warehouse=warehouse,
        reason=reason.strip(),
        received_by=actor,
    )
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(company_id=order.company_id, receipt=receipt, shipment_line=sl, quantity=q)
            for sl, q in returned.items()
        ]
    )
    inventory.put_back(
        company=order.company,
        warehouse=warehouse,
        quantities=_back_to_stock(
            order,
            {sl: q for sl, q in returned.items() if _tracked(sl.order_line)},
            {sl.order_line_id: sl.order_line for sl in returned},
        ),
        actor=actor,
        reason=reason.strip(),
        reference=receipt.number,
        reference_id=receipt.pk,
    )
    order_lines, back = {}, {}
    for sl, quantity in returned.items():
        sl.qty_returned += quantity
        order_lines.setdefault(sl.order_line_id, sl.order_line)
        back[sl.order_line_id] = back.get(sl.order_line_id, ZERO) + quantity
    ShipmentLine.objects.for_company(order.company_id).bulk_update(list(returned), ["qty_returned"])
    counters.order_lines_return(order, back, lines=order_lines.values())
    summary = {str(sl.order_line_id): str(q) for sl, q in returned.items()}
    audit.record(
        actor=actor,
        entity=order,
        action="return_receive",
        changes={"return": receipt.number, "shipment": locked.number, "lines": summary},
    )
    events.emit(
        type="return.received",
        entity=receipt,
        actor=actor,
        payload={
            "number": receipt.number,
            "order_id": str(order.pk),
            "shipment": locked.number,
            "lines": summary,
        },
    )
    return receipt


__all__ = [
    "backorder_decline",
    "fulfilment_exception_resolve",
    "return_receive",
    "shipment_cancel",
    "shipment_create",
    "shipment_dispatch",
    "shipment_exception_record",
    "shipment_update",
    "shipments_cancel_for_order",
]
