"""Request and response shapes of API v1 (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "inventory.insufficient_stock",
                        "message": "Not enough stock.",
                        "details": {
                            "lines": [
                                {
                                    "sku": "TEA-100",
                                    "requested": "10",
                                    "available": "4",
                                    "shortfall": "6",
                                }
                            ]
                        },
                    }
                }
            ]
        }
    )

    error: ErrorBody


class Page(Schema):
    """One page of a list. Pass ``next`` back as ``cursor`` for the following page; ``null``
    means this is the last one."""

    limit: int = Field(description="The page size used (default 50, at most 200).")
    cursor: str | None = Field(None, description="The cursor this page was asked for.")
    next: str | None = Field(None, description="Cursor of the next page, or null.")


# ---------------------------------------------------------------- me, customers, catalog


class MembershipOut(Schema):
    company_id: str
    company_code: str
    role: str
    record_scope: str


class MeOut(Schema):
    id: str
    username: str
    name: str
    email: str
    language: str
    company: str
    permissions: list[str]
    memberships: list[MembershipOut]


class CustomerOut(Schema):
    id: str
    code: str
    name: str
    kind: str
    language: str
    currency: str
    email: str
    phone: str
    tax_id: str
    credit_limit: str | None = None
    credit_hold: bool
    receivable_balance: str
    version: int
    created_at: str


class CustomerPage(Page):
    items: list[CustomerOut]


class CustomerIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Shanghai Mingda Trading",
                    "code": "MINGDA",
                    "language": "zh-hans",
                    "currency": "CNY",
                    "email": "buyer@mingda.example",
                    "credit_limit": "50000.00",
                }
            ]
        }
    )

    name: str
    code: str = ""
    kind: str = "company"
    language: str = ""
    currency: str = ""
    email: str = ""
    phone: str = ""
    tax_id: str = ""
    credit_limit: str | None = None
    notes: str = ""
    allow_duplicate: bool = False


class CustomerPatch(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 3, "credit_limit": "80000.00"}]}
    )

    version: int | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    tax_id: str | None = None
    language: str | None = None
    credit_limit: str | None = None
    notes: str | None = None


class ContactOut(Schema):
    id: str
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool


class ContactIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Li Lei",
                    "email": "li.lei@mingda.example",
                    "phone": "+86 21 5555 0100",
                    "is_primary": True,
                }
            ]
        }
    )

    name: str
    title: str = ""
    email: str = ""
    phone: str = ""
    is_primary: bool = False


class AddressOut(Schema):
    id: str
    kind: str
    recipient: str
    phone: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    is_default: bool


class AddressIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "shipping",
                    "line1": "9 Dock Road",
                    "city": "Ningbo",
                    "postal_code": "315000",
                    "country": "CN",
                }
            ]
        }
    )

    kind: str
    line1: str
    city: str = ""
    recipient: str = ""
    phone: str = ""
    line2: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


class ProductOut(Schema):
    id: str
    sku: str
    name: str
    unit: str
    list_price: str
    tax_rate: str | None = None
    is_stock_tracked: bool
    is_active: bool
    created_at: str


class ProductPage(Page):
    items: list[ProductOut]


class PriceListOut(Schema):
    id: str
    name: str
    currency: str
    is_default: bool


class WarehouseOut(Schema):
    id: str
    code: str
    name: str
    sequence: int


class StockOut(Schema):
    product_id: str
    sku: str
    warehouse_id: str
    warehouse: str
    on_hand: str
    reserved: str
    available: str


class StockLineIn(Schema):
    product_id: str | None = None
    sku: str | None = None
    quantity: str


class StockIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "warehouse_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                    "reference": "PO-2026-118",
                    "lines": [
                        {"sku": "TEA-100", "quantity": "120"},
                        {"product_id": "0192f3a4-5b6c-7d8e-9f00-665544332211", "quantity": "8"},
                    ],
                }
            ]
        }
    )

    warehouse_id: str
    lines: list[StockLineIn]
    reference: str = ""
    reason: str = ""


class MoveOut(Schema):
    id: str
    kind: str
    product_id: str
    warehouse_id: str
    quantity: str
    balance_after: str
    reference: str
    reason: str
    created_at: str


# ---------------------------------------------------------------- orders


class LineIn(Schema):
    product_id: str | None = None
    sku: str | None = None
    kind: str = "product"
    quantity: str = "0"
    unit_price: str | None = None
    discount_percent: str = "0"
    description: str = ""


class OrderIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                    "currency": "CNY",
                    "requested_delivery_date": "2026-12-15",
                    "customer_reference": "PO-88123",
                    "lines": [
                        {"sku": "TEA-100", "quantity": "10"},
                        {
                            "product_id": "0192f3a4-5b6c-7d8e-9f00-665544332211",
                            "quantity": "2.5",
                            "unit_price": "99.00",
                            "discount_percent": "5",
                        },
                    ],
                }
            ]
        }
    )

    customer_id: str
    lines: list[LineIn] = []
    currency: str | None = None
    exchange_rate: str | None = None
    customer_reference: str = ""
    notes: str = ""
    invoicing_policy: str | None = None
    requested_delivery_date: str | None = None
    warehouse_id: str | None = None


class OrderPatch(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 2,
                    "lines": [{"sku": "TEA-100", "quantity": "12"}],
                    "notes": "Deliver before noon.",
                }
            ]
        }
    )

    version: int | None = None
    lines: list[LineIn] | None = None
    customer_reference: str | None = None
    notes: str | None = None
    exchange_rate: str | None = None
    requested_delivery_date: str | None = None
    invoicing_policy: str | None = None


class OrderLineOut(Schema):
    id: str
    position: int
    kind: str
    product_id: str | None = None
    sku: str | None = None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    net: str
    tax: str
    gross: str
    quantity_reserved: str
    quantity_backordered: str
    quantity_shipped: str
    quantity_returned: str
    quantity_invoiced: str
    quantity_credited: str
    quantity_closed: str


class ApprovalStepOut(Schema):
    level: int
    role: str
    approver_ids: list[str]
    status: str
    decided_by: str | None = None
    decided_at: str | None = None


class ApprovalStateOut(Schema):
    reasons: list[dict[str, Any]]
    steps: list[ApprovalStepOut]


class ProgressOut(Schema):
    fulfilment: str
    invoicing: str
    payment: str
    label: str


class OrderOut(Schema):
    id: str
    number: str
    status: str
    customer_id: str
    customer_name: str
    salesperson_id: str | None = None
    currency: str
    exchange_rate: str | None = None
    order_date: str
    requested_delivery_date: str | None = None
    customer_reference: str
    invoicing_policy: str
    warehouse_id: str | None = None
    total_net: str
    total_tax: str
    total_gross: str
    amount_invoiced: str
    amount_paid: str
    version: int
    revision: int
    created_at: str
    fulfilment_status: str | None = None
    invoice_status: str | None = None
    payment_status: str | None = None
    approval: ApprovalStateOut
    lines: list[OrderLineOut] | None = None
    warnings: list[dict[str, Any]] = []


class OrderPage(Page):
    items: list[OrderOut]


class ActionIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"version": 4, "comment": "Margin agreed with the customer."}]
        }
    )

    version: int | None = None
    reason: str = ""
    comment: str = ""
    credit: bool = False


class AmendLineIn(Schema):
    line_id: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    discount_percent: str | None = None
    remove: bool = False
    product_id: str | None = None
    sku: str | None = None


class AmendIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 5,
                    "reason": "Customer added two cases.",
                    "lines": [
                        {"line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566", "quantity": "12"},
                        {"product_id": "0192f3a4-5b6c-7d8e-9f00-665544332211", "quantity": "2"},
                    ],
                }
            ]
        }
    )

    version: int | None = None
    lines: list[AmendLineIn]
    reason: str = ""


class TimelineOut(Schema):
    at: str
    kind: str
    actor: str | None = None
    title: str
    details: Any = None


class ApprovalOut(Schema):
    order: OrderOut
    reasons: list[dict[str, Any]]
    level: int
    margin_percent: str | None = None
    credit_exposure: str | None = None
    credit_limit: str | None = None
    stock_shortfall: list[dict[str, Any]]


# ---------------------------------------------------------------- shipments, billing


class QuantityLineIn(Schema):
    order_line_id: str
    quantity: str


class ShipmentIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {"order_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566", "quantity": "6"}
                    ],
                    "carrier": "SF Express",
                    "tracking_number": "SF1234567890",
                    "dispatch": True,
                }
            ]
        }
    )

    lines: list[QuantityLineIn] | None = None
    carrier: str = ""
    tracking_number: str = ""
    dispatch: bool = False


class DispatchIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"carrier": "SF Express", "tracking_number": "SF1234567890"}]
        }
    )

    carrier: str | None = None
    tracking_number: str | None = None


class ShipmentLineOut(Schema):
    id: str
    order_line_id: str
    quantity: str
    qty_returned: str


class ShipmentOut(Schema):
    id: str
    number: str
    order_id: str
    status: str
    carrier: str
    tracking_number: str
    dispatched_at: str | None = None
    created_at: str
    lines: list[ShipmentLineOut] | None = None


class InvoiceIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {"order_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566", "quantity": "6"}
                    ],
                    "issue": True,
                }
            ]
        }
    )

    lines: list[QuantityLineIn] | None = None
    issue: bool = True


class CreditLineIn(Schema):
    invoice_line_id: str
    quantity: str


class CreditNoteIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {"invoice_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566", "quantity": "1"}
                    ],
                    "reason": "One case damaged in transit.",
                }
            ]
        }
    )

    lines: list[CreditLineIn]
    reason: str = ""


class InvoiceLineOut(Schema):
    id: str
    order_line_id: str
    description: str
    quantity: str
    unit_price: str
    net: str
    tax: str
    gross: str
    qty_credited: str


class InvoiceOut(Schema):
    id: str
    kind: str
    number: str
    status: str
    order_id: str
    customer_id: str
    currency: str
    issue_date: str | None = None
    due_date: str | None = None
    net_total: str
    tax_total: str
    gross_total: str
    amount_paid: str
    amount_credited: str
    open_amount: str
    created_at: str
    lines: list[InvoiceLineOut] | None = None


class InvoicePage(Page):
    items: list[InvoiceOut]


class AllocationIn(Schema):
    invoice_id: str
    amount: str


class PaymentIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                    "amount": "1130.00",
                    "currency": "CNY",
                    "method": "bank_transfer",
                    "reference": "BOC 2026-11-27 0042",
                    "allocations": [
                        {"invoice_id": "0192f3a4-5b6c-7d8e-9f00-665544332211", "amount": "1130.00"}
                    ],
                }
            ]
        }
    )

    customer_id: str
    amount: str
    currency: str
    method: str
    reference: str = ""
    received_on: str | None = None
    exchange_rate: str | None = None
    order_id: str | None = None
    allocations: list[AllocationIn] = []
    auto_allocate: bool = Field(
        False,
        description="Without allocations or order_id: pay the customer's open invoices in "
        "this currency, the oldest due first; any rest stays as customer credit.",
    )


class PaymentOut(Schema):
    id: str
    number: str
    customer_id: str
    order_id: str | None = None
    method: str
    amount: str
    currency: str
    received_on: str
    reference: str
    amount_allocated: str
    unallocated: str
    created_at: str


class PaymentPage(Page):
    items: list[PaymentOut]


class EventOut(Schema):
    id: str
    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    created_at: str


class EventPage(Page):
    items: list[EventOut]


class WebhookIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example/ordercrm/hook",
                    "event_types": ["order.confirmed", "invoice.issued"],
                }
            ]
        }
    )

    url: str
    event_types: list[str]
    description: str = ""


class WebhookOut(Schema):
    id: str
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    secret: str | None = None


# ---------------------------------------------------------------- payment credit (slice: cancel)


class PaymentAllocateIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "allocations": [
                        {"invoice_id": "0192f3a4-5b6c-7d8e-9f00-665544332211", "amount": "113.00"}
                    ]
                }
            ]
        }
    )

    allocations: list[AllocationIn]


class PaymentRefundIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": "500.00", "reason": "Order cancelled", "method": "bank_transfer"}
            ]
        }
    )

    amount: str
    reason: str
    method: str = ""


class PaymentVoidIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Recorded twice (same bank transfer)."}]}
    )

    reason: str


class RefundOut(Schema):
    id: str
    number: str
    kind: str = Field(description="refund (money paid back) or void (recorded in error)")
    payment_id: str
    payment_number: str
    amount: str
    currency: str
    method: str
    reason: str
    refunded_on: str
    payment_unallocated: str
    created_at: str
