"""Request and response shapes of API v1 (they make the OpenAPI document).

Every response is written by its output schema (``…Out``) from the objects the selectors
and services return: resolvers pick the values, the value types (``Amount``, ``Quantity``,
``Id``, ``DateTime``, ``Date``) accept only a value of the right kind and write it in the
contract's text form, so a wrong value fails loudly instead of reaching the wire."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from ordercrm.api.base import Amount, Date, DateTime, Id, Quantity
from ordercrm.api.v1.fields import DATE, ID, SHORT, Dec, In, Text
from ordercrm.api.v1.terms_schemas import InstalmentOut
from ordercrm.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentRefund,
)
from ordercrm.catalog.models import ExchangeRate
from ordercrm.core.money import ZERO
from ordercrm.customers.models import Address, Contact, Customer
from ordercrm.fulfilment.models import FulfilmentException, Shipment, ShipmentLine
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
    company_id: Id
    company_code: str
    role: str
    record_scope: str

    @staticmethod
    def resolve_company_code(obj) -> str:
        return obj.company.code


class MeOut(Schema):
    id: Id
    username: str
    name: str
    email: str
    language: str
    company: str
    permissions: list[str]
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.get_full_name()

    @staticmethod
    def resolve_company(obj, context) -> str:
        return context["request"].company.code

    @staticmethod
    def resolve_permissions(obj, context) -> list[str]:
        from ordercrm.accounts.roles import ROLE_PERMISSIONS

        return sorted(ROLE_PERMISSIONS.get(context["request"].access.role, ()))


class CustomerOut(Schema):
    id: Id
    code: str
    name: str
    kind: str
    language: str
    currency: str
    email: str
    phone: str
    tax_id: str
    credit_limit: Amount | None = None
    credit_hold: bool
    blocked_until: Date | None = Field(
        None, description="No quotation becomes an order before this date (quotations only)."
    )
    blocked_reason: str = ""
    receivable_balance: Amount
    payment_terms_id: Id | None = None
    tax_mapping_id: Id | None = Field(
        None, description="The tax mapping its order lines take (GET /tax-mappings)."
    )
    is_active: bool = True
    inactive_reason: str = ""
    merged_into_id: Id | None = None
    version: int
    created_at: DateTime


class CustomerBlockIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"until": "2027-03-01", "reason": "Disputed invoices"}]}
    )

    until: DATE
    reason: Text(Customer, "blocked_reason")


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
    tax_mapping_id: ID | None = Field(
        None, description="An active tax mapping of the company (GET /tax-mappings)."
    )
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
    payment_terms_id: ID | None = Field(
        None, description="The customer's payment terms, taken by its new orders (finance)."
    )
    tax_mapping_id: ID | None = Field(
        None,
        description="An active tax mapping of the company, taken by the customer's order "
        "lines from their next pricing; null removes it.",
    )


class ContactOut(Schema):
    id: Id
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool
    is_active: bool = True


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
    id: Id
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
    is_active: bool = True


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


class ContactPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Buyer"}]})

    name: Text(Contact, "name") | None = None
    title: Text(Contact, "title") | None = None
    email: Text(Contact, "email") | None = None
    phone: Text(Contact, "phone") | None = None
    is_primary: bool | None = None


class AddressPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"is_default": True}]})

    kind: Text(Address, "kind") | None = None
    line1: Text(Address, "line1") | None = None
    city: Text(Address, "city") | None = None
    recipient: Text(Address, "recipient") | None = None
    phone: Text(Address, "phone") | None = None
    line2: Text(Address, "line2") | None = None
    region: Text(Address, "region") | None = None
    postal_code: Text(Address, "postal_code") | None = None
    country: Text(Address, "country") | None = None
    is_default: bool | None = None


class CustomerStatusIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Closed down", "version": 3}]}
    )

    reason: Text(Customer, "inactive_reason") = ""
    version: int | None = None


class CustomerMergeIn(In):
    """Merge the customer of the path (the duplicate) into ``survivor_id``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"survivor_id": "0190f0e4-0000-7000-8000-000000000000", "version": 2}]
        }
    )

    survivor_id: Id
    version: int | None = None


