"""Reads of stock: levels, availability (available = on hand − reserved), the moves ledger,
a receipt with its reversal, reservations, and the ledger check the tests run after every
inventory change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet, Sum

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound
from ordercrm.core.models import Company
from ordercrm.core.money import ZERO
from ordercrm.core.permissions import Perm
from ordercrm.inventory.models import MoveKind, Reservation, StockLevel, StockMove, Warehouse


@dataclass(frozen=True)
class Availability:
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def warehouse_list(company: Company, *, active_only: bool = True) -> QuerySet[Warehouse]:
    warehouses = Warehouse.objects.for_company(company)
    return warehouses.filter(is_active=True) if active_only else warehouses


def availability(
    company: Company, product_ids: Iterable[UUID], warehouse_ids: Iterable[UUID] | None = None
) -> dict[UUID, Availability]:
    """Per product, summed over the given warehouses (all saleable ones when ``None``: stock
    in quarantine or scrap is on hand but not available); one query.

    Products never received are absent: treat them as ``Availability()``."""
    levels = StockLevel.objects.for_company(company).filter(product_id__in=list(product_ids))
    if warehouse_ids is not None:
        levels = levels.filter(warehouse_id__in=list(warehouse_ids))
    else:
        levels = levels.filter(warehouse__is_saleable=True)
    rows = levels.values("product_id").annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    return {
        row["product_id"]: Availability(row["on_hand"] or ZERO, row["reserved"] or ZERO)
        for row in rows
    }


def availability_by_warehouse(
    company: Company, product_ids: Iterable[UUID]
) -> dict[UUID, dict[UUID, Availability]]:
    """``{product_id: {warehouse_id: Availability}}`` for a product page or order entry."""
    result: dict[UUID, dict[UUID, Availability]] = {}
    for level in StockLevel.objects.for_company(company).filter(product_id__in=list(product_ids)):
        result.setdefault(level.product_id, {})[level.warehouse_id] = Availability(
            level.on_hand, level.reserved
        )
    return result


def stock_levels(
    access: Access, *, product_id=None, warehouse_id=None, search: str = ""
) -> QuerySet[StockLevel]:
    access.require(Perm.STOCK_VIEW)
    levels = StockLevel.objects.for_company(access.company).select_related(
        "product", "product__unit", "warehouse"
    )
    if product_id:
        levels = levels.filter(product_id=product_id)
    if warehouse_id:
        levels = levels.filter(warehouse_id=warehouse_id)
    if search:
        levels = levels.filter(product__sku__icontains=search) | levels.filter(
            product__name__icontains=search
        )
    # the warehouse's own ordering (sequence, then code), so equal sequences list the same way
    # on every database
    return levels.order_by("product__sku", "warehouse__sequence", "warehouse__code")


def stock_moves(
    access: Access, *, product_id=None, warehouse_id=None, kind: str = "", reference_id=None
) -> QuerySet[StockMove]:
    """The ledger, newest first."""
    access.require(Perm.STOCK_VIEW)
    moves = StockMove.objects.for_company(access.company).select_related(
        "product", "warehouse", "actor"
    )
    if product_id:
        moves = moves.filter(product_id=product_id)
    if warehouse_id:
        moves = moves.filter(warehouse_id=warehouse_id)
    if kind:
        moves = moves.filter(kind=kind)
    if reference_id:
        moves = moves.filter(reference_id=reference_id)
    return moves


@dataclass(frozen=True)
class Receipt:
    """One stock receipt: its lines (receipt moves, sharing ``reference_id``), the reversal
    moves if it was reversed, and the stock each line's product holds now in its warehouse."""

    id: UUID
    reference: str
    warehouse: Warehouse
    lines: list[StockMove]
    reversals: list[StockMove]
    levels: dict[UUID, Availability]

    @property
    def created_at(self):
        return self.lines[0].created_at

    @property
    def actor(self):
        return self.lines[0].actor

    @property
    def reversed(self) -> bool:
        return bool(self.reversals)

    @property
    def reversed_at(self):
        return self.reversals[0].created_at if self.reversals else None

    @property
    def reversed_by(self):
        return self.reversals[0].actor if self.reversals else None

    @property
    def reversal_reason(self) -> str:
        return self.reversals[0].reason if self.reversals else ""


