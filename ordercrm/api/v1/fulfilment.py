"""API v1: shipments of an order, and dispatching them."""

from __future__ import annotations

from ninja import Field, Router, Schema, Status

from ordercrm.api.base import Amount, Id, Loaded, Quantity
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import order_of, order_out, with_errors
from ordercrm.fulfilment.selectors import (
    exception_get,
    order_exceptions,
    shipment_get,
    shipment_lines,
    shipment_list,
)
from ordercrm.fulfilment.services import (
    backorder_decline,
    fulfilment_exception_resolve,
    shipment_cancel,
    shipment_create,
    shipment_dispatch,
    shipment_exception_record,
)

router = Router()


@router.get(
    "/orders/{order_id}/shipments",
    response=with_errors({200: list[s.ShipmentOut]}),
    tags=["shipments"],
)
def shipments_of_order(request, order_id: str):
    order = order_of(request, order_id)
    return [
        Loaded(x, loaded_lines=shipment_lines(x))
        for x in shipment_list(request.access, order_id=order.pk)
    ]


@router.post(
    "/orders/{order_id}/shipments", response=with_errors({201: s.ShipmentOut}), tags=["shipments"]
)
def shipments_create(request, order_id: str, body: s.ShipmentIn):
    shipment = shipment_create(
        order=order_of(request, order_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines] if body.lines is not None else None,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        dispatch=body.dispatch,
        decline_backorder=body.decline_backorder,
    )
    return Status(201, Loaded(shipment, loaded_lines=shipment_lines(shipment)))


@router.get(
    "/shipments/{shipment_id}", response=with_errors({200: s.ShipmentOut}), tags=["shipments"]
)
def shipments_get(request, shipment_id: str):
    shipment = shipment_get(request.access, shipment_id)
    return Loaded(shipment, loaded_lines=shipment_lines(shipment))


class ShipmentInvoiceOut(Schema):
    id: Id
    number: str | None = None
    kind: str


class ShipmentBillingOut(Schema):
    currency: str
    value: Amount = Field(description="The shipment's lines at their order lines' gross prices.")
    invoiced: Amount = Field(description="Issued invoice lines naming the shipment's lines.")
    credited: Amount = Field(description="Credit notes of those invoice lines.")
    billed: Amount = Field(description="invoiced − credited.")
    billed_percent: Quantity | None = Field(None, description="billed / value × 100.")
    invoices: list[ShipmentInvoiceOut]

    @staticmethod
    def resolve_billed_percent(obj):
        return obj.percent


@router.get(
    "/shipments/{shipment_id}/billing",
    response=with_errors({200: ShipmentBillingOut}),
    tags=["shipments"],
)
def shipments_billing(request, shipment_id: str):
    """How much of a shipment is billed: by the invoices that name its lines (``on_shipment``
    invoicing), less their credit notes; an ``on_order`` invoice names no shipment."""
    from ordercrm.billing.selectors import shipment_billing

    return shipment_billing(shipment_get(request.access, shipment_id))


@router.post(
    "/shipments/{shipment_id}/dispatch",
    response=with_errors({200: s.ShipmentOut}),
    tags=["shipments"],
)
def shipments_dispatch(request, shipment_id: str, body: s.DispatchIn | None = None):
    body = body or s.DispatchIn()
    shipment = shipment_dispatch(
        shipment=shipment_get(request.access, shipment_id),
        actor=request.user,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        decline_backorder=body.decline_backorder,
    )
    return Loaded(shipment, loaded_lines=shipment_lines(shipment))


@router.post(
    "/orders/{order_id}/decline-backorder",
    response=with_errors({200: s.OrderOut}),
    tags=["shipments"],
)
def orders_decline_backorder(request, order_id: str, body: s.DeclineBackorderIn):
    """What is still open on the lines (all, or ``line_ids``) and on no draft shipment will
    not ship: closed with the reason, reservations released, the order flagged."""
    backorder_decline(
        order=order_of(request, order_id),
        actor=request.user,
        reason=body.reason,
        line_ids=body.line_ids,
    )
    return order_out(order_of(request, order_id))


@router.post(
    "/shipments/{shipment_id}/cancel",
    response=with_errors({200: s.ShipmentOut}),
    tags=["shipments"],
)
def shipments_cancel(request, shipment_id: str, body: s.ShipmentCancelIn | None = None):
    """Cancel a draft shipment: the order keeps its reservations, and its fulfilment
    exception is raised until someone decides (``/fulfilment-exceptions/{id}/resolve``)."""
    body = body or s.ShipmentCancelIn()
    shipment = shipment_cancel(
        shipment=shipment_get(request.access, shipment_id), actor=request.user, reason=body.reason
    )
    return Loaded(shipment, loaded_lines=shipment_lines(shipment))


@router.post(
    "/shipments/{shipment_id}/exception",
    response=with_errors({201: s.FulfilmentExceptionOut}),
    tags=["shipments"],
)
def shipments_exception(request, shipment_id: str, body: s.ShipmentExceptionIn):
    """A dispatched shipment's delivery failed: raise the order's fulfilment exception."""
    exception = shipment_exception_record(
        shipment=shipment_get(request.access, shipment_id),
        actor=request.user,
        kind=body.kind,
        note=body.note,
    )
    return Status(201, exception_get(request.access, exception.pk))


@router.get(
    "/orders/{order_id}/fulfilment-exceptions",
    response=with_errors({200: list[s.FulfilmentExceptionOut]}),
    tags=["shipments"],
)
def orders_fulfilment_exceptions(request, order_id: str):
    return order_exceptions(request.access, order_of(request, order_id))


@router.post(
    "/fulfilment-exceptions/{exception_id}/resolve",
    response=with_errors({200: s.FulfilmentExceptionOut}),
    tags=["shipments"],
)
def fulfilment_exceptions_resolve(request, exception_id: str, body: s.ExceptionResolveIn):
    """Recreate (ship what is open again) or not (close the rest)."""
    exception = fulfilment_exception_resolve(
        exception=exception_get(request.access, exception_id),
        actor=request.user,
        choice=body.choice,
        note=body.note,
    )
    return exception_get(request.access, exception.pk)