class MergeMoveOut(Schema):
    key: str
    label: str
    count: int


class MergePreviewOut(Schema):
    duplicate_id: Id
    survivor_id: Id
    moves: list[MergeMoveOut]
    problem: dict | None = None


class ProductOut(Schema):
    id: Id
    sku: str
    name: str
    unit: str
    list_price: Amount
    tax_rate: Quantity | None = None
    is_stock_tracked: bool
    is_active: bool
    created_at: DateTime

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.code if obj.unit_id else ""

    @staticmethod
    def resolve_tax_rate(obj):
        return obj.tax_rate.rate if obj.tax_rate_id else None


class ProductPage(Page):
    items: list[ProductOut]


class PriceListOut(Schema):
    id: Id
    name: str
    currency: str
    is_default: bool


class WarehouseOut(Schema):
    id: Id
    code: str
    name: str
    sequence: int


class StockOut(Schema):
    product_id: Id
    sku: str
    warehouse_id: Id
    warehouse: str
    on_hand: Quantity
    reserved: Quantity
    available: Quantity

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_warehouse(obj) -> str:
        return obj.warehouse.code


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
    id: Id
    kind: str
    product_id: Id
    warehouse_id: Id
    quantity: Quantity
    balance_after: Quantity
    reference: str
    # The document the move belongs to: for a receipt and its reversal, the receipt's id
    # (``/stock/receipts/{stock_receipt_id}``); for a shipment or return, that document's id.
    reference_id: Id | None = None
    # A ``receipt_reversal`` move names the receipt move it takes back out.
    reversal_of_id: Id | None = None
    reason: str
    created_at: DateTime


class ReceiptReverseIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Delivered to the wrong warehouse."}]}
    )

    reason: Text(StockMove, "reason")


class ReceiptOut(Schema):
    """A stock receipt: its lines and, once reversed, the moves that took them back out."""

    id: Id
    reference: str
    warehouse_id: Id
    created_at: DateTime
    reversed: bool
    reversed_at: DateTime | None = None
    reversal_reason: str
    lines: list[MoveOut]
    reversals: list[MoveOut]

    @staticmethod
    def resolve_warehouse_id(obj) -> str:
        return str(obj.warehouse.pk)


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
    order_date: DATE | None = Field(
        None,
        description="Default: today in the company's time zone; before today needs the "
        "`order_backdate` right. The number's year is this date's.",
    )
    valid_until: DATE | None = Field(
        None,
        description="A quotation's validity date; default: the order date plus the "
        "company's quotation validity days (none when those are 0).",
    )
    discount_percent: Dec(SalesOrder, "discount_percent") | None = Field(
        None, description="Order discount (%), taken off every product line before tax."
    )
    payment_terms_id: ID | None = Field(
        None, description="Payment terms of this order; default: the customer's."
    )
    shipping_policy: Literal["ship_as_available", "ship_complete", "after_payment"] | None = Field(
        None,
        description="Default: the company's. `after_payment`: nothing is dispatched before the "
        "order is paid in full (`fulfilment.payment_first`).",
    )


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
    order_date: DATE | None = None
    valid_until: DATE | None = None
    discount_percent: Dec(SalesOrder, "discount_percent") | None = None
    payment_terms_id: ID | None = Field(
        None, description="Payment terms of this order (its invoices' instalments)."
    )
    shipping_policy: Literal["ship_as_available", "ship_complete", "after_payment"] | None = None
    customer_id: ID | None = Field(
        None,
        description="Another customer for the draft: its currency, price list, terms, contact "
        "and addresses follow, and the lines are priced and taxed again for it (prices set "
        "by hand stay).",
    )


