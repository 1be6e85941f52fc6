"""API v1: warehouses, stock levels, receipts (and their reversal) and adjustments."""

from __future__ import annotations

from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import warehouse_of, with_errors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.ids import parse_id
from ordercrm.core.permissions import Perm
from ordercrm.inventory.selectors import stock_levels, stock_receipt, warehouse_list
from ordercrm.inventory.services import stock_adjust, stock_receipt_reverse, stock_receive

router = Router()


@router.get("/warehouses", response=with_errors({200: list[s.WarehouseOut]}), tags=["stock"])
def warehouses(request):
    request.access.require(Perm.STOCK_VIEW)
    return list(warehouse_list(request.company))


@router.get("/stock", response=with_errors({200: list[s.StockOut]}), tags=["stock"])
@decorate_view(reading_from_replica())
def stock(request, product_id: str | None = None, warehouse_id: str | None = None):
    return list(
        stock_levels(
            request.access,
            product_id=parse_id(product_id) if product_id else None,
            warehouse_id=parse_id(warehouse_id) if warehouse_id else None,
        )[:1000]
    )


@router.post("/stock/receipts", response=with_errors({201: list[s.MoveOut]}), tags=["stock"])
def stock_receipts(request, body: s.StockIn):
    moves = stock_receive(
        company=request.company,
        actor=request.user,
        warehouse=warehouse_of(request, body.warehouse_id),
        lines=[line.dict() for line in body.lines],
        reference=body.reference,
    )
    return Status(201, moves)


@router.get(
    "/stock/receipts/{stock_receipt_id}", response=with_errors({200: s.ReceiptOut}), tags=["stock"]
)
def stock_receipts_get(request, stock_receipt_id: str):
    """A receipt by its id (every move of the receipt carries it as ``reference_id``): its
    lines and, once reversed, the reversal moves."""
    return stock_receipt(request.access, parse_id(stock_receipt_id))


@router.post(
    "/stock/receipts/{stock_receipt_id}/reverse",
    response=with_errors({200: s.ReceiptOut}),
    tags=["stock"],
)
def stock_receipts_reverse(request, stock_receipt_id: str, body: s.ReceiptReverseIn):
    """Take a whole receipt back out of stock with opposite moves that reference it (the
    receipt's moves stay). Needs ``stock_edit`` and a reason. 409 ``inventory.below_reserved``
    when that stock is reserved for orders (``details.lines``: product, SKU, warehouse, on
    hand, reserved, available, change) or already gone; 409 ``inventory.already_reversed``
    the second time."""
    receipt_id = parse_id(stock_receipt_id)
    stock_receipt_reverse(
        company=request.company, actor=request.user, receipt_id=receipt_id, reason=body.reason
    )
    return stock_receipt(request.access, receipt_id)


@router.post("/stock/adjustments", response=with_errors({201: list[s.MoveOut]}), tags=["stock"])
def stock_adjustments(request, body: s.StockIn):
    moves = stock_adjust(
        company=request.company,
        actor=request.user,
        warehouse=warehouse_of(request, body.warehouse_id),
        lines=[line.dict() for line in body.lines],
        reason=body.reason,
    )
    return Status(201, moves)
