"""Write use cases of stock: warehouses, receipts and their reversal, adjustments, transfers,
counts, and the reservation primitives the order services call (reserve, release, consume,
put back).

Locking rule: stock levels are locked with ``SELECT … FOR UPDATE`` in primary-key order, in
one statement, so two transactions touching the same products always queue instead of
deadlocking. A receipt reversal locks the receipt's moves before the levels (``_lock_receipt``). Reservation rows belong to one order line; callers (sales, fulfilment) hold
that order's row lock, so no two transactions change the same reservation.

Every function writes with a fixed number of statements whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.catalog.models import Product
from ordercrm.catalog.selectors import products_for_rows
from ordercrm.core import audit, events
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import new_id, parse_id
from ordercrm.core.models import Company
from ordercrm.core.money import ZERO, plain
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, RowErrors
from ordercrm.inventory.exceptions import (
    AlreadyReversed,
    BelowReserved,
    InsufficientStock,
    NotReserved,
    SameWarehouse,
)
from ordercrm.inventory.models import MoveKind, Reservation, StockLevel, StockMove, Warehouse
from ordercrm.inventory.signals import stock_increased

# ---------------------------------------------------------------- warehouses


def on_company_created(sender, company: Company, **kwargs) -> None:
    """Every company starts with one warehouse, so stock can be received at once."""
    Warehouse.objects.get_or_create(
        company=company, code="main", defaults={"name": _("Main warehouse"), "sequence": 10}
    )


@transaction.atomic
def warehouse_create(
    *,
    company: Company,
    actor,
    code: str,
    name: str,
    address: str = "",
    sequence: int = 10,
    is_saleable: bool = True,
) -> Warehouse:
    """A new warehouse; ``is_saleable=False`` makes a quarantine or scrap store."""
    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    errors = FieldErrors()
    errors.required("code", code)
    errors.required("name", name)
    if code and Warehouse.objects.for_company(company).filter(code=code.strip()).exists():
        errors.add("code", _("A warehouse with this code exists."))
    errors.raise_if_any()
    warehouse = Warehouse.objects.create(
        company=company,
        code=code.strip(),
        name=name.strip(),
        address=address,
        sequence=sequence,
        is_saleable=is_saleable,
    )
    audit.record(actor=actor, entity=warehouse, action="create")
    return warehouse


def warehouses_in_order(company: Company, warehouse_id: UUID | None = None) -> list[UUID]:
    """The warehouses an order draws from: its own, or all active saleable ones by allocation
    order (quarantine and scrap stock is never promised)."""
    if warehouse_id is not None:
        return [warehouse_id]
    return list(
        Warehouse.objects.for_company(company)
        .filter(is_active=True, is_saleable=True)
        .order_by("sequence", "code")
        .values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- levels and moves


def _lock_levels(
    company: Company, product_ids: Iterable[UUID], warehouse_ids: Iterable[UUID], *, create: bool
) -> dict[tuple[UUID, UUID], StockLevel]:
    """Lock the levels of every (product, warehouse) pair, in primary-key order.

    With ``create``, missing levels are inserted first (``ON CONFLICT DO NOTHING``, so two
    first receipts of a product do not fail each other)."""
    product_ids, warehouse_ids = set(product_ids), set(warehouse_ids)
    if not product_ids or not warehouse_ids:
        return {}
    levels = StockLevel.objects.for_company(company).filter(
        product_id__in=product_ids, warehouse_id__in=warehouse_ids
    )
    if create:
        StockLevel.objects.bulk_create(
            [
                StockLevel(company=company, product_id=p, warehouse_id=w)
                for p in product_ids
                for w in warehouse_ids
            ],
            ignore_conflicts=True,
        )
    locked = levels.select_for_update().order_by("pk")
    result = {}
    for level in locked:
        level.available_before = level.on_hand - level.reserved
        result[(level.product_id, level.warehouse_id)] = level
    return result


def _save_levels(company: Company, levels: Iterable[StockLevel]) -> None:
    levels = list(levels)
    if levels:
        StockLevel.objects.for_company(company).bulk_update(
            levels, ["on_hand", "reserved", "updated_at"]
        )
        _announce_low_stock(company, levels)


def _announce_low_stock(company: Company, levels: list[StockLevel]) -> None:
    """Emit ``stock.low`` for each product whose total available stock just fell to or below
    its reorder point (once per crossing, not on every change below it)."""
    change: dict = {}
    for level in levels:
        before = getattr(level, "available_before", None)
        if before is not None:
            delta = (level.on_hand - level.reserved) - before
            change[level.product_id] = change.get(level.product_id, ZERO) + delta
    falling = [product_id for product_id, delta in change.items() if delta < 0]
    if not falling:
        return
    watched = {
        p.pk: p
        for p in Product.objects.for_company(company).filter(
            pk__in=falling, reorder_point__isnull=False
        )
    }
    if not watched:
        return
    totals = {
        row["product_id"]: row["on_hand"] - row["reserved"]
        for row in StockLevel.objects.for_company(company)
        .filter(product_id__in=list(watched))
        .values("product_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    }
    for product_id, product in watched.items():
        after = totals.get(product_id, ZERO)
        if after <= product.reorder_point < after - change[product_id]:
            events.emit(
                type="stock.low",
                entity=product,
                payload={
                    "sku": product.sku,
                    "available": plain(after),
                    "reorder_point": plain(product.reorder_point),
                },
            )


@dataclass
class _Entry:
    product_id: UUID
    warehouse_id: UUID
    quantity: Decimal
    reason: str = ""
    reverses: UUID | None = None  # the receipt move a reversal takes back out


def _write_moves(
    company: Company,
    levels: dict[tuple[UUID, UUID], StockLevel],
    entries: list[_Entry],
    *,
    kind: str,
    actor,
    reference: str,
    reference_id: UUID,
) -> list[StockMove]:
    """Apply signed quantities to ``on_hand`` and append one move per entry.

    Raises ``inventory.below_reserved`` (nothing written) if a level would fall below what is
    reserved, or below zero."""
    now = timezone.now()
    moves, short = [], []
    for entry in entries:
        level = levels[(entry.product_id, entry.warehouse_id)]
        level.on_hand += entry.quantity
        level.updated_at = now
        if level.on_hand < level.reserved or level.on_hand < 0:
            before = level.on_hand - entry.quantity
            short.append(
                {
                    "product_id": str(entry.product_id),
                    "warehouse_id": str(entry.warehouse_id),
                    "on_hand": plain(before),
                    "reserved": plain(level.reserved),
                    "available": plain(before - level.reserved),
                    "change": plain(entry.quantity),
                }
            )
        moves.append(
            StockMove(
                company=company,
                product_id=entry.product_id,
                warehouse_id=entry.warehouse_id,
                kind=kind,
                quantity=entry.quantity,
                balance_after=level.on_hand,
                reason=entry.reason[:200],
                reference=reference[:64],
                reference_id=reference_id,
                actor=actor if getattr(actor, "pk", None) else None,
                reversal_of_id=entry.reverses,
            )
        )
    if short:
        _raise_below_reserved(company, short)
    _save_levels(company, {id(level): level for level in levels.values()}.values())
    StockMove.objects.bulk_create(moves)
    return moves


def _raise_below_reserved(company: Company, short: list[dict[str, str]]) -> None:
    """Name the product (SKU) and warehouse (code) of each refused line, so a page can say
    which stock orders rely on; two queries, only on the refusal."""
    skus = dict(
        Product.objects.for_company(company)
        .filter(pk__in={line["product_id"] for line in short})
        .values_list("pk", "sku")
    )
    codes = dict(
        Warehouse.objects.for_company(company)
        .filter(pk__in={line["warehouse_id"] for line in short})
        .values_list("pk", "code")
    )
    for line in short:
        line["sku"] = skus.get(UUID(line["product_id"]), "")
        line["warehouse"] = codes.get(UUID(line["warehouse_id"]), "")
    if all(Decimal(line["reserved"]) == 0 for line in short):
        # nothing is promised: the stock is simply not there (shipped, moved, adjusted since)
        raise BelowReserved(
            _("There is less stock on hand than this takes out."), details={"lines": short}
        )
    raise BelowReserved(details={"lines": short})


def _resolve_lines(
    company: Company, lines: list[dict[str, Any]], *, signed: bool = False, allow_zero=False
) -> list[tuple[Product, Decimal]]:
    """``[{"product" | "product_id" | "sku", "quantity"}]`` → (product, quantity), one query
    (``catalog.selectors.products_for_rows``).

    Quantities must be positive (or, with ``signed``, non-zero). All errors are raised
    together as ``core.validation_failed`` with ``details["lines"][index][field]``."""
    if not lines:
        raise ValidationFailed(details={"fields": {"lines": [_("Add at least one line.")]}})
    errors = RowErrors()
    resolved = []
    products = products_for_rows(company, lines, related=())
    # Each product read again under a lock that a product becoming a kit waits for (and
    # that waits for it): a receipt and ``product_kit_set`` in parallel cannot leave stock
    # on a kit (``refuse_kit_with_stock``). Every row is locked (a lock only holds the rows
    # a query returns), and is_kit read from the locked rows.
    kits = {
        pk
        for pk, is_kit in Product.objects.for_company(company)
        .select_for_update(no_key=True)
        .filter(pk__in={p.pk for p in products if p is not None})
        .order_by("pk")
        .values_list("pk", "is_kit")
        if is_kit
    }
    for index, (raw, product) in enumerate(zip(lines, products, strict=True)):
        if product is None:
            errors.add(index, "product", _("Unknown product."))
        elif not product.is_stock_tracked:
            errors.add(index, "product", _("This product is not stock-tracked."))
        elif product.pk in kits:
            errors.add(index, "product", _("A kit holds no stock of its own; its components do."))
        quantity = errors.quantity(
            index,
            raw.get("quantity"),
            (StockMove, "quantity"),
            signed=signed,
            allow_zero=allow_zero,
        )
        if product is not None and quantity is not None:
            resolved.append((product, quantity))
    errors.raise_if_any()
    return resolved


def refuse_kit_with_stock(*, product: Product) -> None:
    """The inventory guard of ``catalog.hooks.before_becoming_kit``: a product with stock on
    hand in any warehouse stays an ordinary product (``catalog.kit_has_stock``). The product
    is locked by the caller, and every stock change locks it too (``_resolve_lines``), so no
    receipt can land between this check and the kit's commit."""
    from ordercrm.catalog.services import KitHasStock

    on_hand = (
        StockLevel.objects.for_company(product.company_id)
        .filter(product=product)
        .aggregate(total=Sum("on_hand"))["total"]
    )
    if on_hand:
        from django.utils import translation

        from ordercrm.core.documents import Formatter

        raise KitHasStock(
            # the reader's number format in the message (28,298); the plain figure in details
            params={
                "sku": product.sku,
                "quantity": Formatter(translation.get_language()).quantity(on_hand),
            },
            details={"product_id": str(product.pk), "on_hand": plain(on_hand)},
        )