class OrderLineComponentOut(Schema):
    """A kit line's component as the line copied it; its figures are the kit line's
    counters times ``quantity_per_kit`` (kits are reserved, shipped and returned whole)."""

    product_id: Id
    sku: str
    name: str
    quantity_per_kit: Quantity
    quantity: Quantity = Field(description="For the line's ordered kits.")
    quantity_reserved: Quantity
    quantity_shipped: Quantity
    quantity_returned: Quantity


class OrderLineOut(Schema):
    """One line of an order. Section and note lines carry text only: their numbers (quantity,
    prices, amounts and counters) are ``null``. ``quantity_backordered`` is ``"0"`` for a
    product that is not stock-tracked (a service)."""

    id: Id
    position: int
    kind: Literal["product", "section", "note"]
    product_id: Id | None = None
    sku: str | None = None
    description: str
    quantity: Quantity | None
    unit_price: Quantity | None
    discount_percent: Quantity | None
    tax_rate: Quantity | None = Field(validation_alias="tax_percent")
    net: Amount | None
    tax: Amount | None
    gross: Amount | None
    quantity_reserved: Quantity | None = Field(validation_alias="qty_reserved")
    quantity_backordered: Quantity | None
    quantity_shipped: Quantity | None = Field(validation_alias="qty_shipped")
    quantity_returned: Quantity | None = Field(validation_alias="qty_returned")
    quantity_invoiced: Quantity | None = Field(validation_alias="qty_invoiced")
    quantity_credited: Quantity | None = Field(validation_alias="qty_credited")
    quantity_closed: Quantity | None = Field(validation_alias="qty_closed")
    quantity_over_delivered: Quantity | None = Field(
        None,
        validation_alias="qty_over_delivered",
        description="Shipped beyond the ordered quantity within the over-delivery tolerance.",
    )
    delivered_percent: Quantity | None = Field(
        None, description="Net shipped of what is due (ordered − closed), capped at 100."
    )
    free_stock: Quantity | None = Field(
        None,
        description="A quotation's stock-tracked line: on hand − reserved in the order's "
        "warehouses (− other open quotations when the company counts them), shared between "
        "lines of one product in position order; null otherwise.",
    )
    stock_short: Quantity | None = Field(
        None, description="How much of what the line needs the free stock does not cover."
    )
    is_kit: bool = Field(
        False,
        description="A kit: priced, taxed and invoiced as this line; its components (copied "
        "when the line was entered) are what is reserved, shipped and returned. A kit's "
        "free_stock is the whole kits its components' free stock makes.",
    )
    components: list[OrderLineComponentOut] = Field(default_factory=list)
    price_rule_id: Id | None = Field(
        None,
        description="The price rule of the customer's price list that computed the line's "
        "price-list price (GET /price-lists/{id}/rules); null: a fixed price or none.",
    )
    price_rule_name: str | None = Field(None, description="The rule's name (may be empty).")
    price_rule_description: str | None = Field(
        None, description="What the rule computes, in the request's language."
    )

    @staticmethod
    def resolve_price_rule_name(obj) -> str | None:
        return obj.price_rule.name if obj.price_rule_id else None

    @staticmethod
    def resolve_price_rule_description(obj) -> str | None:
        return obj.price_rule.describe() if obj.price_rule_id else None

    @staticmethod
    def resolve_components(obj) -> list[dict]:
        from ordercrm.sales.kits import scaled

        return [
            {
                "product_id": part.product_id,
                "sku": part.product.sku,
                "name": part.product.name,
                "quantity_per_kit": part.quantity,
                "quantity": scaled(obj.quantity, part.quantity),
                "quantity_reserved": scaled(obj.qty_reserved, part.quantity),
                "quantity_shipped": scaled(obj.qty_shipped, part.quantity),
                "quantity_returned": scaled(obj.qty_returned, part.quantity),
            }
            for part in getattr(obj, "kit_components", None) or []
        ]

    @staticmethod
    def resolve_free_stock(obj):
        stock = getattr(obj, "stock", None)
        return stock.free if stock is not None else None

    @staticmethod
    def resolve_stock_short(obj):
        stock = getattr(obj, "stock", None)
        return stock.short if stock is not None else None

    @staticmethod
    def resolve_sku(obj) -> str | None:
        return obj.product.sku if obj.product_id else None

    @staticmethod
    def resolve_quantity_backordered(obj):
        tracked = obj.kind == "product" and obj.product_id and obj.product.is_stock_tracked
        return obj.backordered if tracked else ZERO

    @model_validator(mode="after")
    def _text_lines_have_no_numbers(self):
        if self.kind != "product":
            for name in _LINE_NUMBERS:
                setattr(self, name, None)
        return self


