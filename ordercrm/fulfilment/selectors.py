"""Reads of fulfilment: shipments visible through their orders, the to-ship queue, what each
order line can ship now, and the delivery note document."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet

from ordercrm.accounts.access import Access
from ordercrm.core.documents import Formatter, document_language, render_pdf
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.money import ZERO
from ordercrm.core.permissions import Perm
from ordercrm.fulfilment.models import (
    FulfilmentException,
    ReturnReceipt,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine


def shipment_list(
    access: Access, *, order_id=None, status: str = "", search: str = ""
) -> QuerySet[Shipment]:
    """Shipments of the orders the caller may see."""
    access.require(Perm.ORDER_VIEW)
    visible = sales_selectors.order_list(access).values("pk")
    shipments = (
        Shipment.objects.for_company(access.company)
        .filter(order_id__in=visible)
        .select_related("order", "order__customer", "warehouse")
    )
    if order_id:
        shipments = shipments.filter(order_id=parse_id(order_id))
    if status:
        shipments = shipments.filter(status=status)
    if search.strip():
        term = search.strip()
        shipments = shipments.filter(number__icontains=term) | shipments.filter(
            tracking_number__icontains=term
        )
    return shipments.order_by("-created_at", "-id")


def shipment_get(access: Access, shipment_id) -> Shipment:
    shipment = shipment_list(access).filter(pk=parse_id(shipment_id)).first()
    if shipment is None:
        raise NotFound(details={"shipment_id": str(shipment_id)})
    return shipment


def shipment_lines(shipment: Shipment) -> list[ShipmentLine]:
    """A shipment's lines; a kit line's order line carries its ``kit_components`` (what
    the shipment takes out of stock for it; one query more only for a kit)."""
    from ordercrm.sales import kits

    lines = list(
        ShipmentLine.objects.for_company(shipment.company_id)
        .filter(shipment=shipment)
        .select_related("order_line", "order_line__unit", "product")
        .order_by("order_line__position")
    )
    kits.attach(shipment.company_id, [line.order_line for line in lines])
    return lines


def to_ship_queue(access: Access) -> QuerySet[SalesOrder]:
    """Confirmed orders with something left to ship, oldest requested date first."""
    open_lines = SalesOrderLine.objects.for_company(access.company).filter(
        kind=LineKind.PRODUCT,
        qty_shipped__lt=F("quantity")
        - F("qty_closed")
        + F("qty_replaced")
        + F("qty_over_delivered"),
    )
    return (
        sales_selectors.order_list(access)
        .shippable()
        .filter(services_only=False, pk__in=open_lines.values("order_id"))
        .order_by(F("requested_date").asc(nulls_last=True), "confirmed_at")
    )


@dataclass(frozen=True)
class LineStock:
    """Where an order line stands: open, reserved, backordered, free stock now, and what
    can ship at once (reserved, or all open for untracked products)."""

    line: SalesOrderLine
    tracked: bool
    open: Decimal
    reserved: Decimal
    backordered: Decimal
    available: Decimal
    ready: Decimal


def order_line_stock(order: SalesOrder, lines: list[SalesOrderLine]) -> list[LineStock]:
    """Available-to-promise per line of an order, in two queries (three with kit lines: a
    kit's available is the whole kits its components' free stock makes)."""
    from ordercrm.catalog.kits import kits_from
    from ordercrm.inventory import selectors as inventory_selectors
    from ordercrm.inventory.services import warehouses_in_order
    from ordercrm.sales import kits

    components = kits.components_of(order.company_id, lines)
    products = [line.product_id for line in lines if line.product_id]
    products += [part.product_id for parts in components.values() for part in parts]
    free = inventory_selectors.availability(
        order.company_id, products, warehouses_in_order(order.company, order.warehouse_id)
    )
    result = []
    for line in lines:
        tracked = bool(line.product_id and line.product.is_stock_tracked)
        open_quantity = max(line.open_quantity, ZERO) if line.kind == LineKind.PRODUCT else ZERO
        if line.pk in components:
            parts = components[line.pk]
            available = kits_from(
                {p.pk: free[p.product_id].available for p in parts if p.product_id in free},
                {p.pk: p.quantity for p in parts},
            )
        else:
            stock = free.get(line.product_id)
            available = stock.available if stock else ZERO
        result.append(
            LineStock(
                line=line,
                tracked=tracked,
                open=open_quantity,
                reserved=line.qty_reserved,
                backordered=max(open_quantity - line.qty_reserved, ZERO) if tracked else ZERO,
                available=available if tracked else open_quantity,
                ready=line.qty_reserved if tracked else open_quantity,
            )
        )
    return result


def return_list(access: Access, *, order_id=None) -> QuerySet[ReturnReceipt]:
    access.require(Perm.ORDER_VIEW)
    visible = sales_selectors.order_list(access).values("pk")
    returns = ReturnReceipt.objects.for_company(access.company).filter(order_id__in=visible)
    if order_id:
        returns = returns.filter(order_id=parse_id(order_id))
    return returns.select_related("shipment", "warehouse").order_by("-created_at")


def delivery_note_pdf(access: Access, shipment_id, language: str | None = None) -> bytes:
    """The delivery note of a shipment, in the customer's language unless one is given."""
    from ordercrm.sales.kits import scaled

    shipment = shipment_get(access, shipment_id)
    order = shipment.order
    customer = order.customer
    language = document_language(language or customer.language)
    fmt = Formatter(language)
    rows = []
    for sl in shipment_lines(shipment):
        line = sl.order_line
        rows.append(
            {
                "sku": sl.product.sku if sl.product else "",
                "description": sl.description,
                "ordered": fmt.quantity(line.quantity),
                "shipped": fmt.quantity(sl.quantity),
                "remaining": fmt.quantity(max(line.open_quantity, ZERO)),
                "unit": line.unit.label(fmt.language) if line.unit else "",
                "components": [
                    {
                        "sku": part.product.sku,
                        "description": part.product.name,
                        "ordered": fmt.quantity(scaled(line.quantity, part.quantity)),
                        "shipped": fmt.quantity(scaled(sl.quantity, part.quantity)),
                        "remaining": fmt.quantity(
                            scaled(max(line.open_quantity, ZERO), part.quantity)
                        ),
                        "unit": part.product.unit.label(fmt.language),
                    }
                    for part in getattr(line, "kit_components", [])
                ],
            }
        )
    return render_pdf(
        "fulfilment/delivery_note.html",
        {
            "company": order.company,
            "shipment": shipment,
            "order": order,
            "customer": customer,
            "rows": rows,
            "dispatch_date": fmt.date(shipment.dispatched_at or shipment.created_at),
            "is_draft": shipment.status == ShipmentStatus.DRAFT,
        },
        language,
    )