def _notify_increase(company: Company, product_ids: Iterable[UUID]) -> None:
    """After commit, tell the layers above that stock arrived (backorders wait for it)."""
    ids = sorted({str(p) for p in product_ids})
    if ids:
        transaction.on_commit(
            lambda: stock_increased.send(sender=StockMove, company_id=company.pk, product_ids=ids)
        )


def _document(company: Company, prefix: str) -> tuple[str, UUID]:
    year = timezone.now().year
    return next_number(company=company, prefix=prefix, year=year), new_id()


def _stock_change(
    *,
    company: Company,
    actor,
    warehouse: Warehouse,
    entries: list[_Entry],
    kind: str,
    prefix: str,
    reference: str,
    action: str,
    event: str | None,
) -> list[StockMove]:
    """The shared body of receipts, adjustments and counts: lock, move, audit, event."""
    number, reference_id = _document(company, prefix)
    levels = _lock_levels(company, [e.product_id for e in entries], [warehouse.pk], create=True)
    moves = _write_moves(
        company,
        levels,
        entries,
        kind=kind,
        actor=actor,
        reference=reference or number,
        reference_id=reference_id,
    )
    summary = [
        {"product_id": str(m.product_id), "quantity": str(m.quantity), "reason": m.reason}
        for m in moves
    ]
    audit.record(
        actor=actor,
        entity=warehouse,
        action=action,
        label=f"{warehouse.code} {number}",
        changes={"document": number, "reference": reference, "lines": summary},
    )
    if event:
        events.emit(
            type=event,
            entity=warehouse,
            actor=actor,
            payload={"document": number, "reference": reference, "lines": summary},
        )
    _notify_increase(company, [m.product_id for m in moves if m.quantity > 0])
    return moves