_LINE_NUMBERS = [
    name
    for name in OrderLineOut.model_fields
    if name.startswith(("quantity", "unit_", "discount_", "tax", "net", "gross"))
]


class ApprovalStepOut(Schema):
    level: int
    role: str
    approver_ids: list[str]
    status: str
    decided_by: Id | None = Field(None, validation_alias="decided_by_id")
    decided_at: DateTime | None = None


class ApprovalStateOut(Schema):
    reasons: list[dict[str, Any]]
    steps: list[ApprovalStepOut]


class ProgressOut(Schema):
    fulfilment: str
    invoicing: str
    payment: str
    label: str


REMOVED_IN = "v2"  # the API version that drops the deprecated aliases below


def deprecated_alias(name: str):
    """An output field kept under its old name for one version: the value of ``name``,
    marked ``deprecated`` in the OpenAPI document (see README.md, "Deprecated fields")."""
    return Field(
        validation_alias=name,
        deprecated=True,
        description=f"Deprecated: use `{name}` (same value); removed in {REMOVED_IN}.",
    )


class OrderSummaryOut(Schema):
    """An order as lists show it: header, totals, progress, approval and the number of
    lines (``GET /orders/{id}`` or ``/orders/{id}/lines`` has the lines)."""

    id: Id
    number: str
    status: str
    customer_id: Id
    customer_name: str
    salesperson_id: Id | None = None
    currency: str
    exchange_rate: Quantity | None = None
    order_date: Date
    requested_delivery_date: Date | None = Field(None, validation_alias="requested_date")
    valid_until: Date | None = None
    discount_percent: Quantity
    customer_reference: str
    invoicing_policy: str
    warehouse_id: Id | None = None
    payment_terms_id: Id | None = None
    shipping_policy: str = ""
    net_total: Amount
    tax_total: Amount
    gross_total: Amount
    # The names before amounts were named alike on every resource (``<kind>_total``, as on
    # invoices and the models); written with the same values until v2 removes them.
    total_net: Amount = deprecated_alias("net_total")
    total_tax: Amount = deprecated_alias("tax_total")
    total_gross: Amount = deprecated_alias("gross_total")
    amount_invoiced: Amount
    amount_paid: Amount
    version: int
    revision: int
    created_at: DateTime
    backorder_declined: bool = Field(
        False, description="What stayed open on some lines was declined: it will not ship."
    )
    services_only: bool = Field(
        False,
        description="Only services (not stock-tracked): nothing is reserved or shipped; "
        "fulfilment_status is shipped from confirmation.",
    )
    fulfilment_status: Literal["not_shipped", "partially_shipped", "shipped"]
    invoice_status: Literal["not_invoiced", "partially_invoiced", "invoiced"]
    payment_status: Literal["unpaid", "partially_paid", "paid", "overpaid"]
    approval: ApprovalStateOut
    line_count: int
    warnings: list[dict[str, Any]] = []
    advance_required: Amount | None = Field(
        None,
        description="The advance its payment terms require before dispatch (null: none); "
        "dispatch is refused with `fulfilment.advance_unpaid` while `amount_paid` is lower.",
    )

    @staticmethod
    def resolve_advance_required(obj):
        from ordercrm.fulfilment.selectors import advance_position

        position = advance_position(obj)
        return position.required if position is not None else None

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_fulfilment_status(obj) -> str:
        return obj.progress.fulfilment

    @staticmethod
    def resolve_invoice_status(obj) -> str:
        return obj.progress.invoicing

    @staticmethod
    def resolve_payment_status(obj) -> str:
        return obj.progress.payment

    @staticmethod
    def resolve_approval(obj) -> dict:
        return {"reasons": obj.approval_reasons, "steps": obj.approvals}

    @staticmethod
    def resolve_warnings(obj) -> list:
        return getattr(obj, "warnings", [])


