"""API v1: return authorisations (RMA) — list, create from an order, read, actions — what
can still be returned on an order, and the return receipts booked for RMAs."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.api.base import page, version_from
from ordercrm.api.v1 import returns_schemas as r
from ordercrm.api.v1.common import order_of, warehouse_of, with_errors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.returns import selectors, services, workflow

router = Router()


def _receipt(link) -> dict:
    receipt = link.receipt
    return {
        "id": receipt.pk,
        "number": receipt.number,
        "rma_id": link.rma_id,
        "rma_number": link.rma.number,
        "order_id": receipt.order_id,
        "shipment_id": receipt.shipment_id,
        "shipment_number": receipt.shipment.number,
        "warehouse_id": receipt.warehouse_id,
        "warehouse_code": receipt.warehouse.code,
        "condition": link.condition,
        "created_at": receipt.created_at,
    }


def _head(rma) -> dict:
    return {
        "id": rma.pk,
        "number": rma.number,
        "status": rma.status,
        "order_id": rma.order_id,
        "order_number": rma.order.number,
        "customer_id": rma.customer_id,
        "case_id": rma.case_id,
        "notes": rma.notes,
        "return_instructions": rma.return_instructions,
        "status_reason": rma.status_reason,
        "version": rma.version,
        "created_at": rma.created_at,
    }


def rma_out(request, rma_id, response=None) -> dict:
    """One RMA as the caller may see it, with lines, receipts, settlements and actions; its
    version goes into the ETag header."""
    rma = selectors.rma_get(request.access, rma_id)
    lines = selectors.rma_lines(rma)
    if response is not None:
        response["ETag"] = f'"{rma.version}"'
    return {
        **_head(rma),
        "lines": lines,
        "receipts": [_receipt(x) for x in selectors.rma_receipts(rma)],
        "settlements": [
            {
                "kind": x.kind,
                "number": x.number,
                "invoice_id": x.invoice_id,
                "shipment_id": x.shipment_id,
                "refund_id": x.refund_id,
            }
            for x in selectors.rma_settlements(rma)
        ],
        "actions": selectors.rma_actions(request.access, rma, lines),
    }


@router.get("/returns", response=with_errors({200: r.RmaPage}), tags=["returns"])
@decorate_view(reading_from_replica())
def returns_list(
    request,
    status: r.RmaStatusName | None = None,
    order_id: str | None = None,
    search: str = "",
    limit: int = 50,
    cursor: str | None = None,
):
    """Return authorisations of orders the caller may see, newest first."""
    try:
        order = parse_id(order_id) if order_id else None
    except NotFound:
        raise ValidationFailed(details={"fields": {"order_id": [_("Unknown order.")]}}) from None
    rmas = selectors.rma_list(request.access, status=status, order_id=order, search=search[:100])
    return page(rmas, limit, cursor, page_rows=lambda rows: [_head(x) for x in rows])


@router.post("/orders/{order_id}/returns", response=with_errors({201: r.RmaOut}), tags=["returns"])
def returns_create(request, order_id: str, body: r.RmaIn, response: HttpResponse):
    """Request a return of lines of this order: each ≤ shipped − returned − what open RMAs
    hold (``returns.over_returnable``); refunds only of invoiced units
    (``returns.refund_not_invoiced``)."""
    rma = services.rma_create(
        request.access,
        order_of(request, order_id),
        [line.dict() for line in body.lines],
        case_id=parse_id(body.case_id) if body.case_id else None,
        notes=body.notes,
        return_instructions=body.return_instructions,
    )
    return Status(201, rma_out(request, rma.pk, response))


@router.get(
    "/orders/{order_id}/returnable",
    response=with_errors({200: list[r.ReturnableOut]}),
    tags=["returns"],
)
def returns_returnable(request, order_id: str):
    """Per goods line of the order: what can still be returned."""
    order = order_of(request, order_id)
    return [{"order_line_id": k, "returnable": v} for k, v in selectors.returnable(order).items()]


@router.get("/returns/{rma_id}", response=with_errors({200: r.RmaOut}), tags=["returns"])
def returns_get(request, rma_id: str, response: HttpResponse):
    return rma_out(request, rma_id, response)


def _rma(request, rma_id):
    return selectors.rma_get(request.access, rma_id)


@router.post(
    f"/returns/{{rma_id}}/{workflow.APPROVE.path}",
    response=with_errors({200: r.RmaOut}),
    tags=["return actions"],
)
def returns_approve(
    request, rma_id: str, response: HttpResponse, body: r.RmaApproveIn | None = None
):
    body = body or r.RmaApproveIn()
    services.rma_approve(
        rma=_rma(request, rma_id),
        actor=request.user,
        decisions=body.decisions,
        return_instructions=body.return_instructions,
        version=version_from(request, body.version),
    )
    return rma_out(request, rma_id, response)


@router.post(
    f"/returns/{{rma_id}}/{workflow.RECEIVE.path}",
    response=with_errors({200: r.RmaOut}),
    tags=["return actions"],
)
def returns_receive(request, rma_id: str, body: r.RmaReceiveIn, response: HttpResponse):
    """Book the goods in: a return receipt per shipment they left on, into the warehouse;
    saleable goods need a saleable warehouse, quarantine and scrap one that is not."""
    services.rma_receive(
        rma=_rma(request, rma_id),
        actor=request.user,
        warehouse=warehouse_of(request, body.warehouse_id),
        condition=body.condition,
        lines=[line.dict() for line in body.lines] if body.lines is not None else None,
        reason=body.reason,
        version=version_from(request, body.version),
    )
    return rma_out(request, rma_id, response)


def _make_action(row: workflow.RmaAction):
    def handler(request, rma_id: str, response: HttpResponse, body: r.RmaActionIn | None = None):
        body = body or r.RmaActionIn()
        values = {"version": version_from(request, body.version)}
        if row in (workflow.REJECT, workflow.CANCEL):
            values["reason"] = body.reason
        services.rma_action(
            rma=_rma(request, rma_id), actor=request.user, action=row.name, **values
        )
        return rma_out(request, rma_id, response)

    handler.__name__ = f"returns_{row.name}"
    return handler


for _row in (workflow.REJECT, workflow.CANCEL, workflow.CREDIT, workflow.REPLACE):
    router.post(
        f"/returns/{{rma_id}}/{_row.path}",
        response=with_errors({200: r.RmaOut}),
        tags=["return actions"],
        summary=f"{_row.path.capitalize()} the return",
    )(_make_action(_row))


@router.get("/return-receipts", response=with_errors({200: r.ReturnReceiptPage}), tags=["returns"])
def return_receipts_list(request, limit: int = 50, cursor: str | None = None):
    """Return receipts booked for RMAs the caller may see, newest first."""
    return page(
        selectors.return_receipts(request.access),
        limit,
        cursor,
        page_rows=lambda rows: [_receipt(x) for x in rows],
    )


@router.get(
    "/return-receipts/{receipt_id}",
    response=with_errors({200: r.ReturnReceiptOut}),
    tags=["returns"],
)
def return_receipts_get(request, receipt_id: str):
    return _receipt(selectors.return_receipt_get(request.access, receipt_id))