def _require_stock_edit(actor, company: Company, warehouse: Warehouse) -> None:
    access_for(actor, company).require(Perm.STOCK_EDIT)
    if warehouse.company_id != company.pk:
        raise ValidationFailed(details={"fields": {"warehouse": [_("Unknown warehouse.")]}})


@transaction.atomic
def stock_receive(
    *,
    company: Company,
    actor,
    warehouse: Warehouse,
    lines: list[dict[str, Any]],
    reference: str = "",
) -> list[StockMove]:
    """Goods arrive: ``on_hand`` rises by each quantity (> 0); waiting backorders are then
    filled oldest first by the order side."""
    _require_stock_edit(actor, company, warehouse)
    resolved = _resolve_lines(company, lines)
    entries = [_Entry(p.pk, warehouse.pk, q) for p, q in resolved]
    return _stock_change(
        company=company,
        actor=actor,
        warehouse=warehouse,
        entries=entries,
        kind=MoveKind.RECEIPT,
        prefix="RCV",
        reference=reference,
        action="stock_receipt",
        event="stock.received",
    )


def _lock_receipt(company: Company, receipt_id: UUID) -> list[StockMove]:
    """Lock a receipt's moves (its lines), in primary-key order.

    Lock order: the receipt first, then its stock levels (``_lock_levels``). Nothing else
    locks moves, so this adds no cycle to the order → levels order of the order services; two
    reversals of one receipt queue here, and the second sees the first's moves."""
    return list(
        StockMove.objects.for_company(company)
        .filter(reference_id=receipt_id, kind=MoveKind.RECEIPT)
        .select_for_update()
        .order_by("pk")
    )