class OrderOut(OrderSummaryOut):
    """An order with all its lines."""

    lines: list[OrderLineOut]


class OrderPage(Page):
    items: list[OrderSummaryOut]


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


class DeclineBackorderIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Customer takes what arrived."}]}
    )

    reason: Text(SalesOrder, "status_reason")
    line_ids: list[ID] | None = Field(None, description="Default: every line.", max_length=1000)


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
    at: DateTime
    kind: str
    actor: str | None = None
    title: str
    details: Any = None

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.username if obj.actor else None

    @staticmethod
    def resolve_details(obj):
        from ordercrm.core.audit import json_value

        return json_value(obj.details)


class ApprovalOut(Schema):
    order: OrderSummaryOut
    reasons: list[dict[str, Any]]
    level: int
    margin_percent: Amount | None = None
    credit_exposure: Amount | None = None
    credit_limit: Amount | None = None
    stock_shortfall: list[dict[str, Any]]

    @staticmethod
    def resolve_level(obj) -> int:
        return obj.approvals[0].level


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
    decline_backorder: bool = Field(
        False, description="With dispatch: close what stays open on the shipped lines."
    )


class DispatchIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"carrier": "SF Express", "tracking_number": "SF1234567890"}]
        }
    )

    carrier: Text(Shipment, "carrier") | None = None
    tracking_number: Text(Shipment, "tracking_number") | None = None
    decline_backorder: bool = Field(
        False, description="Close what stays open on the shipped lines: no backorder."
    )


class ShipmentLineOut(Schema):
    id: Id
    order_line_id: Id
    quantity: Quantity
    qty_returned: Quantity


class ShipmentOut(Schema):
    """A shipment; ``lines`` is set where one shipment is read, ``null`` in lists."""

    id: Id
    number: str
    order_id: Id
    status: str
    carrier: str
    tracking_number: str
    dispatched_at: DateTime | None = None
    created_at: DateTime
    lines: list[ShipmentLineOut] | None = Field(None, validation_alias="loaded_lines")


class ShipmentCancelIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Truck full."}]})

    reason: Text(FulfilmentException, "note") = ""


class ShipmentExceptionIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "refused", "note": "Nobody at the address."}]}
    )

    kind: Literal["refused", "undeliverable", "lost", "damaged"]
    note: Text(FulfilmentException, "note") = ""


class ExceptionResolveIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"choice": "recreate", "note": "Customer asked again."}]}
    )

    choice: Literal["recreate", "close"] = Field(
        description="recreate: ship what is open again; close: do not recreate, close the rest."
    )
    note: Text(FulfilmentException, "note") = ""


class FulfilmentExceptionOut(Schema):
    """An order's fulfilment exception: open until ``resolution`` is set."""

    id: Id
    order_id: Id
    shipment_id: Id
    shipment_number: str
    kind: Literal["cancelled", "refused", "undeliverable", "lost", "damaged"]
    note: str
    resolution: Literal["recreate", "close"] | None = None
    new_shipment_id: Id | None = None
    created_at: DateTime
    resolved_at: DateTime | None = None

    @staticmethod
    def resolve_shipment_number(obj) -> str:
        return obj.shipment.number

    @staticmethod
    def resolve_resolution(obj):
        return obj.resolution or None


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