def stock_receipt(access: Access, receipt_id: UUID) -> Receipt:
    """The receipt whose moves carry ``reference_id = receipt_id`` in the caller's company
    (``stock_view``); ``core.not_found`` otherwise. Two queries."""
    access.require(Perm.STOCK_VIEW)
    moves = list(
        StockMove.objects.for_company(access.company)
        .filter(reference_id=receipt_id, kind__in=[MoveKind.RECEIPT, MoveKind.RECEIPT_REVERSAL])
        .select_related("product", "product__unit", "warehouse", "actor")
        .order_by("created_at", "id")
    )
    lines = [m for m in moves if m.kind == MoveKind.RECEIPT]
    if not lines:
        raise NotFound(details={"receipt_id": str(receipt_id)})
    levels = {
        level.product_id: Availability(level.on_hand, level.reserved)
        for level in StockLevel.objects.for_company(access.company).filter(
            warehouse_id=lines[0].warehouse_id, product_id__in={m.product_id for m in lines}
        )
    }
    return Receipt(
        id=receipt_id,
        reference=lines[0].reference,
        warehouse=lines[0].warehouse,
        lines=lines,
        reversals=[m for m in moves if m.kind == MoveKind.RECEIPT_REVERSAL],
        levels=levels,
    )


def reversed_receipts(company: Company, receipt_ids: Iterable[UUID]) -> set[UUID]:
    """Which of these receipts have been reversed (one query, for a page of the ledger)."""
    ids = {i for i in receipt_ids if i}
    if not ids:
        return set()
    return set(
        StockMove.objects.for_company(company)
        .filter(kind=MoveKind.RECEIPT_REVERSAL, reference_id__in=ids)
        .values_list("reference_id", flat=True)
        .distinct()
    )


def reservations_of_order(company: Company, order_id: UUID) -> QuerySet[Reservation]:
    return Reservation.objects.for_company(company).filter(order_id=order_id)


def reserved_by_line(company: Company, line_ids: Iterable[UUID]) -> dict[UUID, Decimal]:
    rows = (
        Reservation.objects.for_company(company)
        .filter(order_line_id__in=list(line_ids))
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["order_line_id"]: row["total"] for row in rows}


def ledger_discrepancies(company: Company) -> list[dict[str, str]]:
    """Levels whose ``on_hand`` ≠ Σ moves or ``reserved`` ≠ Σ reservations (should be none).

    Three queries for the whole company; used by tests after every change and by
    ``ordercrm check_stock`` in production."""
    moved = {
        (r["product_id"], r["warehouse_id"]): r["total"]
        for r in StockMove.objects.for_company(company)
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
    }
    held = {
        (r["product_id"], r["warehouse_id"]): r["total"]
        for r in Reservation.objects.for_company(company)
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
    }
    problems = []
    seen = set()
    for level in StockLevel.objects.for_company(company):
        key = (level.product_id, level.warehouse_id)
        seen.add(key)
        if level.on_hand != moved.get(key, ZERO) or level.reserved != held.get(key, ZERO):
            problems.append(
                {
                    "product_id": str(level.product_id),
                    "warehouse_id": str(level.warehouse_id),
                    "on_hand": str(level.on_hand),
                    "moves": str(moved.get(key, ZERO)),
                    "reserved": str(level.reserved),
                    "reservations": str(held.get(key, ZERO)),
                }
            )
    for key in (moved.keys() | held.keys()) - seen:
        problems.append(
            {"product_id": str(key[0]), "warehouse_id": str(key[1]), "level": "missing"}
        )
    return problems


@dataclass(frozen=True)
class KitPart:
    """One component of a kit with its quantity per kit and its stock (saleable
    warehouses); ``kits`` = the whole kits its free stock alone would make."""

    component: object
    quantity: Decimal
    stock: Availability

    @property
    def kits(self) -> Decimal:
        from ordercrm.catalog.kits import kits_from

        return kits_from({0: self.stock.available}, {0: self.quantity})


@dataclass(frozen=True)
class KitStock:
    """A kit's components and their stock; ``available`` = the whole kits the components'
    free stock makes (``catalog.kits.kits_from``), since a kit holds no stock itself."""

    parts: list[KitPart]

    @property
    def available(self) -> Decimal:
        from ordercrm.catalog.kits import kits_from

        return kits_from(
            {i: part.stock.available for i, part in enumerate(self.parts)},
            {i: part.quantity for i, part in enumerate(self.parts)},
        )


def kit_stock(product) -> KitStock | None:
    """The kit's components with their stock and the kits they make (two queries), or
    ``None`` for a product that is not a kit."""
    from ordercrm.catalog.selectors import kit_components

    if not product.is_kit:
        return None
    components = kit_components(product)
    levels = availability(product.company, [c.component_id for c in components])
    return KitStock(
        [
            KitPart(c.component, c.quantity, levels.get(c.component_id, Availability()))
            for c in components
        ]
    )