@transaction.atomic
def stock_receipt_reverse(
    *, company: Company, actor, receipt_id: UUID | str, reason: str
) -> list[StockMove]:
    """Take a whole receipt back out of stock (wrong delivery, booked twice, goods sent back
    to the supplier): one ``receipt_reversal`` move per receipt line, of the opposite
    quantity, with the receipt's reference and ``reference_id`` and ``reversal_of`` its line.
    The receipt's own moves are never changed or deleted.

    ``receipt_id`` is the receipt's ``reference_id`` (the id every move of one receipt shares).
    Needs ``stock_edit`` in the receipt's company and a reason. Refusals, each changing nothing:
    ``core.validation_failed`` (no reason), ``core.not_found`` (no such receipt in the company),
    ``inventory.already_reversed`` (a second reversal, also when two race: the receipt's rows
    are locked first), ``inventory.below_reserved`` when a line would leave less on hand than
    reservations hold (on hand − quantity < reserved: that stock is promised to orders; ship or
    release those first) or less than zero (the goods were shipped or moved since).
    """
    access_for(actor, company).require(Perm.STOCK_EDIT)
    if not (reason or "").strip():
        raise ValidationFailed(details={"fields": {"reason": [_("Please give a reason.")]}})
    reason = reason.strip()
    receipt_id = parse_id(receipt_id)  # malformed: core.not_found, like a missing receipt
    receipt = _lock_receipt(company, receipt_id)
    if not receipt:
        raise NotFound(details={"receipt_id": str(receipt_id)})
    warehouse = Warehouse.objects.for_company(company).get(pk=receipt[0].warehouse_id)
    _require_stock_edit(actor, company, warehouse)
    earlier = (
        StockMove.objects.for_company(company)
        .filter(reversal_of__in=[m.pk for m in receipt])
        .order_by("created_at")
        .first()
    )
    if earlier is not None:
        raise AlreadyReversed(
            details={
                "receipt_id": str(receipt_id),
                "reference": earlier.reference,
                "reversed_at": earlier.created_at.isoformat(),
            }
        )
    levels = _lock_levels(company, [m.product_id for m in receipt], [warehouse.pk], create=False)
    entries = [
        _Entry(m.product_id, m.warehouse_id, -m.quantity, reason, reverses=m.pk) for m in receipt
    ]
    moves = _write_moves(
        company,
        levels,
        entries,
        kind=MoveKind.RECEIPT_REVERSAL,
        actor=actor,
        reference=receipt[0].reference,
        reference_id=receipt_id,
    )
    summary = [{"product_id": str(m.product_id), "quantity": plain(m.quantity)} for m in moves]
    changes = {
        "receipt_id": str(receipt_id),
        "reference": receipt[0].reference,
        "reason": reason,
        "lines": summary,
    }
    audit.record(
        actor=actor,
        entity=warehouse,
        action="stock_receipt_reverse",
        label=f"{warehouse.code} {receipt[0].reference}",
        changes=changes,
    )
    events.emit(type="stock.receipt_reversed", entity=warehouse, actor=actor, payload=changes)
    return moves