@dataclass(frozen=True)
class AdvancePosition:
    """An order under terms with a required advance: how much must be paid before dispatch,
    how much is paid (``order.amount_paid``), and whether dispatch waits for the rest."""

    percent: Decimal
    required: Decimal
    paid: Decimal
    currency: str
    after_payment: bool = False  # the shipping policy "after payment": all of it first

    @property
    def missing(self) -> Decimal:
        return max(self.required - self.paid, ZERO)

    @property
    def blocks_dispatch(self) -> bool:
        return self.missing > 0


def advance_position(order: SalesOrder) -> AdvancePosition | None:
    """What must be paid before the order is dispatched: everything under the shipping
    policy "after payment", else the advance its payment terms require; ``None`` when
    nothing is (the rule ``shipment_dispatch`` enforces: ``fulfilment.payment_first`` and
    ``fulfilment.advance_unpaid``)."""
    from ordercrm.core.models import ShippingPolicy
    from ordercrm.customers.terms import advance_required

    if order.effective_shipping_policy == ShippingPolicy.AFTER_PAYMENT and order.gross_total > 0:
        return AdvancePosition(
            percent=Decimal(100),
            required=order.gross_total,
            paid=order.amount_paid,
            currency=order.currency,
            after_payment=True,
        )
    terms = order.payment_terms
    if terms is None or not terms.advance_percent:
        return None
    required = advance_required(order.gross_total, terms.advance_percent, order.currency)
    if not required:
        return None
    return AdvancePosition(
        percent=terms.advance_percent,
        required=required,
        paid=order.amount_paid,
        currency=order.currency,
    )


def order_exceptions(
    access: Access, order: SalesOrder, *, open_only: bool = False
) -> list[FulfilmentException]:
    """The fulfilment exceptions of a visible order, open ones first, newest first."""
    rows = (
        FulfilmentException.objects.for_company(access.company)
        .filter(order=order)
        .select_related("shipment", "new_shipment", "raised_by", "resolved_by")
    )
    if open_only:
        rows = rows.filter(resolution="")
    return sorted(rows.order_by("-created_at"), key=lambda row: not row.is_open)


def exception_get(access: Access, exception_id) -> FulfilmentException:
    """One fulfilment exception of an order the caller may see (``core.not_found`` else)."""
    exception = (
        FulfilmentException.objects.for_company(access.company)
        .filter(pk=parse_id(exception_id))
        .select_related("shipment")
        .first()
    )
    if exception is None:
        raise NotFound(details={"exception_id": str(exception_id)})
    sales_selectors.order_get(access, exception.order_id)  # the order's scope decides
    return exception
