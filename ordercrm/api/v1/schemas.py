"""Request and response shapes of API v1 (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.api.v1.fields import DATE, ID, SHORT, Dec, In, Text
from ordercrm.billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from ordercrm.customers.models import Address, Contact, Customer
from ordercrm.fulfilment.models import Shipment, ShipmentLine
from ordercrm.inventory.models import StockMove
from ordercrm.notifications.models import WebhookSubscription as Webhook
from ordercrm.sales.models import OrderComment, OrderRevision, SalesOrder, SalesOrderLine


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


class CustomerIn(In):
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

    name: Text(Customer, "name")
    code: Text(Customer, "code") = ""
    kind: Text(Customer, "kind") = "company"
    language: Text(Customer, "language") = ""
    currency: Text(Customer, "currency") = ""
    email: Text(Customer, "email") = ""
    phone: Text(Customer, "phone") = ""
    tax_id: Text(Customer, "tax_id") = ""
    credit_limit: Dec(Customer, "credit_limit") | None = None
    notes: Text(Customer, "notes") = ""
    allow_duplicate: bool = False


class CustomerPatch(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 3, "credit_limit": "80000.00"}]}
    )

    version: int | None = None
    name: Text(Customer, "name") | None = None
    email: Text(Customer, "email") | None = None
    phone: Text(Customer, "phone") | None = None
    tax_id: Text(Customer, "tax_id") | None = None
    language: Text(Customer, "language") | None = None
    credit_limit: Dec(Customer, "credit_limit") | None = None
    notes: Text(Customer, "notes") | None = None


class ContactOut(Schema):
    id: str
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool


class ContactIn(In):
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

    name: Text(Contact, "name")
    title: Text(Contact, "title") = ""
    email: Text(Contact, "email") = ""
    phone: Text(Contact, "phone") = ""
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


class AddressIn(In):
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

    kind: Text(Address, "kind")
    line1: Text(Address, "line1")
    city: Text(Address, "city") = ""
    recipient: Text(Address, "recipient") = ""
    phone: Text(Address, "phone") = ""
    line2: Text(Address, "line2") = ""
    region: Text(Address, "region") = ""
    postal_code: Text(Address, "postal_code") = ""
    country: Text(Address, "country") = ""


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


class StockLineIn(In):
    product_id: ID | None = None
    sku: SHORT | None = None
    quantity: Dec(StockMove, "quantity")


class StockIn(In):
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

    warehouse_id: ID
    lines: list[StockLineIn]
    reference: Text(StockMove, "reference") = ""
    reason: Text(StockMove, "reason") = ""


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


class LineIn(In):
    product_id: ID | None = None
    sku: SHORT | None = None
    kind: Text(SalesOrderLine, "kind") = "product"
    quantity: Dec(SalesOrderLine, "quantity") = "0"
    unit_price: Dec(SalesOrderLine, "unit_price") | None = None
    discount_percent: Dec(SalesOrderLine, "discount_percent") = "0"
    description: Text(SalesOrderLine, "description") = ""


class OrderIn(In):
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

    customer_id: ID
    lines: list[LineIn] = []
    currency: Text(SalesOrder, "currency") | None = None
    exchange_rate: Dec(SalesOrder, "exchange_rate") | None = None
    customer_reference: Text(SalesOrder, "customer_reference") = ""
    notes: Text(SalesOrder, "notes") = ""
    invoicing_policy: Text(SalesOrder, "invoicing_policy") | None = None
    requested_delivery_date: DATE | None = None
    warehouse_id: ID | None = None


class OrderPatch(In):
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
    customer_reference: Text(SalesOrder, "customer_reference") | None = None
    notes: Text(SalesOrder, "notes") | None = None
    exchange_rate: Dec(SalesOrder, "exchange_rate") | None = None
    requested_delivery_date: DATE | None = None
    invoicing_policy: Text(SalesOrder, "invoicing_policy") | None = None


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


class ActionIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"version": 4, "comment": "Margin agreed with the customer."}]
        }
    )

    version: int | None = None
    reason: Text(SalesOrder, "status_reason") = ""
    comment: Text(OrderComment, "text") = ""
    credit: bool = False


class AmendLineIn(In):
    line_id: ID | None = None
    quantity: Dec(SalesOrderLine, "quantity") | None = None
    unit_price: Dec(SalesOrderLine, "unit_price") | None = None
    discount_percent: Dec(SalesOrderLine, "discount_percent") | None = None
    remove: bool = False
    product_id: ID | None = None
    sku: SHORT | None = None


class AmendIn(In):
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
    reason: Text(OrderRevision, "reason") = ""


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


class QuantityLineIn(In):
    order_line_id: ID
    quantity: Dec(ShipmentLine, "quantity")


class ShipmentIn(In):
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
    carrier: Text(Shipment, "carrier") = ""
    tracking_number: Text(Shipment, "tracking_number") = ""
    dispatch: bool = False


class DispatchIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"carrier": "SF Express", "tracking_number": "SF1234567890"}]
        }
    )

    carrier: Text(Shipment, "carrier") | None = None
    tracking_number: Text(Shipment, "tracking_number") | None = None


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


class InvoiceIn(In):
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


class CreditLineIn(In):
    invoice_line_id: ID
    quantity: Dec(InvoiceLine, "quantity")


class CreditNoteIn(In):
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
    reason: Text(Invoice, "reason") = ""


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


class AllocationIn(In):
    invoice_id: ID
    amount: Dec(PaymentAllocation, "amount")


class PaymentIn(In):
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

    customer_id: ID
    amount: Dec(Payment, "amount")
    currency: Text(Payment, "currency")
    method: Text(Payment, "method")
    reference: Text(Payment, "reference") = ""
    received_on: DATE | None = None
    exchange_rate: Dec(Payment, "exchange_rate") | None = None
    order_id: ID | None = None
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


class WebhookIn(In):
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

    url: Text(Webhook, "url")
    event_types: list[SHORT]
    description: Text(Webhook, "description") = ""


class WebhookOut(Schema):
    id: str
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    secret: str | None = None