@transaction.atomic
def stock_adjust(
    *,
    company: Company,
    actor,
    warehouse: Warehouse,
    lines: list[dict[str, Any]],
    reason: str,
) -> list[StockMove]:
    """Correct ``on_hand`` by signed quantities (damage, loss, found goods). A reason is
    required; stock cannot fall below what is reserved (``inventory.below_reserved``)."""
    _require_stock_edit(actor, company, warehouse)
    if not (reason or "").strip():
        raise ValidationFailed(details={"fields": {"reason": [_("Please give a reason.")]}})
    resolved = _resolve_lines(company, lines, signed=True)
    entries = [_Entry(p.pk, warehouse.pk, q, reason.strip()) for p, q in resolved]
    return _stock_change(
        company=company,
        actor=actor,
        warehouse=warehouse,
        entries=entries,
        kind=MoveKind.ADJUSTMENT,
        prefix="ADJ",
        reference="",
        action="stock_adjustment",
        event="stock.adjusted",
    )


@transaction.atomic
def stock_count(
    *,
    company: Company,
    actor,
    warehouse: Warehouse,
    counts: list[dict[str, Any]],
    reason: str = "",
) -> list[StockMove]:
    """Record a physical count: each counted quantity replaces ``on_hand`` through an
    adjustment move of the difference. Products counted as they stand move nothing."""
    _require_stock_edit(actor, company, warehouse)
    resolved = _resolve_lines(company, counts, allow_zero=True)
    levels = _lock_levels(company, [p.pk for p, _q in resolved], [warehouse.pk], create=True)
    reason = (reason or "").strip() or _("Stock count")
    entries = []
    for product, counted in resolved:
        difference = counted - levels[(product.pk, warehouse.pk)].on_hand
        if difference:
            entries.append(_Entry(product.pk, warehouse.pk, difference, reason))
    if not entries:
        return []
    return _stock_change(
        company=company,
        actor=actor,
        warehouse=warehouse,
        entries=entries,
        kind=MoveKind.ADJUSTMENT,
        prefix="CNT",
        reference="",
        action="stock_count",
        event="stock.adjusted",
    )


@transaction.atomic
def stock_transfer(
    *,
    company: Company,
    actor,
    source: Warehouse,
    destination: Warehouse,
    lines: list[dict[str, Any]],
    reason: str = "",
) -> list[StockMove]:
    """Move free stock (on hand − reserved) between warehouses: one move out, one move in."""
    _require_stock_edit(actor, company, source)
    _require_stock_edit(actor, company, destination)
    if source.pk == destination.pk:
        raise SameWarehouse()
    resolved = _resolve_lines(company, lines)
    number, reference_id = _document(company, "TRF")
    product_ids = [p.pk for p, _q in resolved]
    levels = _lock_levels(company, product_ids, [source.pk, destination.pk], create=True)
    entries = []
    for product, quantity in resolved:
        entries.append(_Entry(product.pk, source.pk, -quantity, reason))
        entries.append(_Entry(product.pk, destination.pk, quantity, reason))
    moves = _write_moves(
        company,
        levels,
        entries,
        kind=MoveKind.TRANSFER,
        actor=actor,
        reference=number,
        reference_id=reference_id,
    )
    audit.record(
        actor=actor,
        entity=source,
        action="stock_transfer",
        label=f"{source.code} → {destination.code} {number}",
        changes={
            "document": number,
            "to": destination.code,
            "lines": [{"product_id": str(p.pk), "quantity": str(q)} for p, q in resolved],
        },
    )
    _notify_increase(company, product_ids)
    return moves


# ---------------------------------------------------------------- reservations


@dataclass(frozen=True)
class Demand:
    """Stock an order line still needs reserved."""

    order_line_id: UUID
    order_id: UUID
    product_id: UUID
    quantity: Decimal
    reference: str = ""
    already_reserved: Decimal = ZERO  # lets a first reservation skip looking for existing rows


