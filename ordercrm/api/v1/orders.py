"""API v1: orders — list, create, read, edit, lines, actions, amendments, timeline, PDF —
and the approvals inbox."""

from __future__ import annotations

from typing import Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.api.base import Loaded, page, version_from
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import (
    Language,
    order_of,
    order_out,
    parse_date,
    payment_term_of,
    warehouse_of,
    with_errors,
)
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import pdf_response
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.sales import workflow
from ordercrm.sales.documents import order_pdf
from ordercrm.sales.filters import OrderListFilter
from ordercrm.sales.selectors import (
    approval_inbox,
    order_lines,
    order_summaries,
    order_timeline,
    with_stock,
)
from ordercrm.sales.services import order_action, order_amend, order_create, order_update

router = Router()

OrderStatusName = Literal[
    "draft",
    "pending_approval",
    "rejected",
    "confirmed",
    "on_hold",
    "completed",
    "closed",
    "cancelled",
]


# ``GET /orders`` parameter names → fields of the one order filter (sales.filters).
ORDER_FILTERS = {
    "search": "search",
    "status": "status",
    "fulfilment_status": "fulfilment",
    "invoice_status": "invoicing",
    "payment_status": "payment",
    "customer_id": "customer_id",
    "salesperson_id": "salesperson_id",
    "date_from": "date_from",
    "date_to": "date_to",
}


def _lines(lines):
    return [{k: v for k, v in line.dict().items() if v is not None} for line in lines]


@router.get("/orders", response=with_errors({200: s.OrderPage}), tags=["orders"])
@decorate_view(reading_from_replica())
def orders_list(
    request,
    status: OrderStatusName | None = None,
    fulfilment_status: Literal["not_shipped", "partially_shipped", "shipped"] | None = None,
    invoice_status: Literal["not_invoiced", "partially_invoiced", "invoiced"] | None = None,
    payment_status: Literal["unpaid", "partially_paid", "paid", "overpaid"] | None = None,
    customer_id: str | None = None,
    salesperson_id: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    search: str = "",
    order: Literal["-created_at", "created_at"] = "-created_at",
    limit: int = 50,
    cursor: str | None = None,
):
    """Orders the caller may see, newest first (``order=created_at`` for oldest first).
    Items are summaries with ``line_count``; the lines are on ``GET /orders/{id}``.

    Filters combine: ``status`` and the three progress axes (``fulfilment_status``,
    ``invoice_status``, ``payment_status``), customer, salesperson, order-date range
    (``date_from``/``date_to``, inclusive, ``YYYY-MM-DD``) and ``search`` over number,
    customer name and PO reference. Pages are keyset cursors: rows inserted while a client
    pages never cause a duplicate or a gap."""
    filters = OrderListFilter.parse(locals(), ORDER_FILTERS)
    # Two more queries per page count the lines, progress and approval steps in SQL; no
    # line is loaded, so a page's size and time do not grow with its orders' line counts.
    return page(
        filters.orders(request.access),
        limit,
        cursor,
        ascending=order == "created_at",
        page_rows=order_summaries,
    )


@router.post("/orders", response=with_errors({201: s.OrderOut}), tags=["orders"])
def orders_create(request, body: s.OrderIn):
    header = {}
    for field in ("currency", "customer_reference", "notes", "invoicing_policy", "shipping_policy"):
        value = getattr(body, field)
        if value not in (None, ""):
            header[field] = value
    if body.exchange_rate:
        header["exchange_rate"] = body.exchange_rate
    if body.requested_delivery_date:
        header["requested_date"] = parse_date(
            body.requested_delivery_date, "requested_delivery_date"
        )
    if body.warehouse_id:
        header["warehouse"] = warehouse_of(request, body.warehouse_id)
    for field in ("order_date", "valid_until"):
        if getattr(body, field):
            header[field] = parse_date(getattr(body, field), field)
    if body.discount_percent not in (None, ""):
        header["discount_percent"] = body.discount_percent
    if body.payment_terms_id:
        header["payment_terms"] = payment_term_of(request, body.payment_terms_id)
    order = order_create(
        company=request.company,
        actor=request.user,
        customer=parse_id(body.customer_id),
        lines=_lines(body.lines),
        **header,
    )
    created = order_of(request, order.pk)
    created.warnings = order.warnings  # soft problems found while creating (OrderOut shows)
    return Status(201, order_out(created))


