"""API v1 endpoints: thin handlers over the domain services and selectors.

Handlers parse input, call one service or selector with ``request.access``, and return its
objects; the route's output schema (``response=``) writes them.
Business rules, permissions and record scope live in the services/selectors they call.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from ordercrm.api.base import Loaded, api, page, version_from
from ordercrm.api.v1 import schemas as s
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.money import to_decimal

ERRORS = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    412: s.ErrorOut,  # If-Match names a stale version
    422: s.ErrorOut,
    429: s.ErrorOut,  # rate limited; Retry-After says when to come back
}
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


# A document's language: one of settings.LANGUAGES (anything else is a 422, not ignored).
Language = Literal["en", "zh-hans", "zh-hant"]


def _with_errors(ok: dict) -> dict:
    return {**ok, **ERRORS}


def _date(value: str | None, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(details={"fields": {field: ["YYYY-MM-DD"]}}) from None


def _decimal(value, field: str):
    if value in (None, ""):
        return None
    try:
        return to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(details={"fields": {field: [_("Enter a number.")]}}) from None


# ---------------------------------------------------------------- me


@router.get("/me", response=_with_errors({200: s.MeOut}), tags=["me"])
def me(request):
    from ordercrm.accounts.models import Membership

    user = request.user
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("company")
    return Loaded(user, memberships=list(memberships))


# ---------------------------------------------------------------- customers


@router.get("/customers", response=_with_errors({200: s.CustomerPage}), tags=["customers"])
def customers_list(request, search: str = "", limit: int = 50, cursor: str | None = None):
    from ordercrm.customers.selectors import customer_list

    return page(customer_list(request.access, search=search), limit, cursor)


@router.post("/customers", response=_with_errors({201: s.CustomerOut}), tags=["customers"])
def customers_create(request, body: s.CustomerIn):
    from ordercrm.customers.services import customer_create

    values = body.dict(exclude_unset=True)
    allow = values.pop("allow_duplicate", False)
    if "credit_limit" in values:
        values["credit_limit"] = _decimal(values["credit_limit"], "credit_limit")
    customer = customer_create(
        company=request.company, actor=request.user, allow_duplicate=allow, **values
    )
    return Status(201, customer)


@router.get(
    "/customers/{customer_id}", response=_with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_get(request, customer_id: str):
    from ordercrm.customers.selectors import customer_get

    return customer_get(request.access, customer_id)


@router.patch(
    "/customers/{customer_id}", response=_with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_update(request, customer_id: str, body: s.CustomerPatch):
    from ordercrm.customers.selectors import customer_get
    from ordercrm.customers.services import customer_update

    customer = customer_get(request.access, customer_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if "credit_limit" in values:
        values["credit_limit"] = _decimal(values["credit_limit"], "credit_limit")
    return customer_update(customer=customer, actor=request.user, version=version, **values)


@router.get(
    "/customers/{customer_id}/contacts",
    response=_with_errors({200: list[s.ContactOut]}),
    tags=["customers"],
)
def contacts_list(request, customer_id: str):
    from ordercrm.customers.selectors import customer_contacts, customer_get

    return list(customer_contacts(customer_get(request.access, customer_id)))


@router.post(
    "/customers/{customer_id}/contacts",
    response=_with_errors({201: s.ContactOut}),
    tags=["customers"],
)
def contacts_add(request, customer_id: str, body: s.ContactIn):
    from ordercrm.customers.selectors import customer_get
    from ordercrm.customers.services import contact_add

    customer = customer_get(request.access, customer_id)
    return Status(201, contact_add(customer=customer, actor=request.user, **body.dict()))


@router.get(
    "/customers/{customer_id}/addresses",
    response=_with_errors({200: list[s.AddressOut]}),
    tags=["customers"],
)
def addresses_list(request, customer_id: str):
    from ordercrm.customers.selectors import customer_addresses, customer_get

    return list(customer_addresses(customer_get(request.access, customer_id)))


@router.post(
    "/customers/{customer_id}/addresses",
    response=_with_errors({201: s.AddressOut}),
    tags=["customers"],
)
def addresses_add(request, customer_id: str, body: s.AddressIn):
    from ordercrm.customers.selectors import customer_get
    from ordercrm.customers.services import address_add

    customer = customer_get(request.access, customer_id)
    return Status(201, address_add(customer=customer, actor=request.user, **body.dict()))


# ---------------------------------------------------------------- catalog and stock


@router.get("/products", response=_with_errors({200: s.ProductPage}), tags=["catalog"])
def products_list(request, search: str = "", limit: int = 50, cursor: str | None = None):
    from ordercrm.catalog.selectors import product_list

    return page(product_list(request.access, search=search), limit, cursor)


@router.get("/products/{product_id}", response=_with_errors({200: s.ProductOut}), tags=["catalog"])
def products_get(request, product_id: str):
    from ordercrm.catalog.selectors import product_get

    return product_get(request.access, parse_id(product_id))


@router.get("/price-lists", response=_with_errors({200: list[s.PriceListOut]}), tags=["catalog"])
def price_lists(request):
    from ordercrm.catalog.selectors import price_list_list

    return list(price_list_list(request.access))


@router.get("/warehouses", response=_with_errors({200: list[s.WarehouseOut]}), tags=["stock"])
def warehouses(request):
    from ordercrm.core.permissions import Perm
    from ordercrm.inventory.selectors import warehouse_list

    request.access.require(Perm.STOCK_VIEW)
    return list(warehouse_list(request.company))


@router.get("/stock", response=_with_errors({200: list[s.StockOut]}), tags=["stock"])
def stock(request, product_id: str | None = None, warehouse_id: str | None = None):
    from ordercrm.inventory.selectors import stock_levels

    return list(
        stock_levels(
            request.access,
            product_id=parse_id(product_id) if product_id else None,
            warehouse_id=parse_id(warehouse_id) if warehouse_id else None,
        )[:1000]
    )


def _warehouse(request, warehouse_id):
    from ordercrm.inventory.models import Warehouse

    warehouse = (
        Warehouse.objects.for_company(request.company).filter(pk=parse_id(warehouse_id)).first()
    )
    if warehouse is None:
        raise NotFound(details={"warehouse_id": warehouse_id})
    return warehouse


@router.post("/stock/receipts", response=_with_errors({201: list[s.MoveOut]}), tags=["stock"])
def stock_receipts(request, body: s.StockIn):
    from ordercrm.inventory.services import stock_receive

    moves = stock_receive(
        company=request.company,
        actor=request.user,
        warehouse=_warehouse(request, body.warehouse_id),
        lines=[line.dict() for line in body.lines],
        reference=body.reference,
    )
    return Status(201, moves)


@router.post("/stock/adjustments", response=_with_errors({201: list[s.MoveOut]}), tags=["stock"])
def stock_adjustments(request, body: s.StockIn):
    from ordercrm.inventory.services import stock_adjust

    moves = stock_adjust(
        company=request.company,
        actor=request.user,
        warehouse=_warehouse(request, body.warehouse_id),
        lines=[line.dict() for line in body.lines],
        reason=body.reason,
    )
    return Status(201, moves)


# ---------------------------------------------------------------- orders


def _order(request, order_id):
    from ordercrm.sales.selectors import order_get

    return order_get(request.access, order_id)


def _order_out(order, response=None):
    """The order with its lines, progress and approval steps, for ``OrderOut``."""
    from ordercrm.sales.selectors import order_detail

    if response is not None:
        response["ETag"] = f'"{order.version}"'
    return order_detail(order)


def _lines(lines):
    return [{k: v for k, v in line.dict().items() if v is not None} for line in lines]


@router.get("/orders", response=_with_errors({200: s.OrderPage}), tags=["orders"])
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
    from ordercrm.sales.selectors import order_list, order_summaries

    orders = order_list(
        request.access,
        status=status,
        customer_id=parse_id(customer_id) if customer_id else None,
        salesperson_id=parse_id(salesperson_id) if salesperson_id else None,
        date_from=_date(date_from, "date_from") if date_from else None,
        date_to=_date(date_to, "date_to") if date_to else None,
        search=search,
        fulfilment=fulfilment_status,
        invoicing=invoice_status,
        payment=payment_status,
    )
    # Two more queries per page count the lines, progress and approval steps in SQL; no
    # line is loaded, so a page's size and time do not grow with its orders' line counts.
    return page(orders, limit, cursor, ascending=order == "created_at", page_rows=order_summaries)


@router.post("/orders", response=_with_errors({201: s.OrderOut}), tags=["orders"])
def orders_create(request, body: s.OrderIn):
    from ordercrm.sales.services import order_create

    header = {}
    for field in ("currency", "customer_reference", "notes", "invoicing_policy"):
        value = getattr(body, field)
        if value not in (None, ""):
            header[field] = value
    if body.exchange_rate:
        header["exchange_rate"] = body.exchange_rate
    if body.requested_delivery_date:
        header["requested_date"] = _date(body.requested_delivery_date, "requested_delivery_date")
    if body.warehouse_id:
        header["warehouse"] = _warehouse(request, body.warehouse_id)
    order = order_create(
        company=request.company,
        actor=request.user,
        customer=parse_id(body.customer_id),
        lines=_lines(body.lines),
        **header,
    )
    created = _order(request, order.pk)
    created.warnings = order.warnings  # soft problems found while creating (OrderOut shows)
    return Status(201, _order_out(created))


@router.get("/orders/{order_id}", response=_with_errors({200: s.OrderOut}), tags=["orders"])
def orders_get(request, order_id: str, response: HttpResponse):
    return _order_out(_order(request, order_id), response)


@router.patch("/orders/{order_id}", response=_with_errors({200: s.OrderOut}), tags=["orders"])
def orders_update(request, order_id: str, body: s.OrderPatch):
    from ordercrm.sales.services import order_update

    order = _order(request, order_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if version is None:
        raise ValidationFailed(details={"fields": {"version": [_("Send If-Match or version.")]}})
    lines = values.pop("lines", None)
    if "requested_delivery_date" in values:
        values["requested_date"] = _date(
            values.pop("requested_delivery_date"), "requested_delivery_date"
        )
    updated = order_update(
        order=order,
        actor=request.user,
        version=version,
        lines=_lines(body.lines) if lines is not None else None,
        **values,
    )
    return _order_out(_order(request, updated.pk))


@router.get(
    "/orders/{order_id}/lines", response=_with_errors({200: list[s.OrderLineOut]}), tags=["orders"]
)
def orders_lines(request, order_id: str):
    from ordercrm.sales.selectors import order_lines

    return order_lines(_order(request, order_id))


def _make_action(name: str):
    def handler(request, order_id: str, body: s.ActionIn | None = None):
        from ordercrm.sales.services import order_action

        body = body or s.ActionIn()
        order_action(
            order=_order(request, order_id),
            actor=request.user,
            action=name,
            version=version_from(request, body.version),
            note=body.comment or body.reason,
            credit=body.credit,
        )
        return _order_out(_order(request, order_id))

    handler.__name__ = f"orders_{name}"
    return handler


ORDER_ACTION_PATHS = {
    "submit": "submit",
    "approve": "approve",
    "reject": "reject",
    "request_changes": "request-changes",
    "reopen": "reopen",
    "cancel": "cancel",
    "hold": "hold",
    "release": "release",
    "close": "close",
    "resume": "resume",
}
for _name, _path in ORDER_ACTION_PATHS.items():
    router.post(
        f"/orders/{{order_id}}/{_path}",
        response=_with_errors({200: s.OrderOut}),
        tags=["order actions"],
        summary=f"{_path.replace('-', ' ').capitalize()} the order",
    )(_make_action(_name))


@router.post(
    "/orders/{order_id}/amend", response=_with_errors({200: s.OrderOut}), tags=["order actions"]
)
def orders_amend(request, order_id: str, body: s.AmendIn):
    from ordercrm.sales.services import order_amend

    order = _order(request, order_id)
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
    return _order_out(_order(request, order_id))


@router.get(
    "/orders/{order_id}/timeline",
    response=_with_errors({200: list[s.TimelineOut]}),
    tags=["orders"],
)
def orders_timeline(request, order_id: str):
    from ordercrm.sales.selectors import order_timeline

    return order_timeline(request.access, order_id)


@router.get("/orders/{order_id}/pdf", tags=["orders"], response=_with_errors({200: None}))
def orders_pdf(request, order_id: str, language: Language | None = None):
    from ordercrm.sales.documents import order_pdf

    order = _order(request, order_id)
    response = HttpResponse(
        order_pdf(request.access, order.pk, language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


@router.get("/approvals", response=_with_errors({200: list[s.ApprovalOut]}), tags=["orders"])
def approvals_inbox(request):
    from ordercrm.sales.selectors import approval_inbox, order_summaries

    items = approval_inbox(request.access)
    summaries = order_summaries([item.order for item in items])
    return [Loaded(item, order=summary) for item, summary in zip(items, summaries, strict=True)]


# ---------------------------------------------------------------- shipments


@router.get(
    "/orders/{order_id}/shipments",
    response=_with_errors({200: list[s.ShipmentOut]}),
    tags=["shipments"],
)
def shipments_of_order(request, order_id: str):
    from ordercrm.fulfilment.selectors import shipment_lines, shipment_list

    order = _order(request, order_id)
    return [
        Loaded(x, loaded_lines=shipment_lines(x))
        for x in shipment_list(request.access, order_id=order.pk)
    ]


@router.post(
    "/orders/{order_id}/shipments", response=_with_errors({201: s.ShipmentOut}), tags=["shipments"]
)
def shipments_create(request, order_id: str, body: s.ShipmentIn):
    from ordercrm.fulfilment.selectors import shipment_lines
    from ordercrm.fulfilment.services import shipment_create

    shipment = shipment_create(
        order=_order(request, order_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines] if body.lines is not None else None,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        dispatch=body.dispatch,
    )
    return Status(201, Loaded(shipment, loaded_lines=shipment_lines(shipment)))


@router.get(
    "/shipments/{shipment_id}", response=_with_errors({200: s.ShipmentOut}), tags=["shipments"]
)
def shipments_get(request, shipment_id: str):
    from ordercrm.fulfilment.selectors import shipment_get, shipment_lines

    shipment = shipment_get(request.access, shipment_id)
    return Loaded(shipment, loaded_lines=shipment_lines(shipment))


@router.post(
    "/shipments/{shipment_id}/dispatch",
    response=_with_errors({200: s.ShipmentOut}),
    tags=["shipments"],
)
def shipments_dispatch(request, shipment_id: str, body: s.DispatchIn | None = None):
    from ordercrm.fulfilment.selectors import shipment_get, shipment_lines
    from ordercrm.fulfilment.services import shipment_dispatch

    body = body or s.DispatchIn()
    shipment = shipment_dispatch(
        shipment=shipment_get(request.access, shipment_id),
        actor=request.user,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return Loaded(shipment, loaded_lines=shipment_lines(shipment))


# ---------------------------------------------------------------- invoices and payments


def _invoice(request, invoice_id):
    from ordercrm.billing.selectors import invoice_get

    return invoice_get(request.access, invoice_id)


def _invoice_out(invoice):
    from ordercrm.billing.selectors import invoice_lines

    return Loaded(invoice, loaded_lines=invoice_lines(invoice))


@router.get(
    "/orders/{order_id}/invoices",
    response=_with_errors({200: list[s.InvoiceOut]}),
    tags=["billing"],
)
def invoices_of_order(request, order_id: str):
    from ordercrm.billing.selectors import invoice_list

    order = _order(request, order_id)
    return [_invoice_out(i) for i in invoice_list(request.access, order_id=order.pk)]


@router.post(
    "/orders/{order_id}/invoices", response=_with_errors({201: s.InvoiceOut}), tags=["billing"]
)
def invoices_create(request, order_id: str, body: s.InvoiceIn):
    from ordercrm.billing.services import invoice_create

    invoice = invoice_create(
        order=_order(request, order_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines] if body.lines is not None else None,
        issue=body.issue,
    )
    return Status(201, _invoice_out(_invoice(request, invoice.pk)))


@router.get("/invoices", response=_with_errors({200: s.InvoicePage}), tags=["billing"])
def invoices_list(
    request,
    status: str = "",
    kind: str = "",
    customer_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
):
    from ordercrm.billing.selectors import invoice_list

    invoices = invoice_list(
        request.access,
        status=status,
        kind=kind,
        customer_id=parse_id(customer_id) if customer_id else None,
    )
    return page(invoices, limit, cursor)


@router.get("/invoices/{invoice_id}", response=_with_errors({200: s.InvoiceOut}), tags=["billing"])
def invoices_get(request, invoice_id: str):
    return _invoice_out(_invoice(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/issue", response=_with_errors({200: s.InvoiceOut}), tags=["billing"]
)
def invoices_issue(request, invoice_id: str):
    from ordercrm.billing.services import invoice_issue

    invoice_issue(invoice=_invoice(request, invoice_id), actor=request.user)
    return _invoice_out(_invoice(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/cancel", response=_with_errors({200: s.InvoiceOut}), tags=["billing"]
)
def invoices_cancel(request, invoice_id: str, body: s.ActionIn | None = None):
    from ordercrm.billing.services import invoice_cancel

    body = body or s.ActionIn()
    invoice_cancel(invoice=_invoice(request, invoice_id), actor=request.user, reason=body.reason)
    return _invoice_out(_invoice(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response=_with_errors({201: s.InvoiceOut}),
    tags=["billing"],
)
def invoices_credit(request, invoice_id: str, body: s.CreditNoteIn):
    from ordercrm.billing.services import credit_note_create

    note = credit_note_create(
        invoice=_invoice(request, invoice_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines],
        reason=body.reason,
    )
    return Status(201, _invoice_out(_invoice(request, note.pk)))


@router.get("/invoices/{invoice_id}/pdf", tags=["billing"], response=_with_errors({200: None}))
def invoices_pdf(request, invoice_id: str, language: Language | None = None):
    from ordercrm.billing.selectors import invoice_pdf

    invoice = _invoice(request, invoice_id)
    response = HttpResponse(
        invoice_pdf(request.access, invoice.pk, language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{invoice.number or invoice.pk}.pdf"'
    return response


@router.get("/payments", response=_with_errors({200: s.PaymentPage}), tags=["billing"])
def payments_list(
    request, customer_id: str | None = None, limit: int = 50, cursor: str | None = None
):
    from ordercrm.billing.selectors import payment_list

    payments = payment_list(
        request.access, customer_id=parse_id(customer_id) if customer_id else None
    )
    return page(payments, limit, cursor)


@router.post("/payments", response=_with_errors({201: s.PaymentOut}), tags=["billing"])
def payments_create(request, body: s.PaymentIn):
    from ordercrm.billing.services import payment_record

    order = _order(request, body.order_id) if body.order_id else None
    payment = payment_record(
        company=request.company,
        actor=request.user,
        customer=parse_id(body.customer_id),
        amount=body.amount,
        currency=body.currency,
        method=body.method,
        reference=body.reference,
        received_on=_date(body.received_on, "received_on"),
        exchange_rate=body.exchange_rate,
        order=order,
        allocations=[a.dict() for a in body.allocations],
        auto_allocate=body.auto_allocate,
    )
    return Status(201, payment)


# ---------------------------------------------------------------- events and webhooks


@router.get("/events", response=_with_errors({200: s.EventPage}), tags=["events"])
def events_feed(request, type: str = "", limit: int = 100, cursor: str | None = None):
    """The outbox as a feed, oldest first; keep ``next`` to continue where you stopped.
    An event is listed to who may see the record it names (an order's to who sees the order,
    a payment's to who sees its customer); see ``notifications.selectors.visible_events``."""
    from ordercrm.notifications.selectors import event_feed

    return page(event_feed(request.access, type=type), limit, cursor, ascending=True)


@router.get("/webhooks", response=_with_errors({200: list[s.WebhookOut]}), tags=["events"])
def webhooks_list(request):
    from ordercrm.core.permissions import Perm
    from ordercrm.notifications.models import WebhookSubscription

    request.access.require(Perm.SETTINGS_EDIT)
    return list(WebhookSubscription.objects.for_company(request.company))


@router.post("/webhooks", response=_with_errors({201: s.WebhookCreatedOut}), tags=["events"])
def webhooks_create(request, body: s.WebhookIn):
    from ordercrm.notifications.services import webhook_create

    hook = webhook_create(
        company=request.company,
        actor=request.user,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
    )
    return Status(201, hook)  # WebhookCreatedOut shows the secret, this once


# ---------------------------------------------------------------- exchange rates (slice: money)


@router.get(
    "/exchange-rates", response=_with_errors({200: s.ExchangeRatePage}), tags=["exchange rates"]
)
def exchange_rates_list(request, currency: str = "", limit: int = 50, cursor: str | None = None):
    """The company rate table (finance): newest first; ``currency`` narrows it to one."""
    from ordercrm.catalog.selectors import exchange_rate_list

    return page(exchange_rate_list(request.access, currency=currency), limit, cursor)


@router.post(
    "/exchange-rates", response=_with_errors({201: s.ExchangeRateOut}), tags=["exchange rates"]
)
def exchange_rates_create(request, body: s.ExchangeRateIn):
    """Set the rate of a currency from a date on (finance); the same date again replaces it."""
    from ordercrm.catalog.services import exchange_rate_set

    rate = exchange_rate_set(
        company=request.company,
        actor=request.user,
        currency=body.currency,
        date=body.date,
        rate=body.rate,
    )
    return Status(201, rate)


# ---------------------------------------------------------------- payment credit: apply, refund, void


def _payment(request, payment_id):
    from ordercrm.billing.selectors import payment_get

    return payment_get(request.access, payment_id)


def _refund_out(refund, payment) -> dict:
    """A refund with the payment it came from, for ``RefundOut`` to write."""
    return {
        "id": refund.pk,
        "number": refund.number,
        "kind": refund.kind,
        "payment_id": payment.pk,
        "payment_number": payment.number,
        "amount": refund.amount,
        "currency": refund.currency,
        "method": refund.method,
        "reason": refund.reason,
        "refunded_on": refund.refunded_on,
        "payment_unallocated": payment.unallocated,
        "created_at": refund.created_at,
    }


@router.post(
    "/payments/{payment_id}/allocate", response=_with_errors({200: s.PaymentOut}), tags=["billing"]
)
def payments_allocate(request, payment_id: str, body: s.PaymentAllocateIn):
    """Apply a payment's unallocated credit (e.g. the advance of a cancelled order) to open
    invoices of the same customer and currency."""
    from ordercrm.billing.services import payment_allocate

    payment = payment_allocate(
        payment=_payment(request, payment_id),
        actor=request.user,
        allocations=[a.dict() for a in body.allocations],
    )
    return _payment(request, payment.pk)


@router.post(
    "/payments/{payment_id}/refund", response=_with_errors({201: s.RefundOut}), tags=["billing"]
)
def payments_refund(request, payment_id: str, body: s.PaymentRefundIn):
    """Pay back part or all of a payment's unallocated credit (finance). Never more than is
    unallocated (``billing.over_refund``); a void payment refunds nothing."""
    from ordercrm.billing.services import payment_refund

    refund = payment_refund(
        payment=_payment(request, payment_id),
        actor=request.user,
        amount=body.amount,
        reason=body.reason,
        method=body.method,
    )
    return Status(201, _refund_out(refund, _payment(request, payment_id)))


@router.post(
    "/payments/{payment_id}/void", response=_with_errors({200: s.RefundOut}), tags=["billing"]
)
def payments_void(request, payment_id: str, body: s.PaymentVoidIn):
    """Void a payment recorded in error (finance): only with nothing allocated or refunded
    (``billing.payment_in_use``). Repeating it returns the same void."""
    from ordercrm.billing.services import payment_void

    refund = payment_void(
        payment=_payment(request, payment_id), actor=request.user, reason=body.reason
    )
    return _refund_out(refund, _payment(request, payment_id))


@router.get(
    "/payments/{payment_id}/refunds",
    response=_with_errors({200: list[s.RefundOut]}),
    tags=["billing"],
)
def payments_refunds(request, payment_id: str):
    from ordercrm.billing.selectors import payment_detail

    payment = _payment(request, payment_id)
    return [_refund_out(r, payment) for r in payment_detail(request.access, payment)["refunds"]]


api.add_router("", router)