def reserve(
    *,
    company: Company,
    demands: list[Demand],
    warehouse_ids: list[UUID],
    all_or_nothing: bool,
) -> dict[UUID, Decimal]:
    """Reserve each demand from the warehouses in the given order; returns what each line got.

    ``all_or_nothing``: if any line cannot be covered in full, raise
    ``inventory.insufficient_stock`` with the shortfall per line and change nothing.
    Otherwise reserve what is there; the rest stays a backorder for the caller to record.
    The caller holds the order's row lock and runs this inside its transaction.
    """
    demands = [d for d in demands if d.quantity > 0]
    if not demands or not warehouse_ids:
        if all_or_nothing and demands:
            _raise_short(company, [(d, ZERO, d.quantity) for d in demands])
        return {}
    levels = _lock_levels(company, [d.product_id for d in demands], warehouse_ids, create=False)
    topping_up = [d.order_line_id for d in demands if d.already_reserved > 0]
    existing = {
        (r.order_line_id, r.warehouse_id): r
        for r in (
            Reservation.objects.for_company(company).filter(order_line_id__in=topping_up)
            if topping_up
            else []
        )
    }
    got: dict[UUID, Decimal] = {}
    short = []
    touched_levels, to_update, to_create = {}, {}, []
    for demand in demands:
        remaining = demand.quantity
        free_total = ZERO
        for warehouse_id in warehouse_ids:
            level = levels.get((demand.product_id, warehouse_id))
            if level is None or remaining <= 0:
                continue
            free = level.on_hand - level.reserved
            free_total += max(free, ZERO)
            take = min(free, remaining)
            if take <= 0:
                continue
            level.reserved += take
            touched_levels[level.pk] = level
            remaining -= take
            got[demand.order_line_id] = got.get(demand.order_line_id, ZERO) + take
            key = (demand.order_line_id, warehouse_id)
            if key in existing:
                existing[key].quantity += take
                to_update[existing[key].pk] = existing[key]
            else:
                existing[key] = Reservation(
                    company=company,
                    product_id=demand.product_id,
                    warehouse_id=warehouse_id,
                    order_id=demand.order_id,
                    order_line_id=demand.order_line_id,
                    reference=demand.reference[:64],
                    quantity=take,
                )
                to_create.append(existing[key])
        if remaining > 0:
            short.append((demand, demand.quantity - remaining, remaining))
    if short and all_or_nothing:
        _raise_short(company, short)
    now = timezone.now()
    for level in touched_levels.values():
        level.updated_at = now
    _save_levels(company, touched_levels.values())
    if to_update:
        Reservation.objects.for_company(company).bulk_update(to_update.values(), ["quantity"])
    Reservation.objects.bulk_create(to_create)
    return got


def _raise_short(company: Company, short: list[tuple[Demand, Decimal, Decimal]]) -> None:
    skus = dict(
        Product.objects.for_company(company)
        .filter(pk__in={d.product_id for d, _a, _s in short})
        .values_list("pk", "sku")
    )
    raise InsufficientStock(
        params={"count": len(short)},
        details={
            "lines": [
                {
                    "order_line_id": str(demand.order_line_id),
                    "product_id": str(demand.product_id),
                    "sku": skus.get(demand.product_id, ""),
                    "requested": plain(demand.quantity),
                    "available": plain(available),
                    "shortfall": plain(shortfall),
                }
                for demand, available, shortfall in short
            ]
        },
    )


def _reservations_of(company: Company, line_ids: Iterable[UUID], warehouse_ids=None):
    reservations = Reservation.objects.for_company(company).filter(order_line_id__in=line_ids)
    if warehouse_ids is not None:
        reservations = reservations.filter(warehouse_id__in=warehouse_ids)
    # Newest first: releasing gives back the last stock taken.
    return list(reservations.order_by("-created_at", "-id"))


def _shrink(
    company: Company, reservations: list[Reservation], amounts: dict[UUID, Decimal | None]
) -> tuple[dict[tuple[UUID, UUID], list[tuple[Reservation, Decimal]]], dict[UUID, Decimal]]:
    """Take ``amounts[line]`` (``None``: everything) from the lines' reservations.

    Returns the taken (reservation, quantity) per (product, warehouse) and the total per line.
    """
    wanted = dict(amounts)
    taken: dict[tuple[UUID, UUID], list[tuple[Reservation, Decimal]]] = {}
    per_line: dict[UUID, Decimal] = {}
    for reservation in reservations:
        want = wanted.get(reservation.order_line_id, ZERO)
        take = reservation.quantity if want is None else min(want, reservation.quantity)
        if take <= 0:
            continue
        if want is not None:
            wanted[reservation.order_line_id] = want - take
        taken.setdefault((reservation.product_id, reservation.warehouse_id), []).append(
            (reservation, take)
        )
        per_line[reservation.order_line_id] = per_line.get(reservation.order_line_id, ZERO) + take
    return taken, per_line