@router.get("/orders/{order_id}", response=with_errors({200: s.OrderOut}), tags=["orders"])
def orders_get(request, order_id: str, response: HttpResponse):
    return order_out(order_of(request, order_id), response)


@router.patch("/orders/{order_id}", response=with_errors({200: s.OrderOut}), tags=["orders"])
def orders_update(request, order_id: str, body: s.OrderPatch):
    order = order_of(request, order_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if version is None:
        raise ValidationFailed(details={"fields": {"version": [_("Send If-Match or version.")]}})
    lines = values.pop("lines", None)
    for field in ("order_date", "valid_until"):
        if field in values:
            values[field] = parse_date(values[field], field)
    if values.get("discount_percent") is None:
        values.pop("discount_percent", None)
    if values.get("shipping_policy") is None:
        values.pop("shipping_policy", None)
    if values.get("customer_id") is not None:
        values["customer"] = parse_id(values.pop("customer_id"))
    values.pop("customer_id", None)
    if values.get("payment_terms_id") is not None:
        values["payment_terms"] = payment_term_of(request, values["payment_terms_id"])
    values.pop("payment_terms_id", None)
    if "requested_delivery_date" in values:
        values["requested_date"] = parse_date(
            values.pop("requested_delivery_date"), "requested_delivery_date"
        )
    updated = order_update(
        order=order,
        actor=request.user,
        version=version,
        lines=_lines(body.lines) if lines is not None else None,
        **values,
    )
    return order_out(order_of(request, updated.pk))


@router.get(
    "/orders/{order_id}/lines", response=with_errors({200: list[s.OrderLineOut]}), tags=["orders"]
)
def orders_lines(request, order_id: str):
    """The lines; a quotation's carry ``free_stock`` and ``stock_short``."""
    order = order_of(request, order_id)
    lines = order_lines(order)
    with_stock(order, lines)
    return lines


# ---------------------------------------------------------------- order actions

# The order actions the API offers, one endpoint each: action name → path segment, from the
# workflow table (the rows people take as buttons; amend has its own endpoint below).
ORDER_ACTION_PATHS = {row.name: row.path for row in workflow.BUTTONS}


def _make_action(name: str):
    def handler(request, order_id: str, body: s.ActionIn | None = None):
        body = body or s.ActionIn()
        order_action(
            order=order_of(request, order_id),
            actor=request.user,
            action=name,
            version=version_from(request, body.version),
            note=body.comment or body.reason,
            credit=body.credit,
        )
        return order_out(order_of(request, order_id))

    handler.__name__ = f"orders_{name}"
    return handler


for _name, _path in ORDER_ACTION_PATHS.items():
    router.post(
        f"/orders/{{order_id}}/{_path}",
        response=with_errors({200: s.OrderOut}),
        tags=["order actions"],
        summary=f"{_path.replace('-', ' ').capitalize()} the order",
    )(_make_action(_name))


@router.post(
    "/orders/{order_id}/amend", response=with_errors({200: s.OrderOut}), tags=["order actions"]
)
def orders_amend(request, order_id: str, body: s.AmendIn):
    order = order_of(request, order_id)
    version = version_from(request, body.version)
    if version is None:
        raise ValidationFailed(details={"fields": {"version": [_("Send If-Match or version.")]}})
    changes = []
    for line in body.lines:
        data = {k: v for k, v in line.dict().items() if v not in (None, False)}
        if line.remove:
            data["remove"] = True
        changes.append(data)
    order_amend(order=order, actor=request.user, version=version, lines=changes, reason=body.reason)
    return order_out(order_of(request, order_id))


@router.get(
    "/orders/{order_id}/timeline",
    response=with_errors({200: list[s.TimelineOut]}),
    tags=["orders"],
)
def orders_timeline(request, order_id: str):
    return order_timeline(request.access, order_id)


@router.get("/orders/{order_id}/pdf", tags=["orders"], response=with_errors({200: None}))
def orders_pdf(request, order_id: str, language: Language | None = None):
    order = order_of(request, order_id)
    return pdf_response(order_pdf(request.access, order.pk, language), order.number)


@router.get("/approvals", response=with_errors({200: list[s.ApprovalOut]}), tags=["orders"])
@decorate_view(reading_from_replica())
def approvals_inbox(request):
    items = approval_inbox(request.access)
    summaries = order_summaries([item.order for item in items])
    return [Loaded(item, order=summary) for item, summary in zip(items, summaries, strict=True)]