class InvoiceLinesPatch(In):
    """A draft invoice's lines changed before issue: a lower quantity bills less, 0 removes
    the line; what is taken off is invoiceable again on the order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "lines": [
                        {"invoice_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566", "quantity": "4"}
                    ],
                }
            ]
        }
    )

    version: int | None = None
    lines: list[CreditLineIn]


class InvoiceLineOut(Schema):
    id: Id
    order_line_id: Id
    description: str
    quantity: Quantity
    unit_price: Quantity
    net: Amount
    tax: Amount
    gross: Amount
    qty_credited: Quantity
    qty_over_invoiced: Quantity = Field(
        description="The part of the quantity beyond the order line's invoiceable quantity, "
        "accepted within the company's billing tolerance."
    )


class AllocationOut(Schema):
    """Part of a payment applied to an invoice (same currency), and what it is worth in the
    company currency: ``base_amount`` at the payment's rate, ``invoice_base_amount`` at the
    invoice's rate; ``exchange_difference`` is the former − the latter, realised when the
    allocation was made (a gain when positive, a loss when negative)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f3a4-5b6c-7d8e-9f00-aabbccddeeff",
                    "payment_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                    "payment_number": "PAY-2026-000042",
                    "invoice_id": "0192f3a4-5b6c-7d8e-9f00-665544332211",
                    "invoice_number": "INV-2026-000017",
                    "amount": "113.00",
                    "currency": "USD",
                    "base_amount": "813.60",
                    "invoice_base_amount": "802.30",
                    "exchange_difference": "11.30",
                    "created_at": "2026-12-03T10:15:00+08:00",
                }
            ]
        }
    )

    id: Id
    payment_id: Id
    payment_number: str
    invoice_id: Id
    invoice_number: str
    amount: Amount = Field(description="In the payment's (and invoice's) currency.")
    currency: str
    base_amount: Amount = Field(description="In the company currency at the payment's rate.")
    invoice_base_amount: Amount = Field(
        description="In the company currency at the invoice's rate: what it settles."
    )
    exchange_difference: Amount = Field(
        description="base_amount − invoice_base_amount: a gain when positive, a loss when negative."
    )
    created_at: DateTime

    @staticmethod
    def resolve_payment_number(obj) -> str:
        return obj.payment.number

    @staticmethod
    def resolve_invoice_number(obj) -> str:
        return obj.invoice.number

    @staticmethod
    def resolve_currency(obj) -> str:
        return obj.invoice.currency


class InvoiceOut(Schema):
    """An invoice or credit note; ``lines`` is set where one is read, ``null`` in lists.
    Amounts are in its currency; the ``*_base`` ones in the company currency at its
    exchange rate (the order's, fixed at confirmation)."""

    id: Id
    kind: str
    number: str
    status: str
    order_id: Id
    customer_id: Id
    currency: str
    exchange_rate: Quantity = Field(description="Company currency per one unit of currency.")
    issue_date: Date | None = None
    due_date: Date | None = None
    net_total: Amount
    tax_total: Amount
    gross_total: Amount
    amount_paid: Amount
    amount_credited: Amount
    open_amount: Amount
    gross_total_base: Amount = Field(
        validation_alias="company_gross_total",
        description="The total in the company currency at the invoice's rate.",
    )
    amount_paid_base: Amount = Field(
        description="What its payments settled in the company currency, at the invoice's "
        "rate (the sum of its allocations' invoice_base_amount)."
    )
    amount_credited_base: Amount = Field(
        description="Its credit notes' totals in the company currency."
    )
    open_base: Amount = Field(
        description="What is open in the company currency at the invoice's rate; 0 when settled."
    )
    version: int
    created_at: DateTime
    lines: list[InvoiceLineOut] | None = Field(None, validation_alias="loaded_lines")
    allocations: list[AllocationOut] | None = Field(
        None,
        validation_alias="loaded_allocations",
        description="The payments applied to it, oldest first, with their exchange "
        "differences (where one invoice is read; null in lists).",
    )
    instalments: list[InstalmentOut] | None = Field(
        None,
        validation_alias="loaded_instalments",
        description="An issued invoice's instalments from its payment terms, each with its "
        "own due date; payments settle the earliest first.",
    )


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
    """A payment; the ``*_base`` amounts are in the company currency at its own exchange
    rate: amount_base = amount_allocated_base + refunded + unallocated_base, to the cent."""

    id: Id
    number: str
    customer_id: Id
    order_id: Id | None = None
    method: str
    amount: Amount
    currency: str
    exchange_rate: Quantity = Field(description="Company currency per one unit of currency.")
    received_on: Date
    reference: str
    amount_allocated: Amount
    amount_refunded: Amount = Field(description="Paid back to the customer (refunds).")
    unallocated: Amount
    amount_base: Amount = Field(description="The amount in the company currency.")
    amount_allocated_base: Amount = Field(
        description="What its allocations took, in the company currency at its rate."
    )
    unallocated_base: Amount = Field(
        description="Its unallocated credit in the company currency at its rate."
    )
    voided_at: DateTime | None = Field(
        default=None, description="Set when the payment was voided (recorded in error)."
    )
    created_at: DateTime
    allocations: list[AllocationOut] | None = Field(
        None,
        validation_alias="loaded_allocations",
        description="The invoices it was applied to, with the exchange difference of each "
        "(where one payment is read or written; null in lists).",
    )