def _store_reservations(company: Company, changed: list[Reservation]) -> None:
    empty = [r.pk for r in changed if r.quantity <= 0]
    kept = [r for r in changed if r.quantity > 0]
    if empty:
        Reservation.objects.for_company(company).filter(pk__in=empty).delete()
    if kept:
        Reservation.objects.for_company(company).bulk_update(kept, ["quantity"])


def release(
    *, company: Company, amounts: dict[UUID, Decimal | None], notify: bool = True
) -> dict[UUID, Decimal]:
    """Give reserved stock back: ``amounts[line_id]`` (``None`` for all of it).

    Returns what was released per line. The caller holds the order lock. ``notify=False``
    when the stock was free when the transaction began (a kit's components handing back at
    once what no whole kit used): nothing arrived for waiting backorders."""
    reservations = _reservations_of(company, amounts.keys())
    taken, per_line = _shrink(company, reservations, amounts)
    if not taken:
        return {}
    levels = _lock_levels(company, {p for p, _w in taken}, {w for _p, w in taken}, create=False)
    changed = []
    now = timezone.now()
    for key, parts in taken.items():
        level = levels[key]
        for reservation, quantity in parts:
            reservation.quantity -= quantity
            level.reserved -= quantity
            changed.append(reservation)
        level.updated_at = now
    _save_levels(company, [levels[key] for key in taken])
    _store_reservations(company, changed)
    if notify:
        _notify_increase(company, {p for p, _w in taken})
    return per_line


@dataclass(frozen=True)
class Consumption:
    order_line_id: UUID
    quantity: Decimal


def consume(
    *,
    company: Company,
    consumptions: list[Consumption],
    warehouse_ids: list[UUID] | None,
    actor,
    reference: str,
    reference_id: UUID,
) -> list[StockMove]:
    """Ship reserved stock: reservations and ``on_hand`` fall together, one shipment move per
    line and warehouse. Raises ``inventory.not_reserved`` when a line has less reserved
    (in the given warehouses) than it ships. The caller holds the order lock."""
    amounts = {c.order_line_id: c.quantity for c in consumptions if c.quantity > 0}
    if not amounts:
        return []
    reservations = _reservations_of(company, amounts.keys(), warehouse_ids)
    # Consume oldest first, the reverse of release.
    reservations.reverse()
    taken, per_line = _shrink(company, reservations, amounts)
    missing = [
        {"order_line_id": str(line), "quantity": str(q), "reserved": str(per_line.get(line, ZERO))}
        for line, q in amounts.items()
        if per_line.get(line, ZERO) < q
    ]
    if missing:
        raise NotReserved(details={"lines": missing})
    levels = _lock_levels(company, {p for p, _w in taken}, {w for _p, w in taken}, create=False)
    entries, changed = [], []
    for key, parts in taken.items():
        for reservation, quantity in parts:
            reservation.quantity -= quantity
            levels[key].reserved -= quantity
            changed.append(reservation)
            entries.append(_Entry(key[0], key[1], -quantity))
    _store_reservations(company, changed)
    return _write_moves(
        company,
        levels,
        entries,
        kind=MoveKind.SHIPMENT,
        actor=actor,
        reference=reference,
        reference_id=reference_id,
    )


def put_back(
    *,
    company: Company,
    warehouse: Warehouse,
    quantities: list[tuple[UUID, Decimal]],
    actor,
    reason: str,
    reference: str,
    reference_id: UUID,
) -> list[StockMove]:
    """Returned goods come back into ``warehouse``: one return move per (product, quantity)."""
    entries = [_Entry(p, warehouse.pk, q, reason) for p, q in quantities if q > 0]
    if not entries:
        return []
    levels = _lock_levels(company, [e.product_id for e in entries], [warehouse.pk], create=True)
    moves = _write_moves(
        company,
        levels,
        entries,
        kind=MoveKind.RETURN,
        actor=actor,
        reference=reference,
        reference_id=reference_id,
    )
    _notify_increase(company, [e.product_id for e in entries])
    return moves