class ExchangeDifferencesOut(Schema):
    """Exchange differences realised over a period, in the company ``currency``: each
    allocation whose payment's rate differs from its invoice's, gains and losses apart."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "currency": "CNY",
                    "first": "2026-12-01",
                    "last": "2026-12-31",
                    "gain": "11.30",
                    "loss": "-6.30",
                    "net": "5.00",
                    "items": [AllocationOut.model_config["json_schema_extra"]["examples"][0]],
                }
            ]
        }
    )

    currency: str
    first: Date
    last: Date
    gain: Amount
    loss: Amount = Field(description="Negative (or 0): the sum of the losses.")
    net: Amount
    items: list[AllocationOut]


class PaymentPage(Page):
    items: list[PaymentOut]


class EventOut(Schema):
    id: Id
    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    created_at: DateTime


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
    id: Id
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    secret: str | None = None

    @staticmethod
    def resolve_secret(obj) -> None:
        return None  # shown once, at creation (WebhookCreatedOut)


class WebhookCreatedOut(WebhookOut):
    secret: str

    @staticmethod
    def resolve_secret(obj) -> str:
        return obj.secret


# ---------------------------------------------------------------- exchange rates (slice: money)


class ExchangeRateIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"currency": "USD", "date": "2026-03-02", "rate": "7.1012"}]
        }
    )

    currency: Text(ExchangeRate, "currency") = Field(
        description="ISO 4217 code of the foreign currency."
    )
    date: DATE = Field(description="YYYY-MM-DD: the rate applies from this date on.")
    rate: Dec(ExchangeRate, "rate") = Field(
        description="Company currency per one unit of the currency: above 0, at most 1000000, "
        "at most 8 decimals."
    )


class ExchangeRateOut(Schema):
    id: Id
    currency: str
    date: Date
    rate: Quantity
    set_by: str | None = None
    created_at: DateTime

    @staticmethod
    def resolve_set_by(obj) -> str | None:
        return obj.set_by.username if obj.set_by_id else None


class ExchangeRatePage(Page):
    items: list[ExchangeRateOut]


# ---------------------------------------------------------------- payment credit (slice: cancel)


class PaymentAllocateIn(In):
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


class PaymentRefundIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": "500.00", "reason": "Order cancelled", "method": "bank_transfer"}
            ]
        }
    )

    amount: Dec(PaymentRefund, "amount")
    reason: Text(PaymentRefund, "reason")
    method: Text(PaymentRefund, "method") = ""


class PaymentVoidIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Recorded twice (same bank transfer)."}]}
    )

    reason: Text(PaymentRefund, "reason")


class RefundOut(Schema):
    id: Id
    number: str
    kind: str = Field(description="refund (money paid back) or void (recorded in error)")
    payment_id: Id
    payment_number: str
    amount: Amount
    currency: str
    method: str
    reason: str
    refunded_on: Date
    payment_unallocated: Amount
    created_at: DateTime
