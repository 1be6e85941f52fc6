"""Stock reservations of an order's lines: reserve what is open by the company's stock policy,
give back what is no longer needed, and fill waiting backorders when stock arrives.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q

from ordercrm.catalog.models import Product
from ordercrm.core import audit, events
from ordercrm.core.models import StockPolicy
from ordercrm.core.money import ZERO
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory import services as inventory
from ordercrm.sales import kits, locks, workflow
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine
from ordercrm.sales.services.lines import _lines_of
from ordercrm.sales.workflow import OrderEvent


def _tracked_product_ids(company_id, lines: list[SalesOrderLine]) -> set:
    product_ids = {line.product_id for line in lines if line.product_id}
    if not product_ids:
        return set()
    return set(
        Product.objects.for_company(company_id)
        .filter(pk__in=product_ids, is_stock_tracked=True)
        .values_list("pk", flat=True)
    )


def _reserve_open(
    order: SalesOrder, lines: list[SalesOrderLine], *, all_or_nothing: bool | None = None
) -> dict:
    """Reserve what each stock-tracked line still lacks (open − reserved).

    By company policy (unless ``all_or_nothing`` says otherwise): all or nothing raises
    ``inventory.insufficient_stock`` with the shortfall per line; allow backorder reserves
    what is there and leaves the rest backordered. Returns what each line got."""
    tracked = _tracked_product_ids(order.company_id, lines)
    goods = [line for line in lines if line.kind == LineKind.PRODUCT and line.quantity > 0]
    # the caller saves the order (docs/decisions.md, "Services-only orders")
    order.services_only = bool(goods) and not any(line.product_id in tracked for line in goods)
    components = kits.components_of(order.company_id, lines)
    demands = []
    for line in lines:
        if line.kind != LineKind.PRODUCT or line.product_id not in tracked:
            continue
        if line.pk not in components:
            demands.append(
                inventory.Demand(
                    order_line_id=line.pk,
                    order_id=order.pk,
                    product_id=line.product_id,
                    quantity=line.open_quantity - line.qty_reserved,
                    reference=order.number,
                    already_reserved=line.qty_reserved,
                )
            )
            continue
        # a kit: each component reserves its share of what the kit still lacks
        for part in components[line.pk]:
            held = kits.scaled(line.qty_reserved, part.quantity)
            demands.append(
                inventory.Demand(
                    order_line_id=part.pk,
                    order_id=order.pk,
                    product_id=part.product_id,
                    quantity=kits.scaled(line.open_quantity, part.quantity) - held,
                    reference=order.number,
                    already_reserved=held,
                )
            )
    if all_or_nothing is None:
        all_or_nothing = order.company.stock_policy == StockPolicy.ALL_OR_NOTHING
    got = kits.reserve(
        components,
        company=order.company,
        demands=demands,
        warehouse_ids=inventory.warehouses_in_order(order.company, order.warehouse_id),
        all_or_nothing=all_or_nothing,
    )
    if components:
        got = _whole_kits(order, lines, components, got)
    changed = []
    for line in lines:
        if got.get(line.pk):
            line.qty_reserved += got[line.pk]
            changed.append(line)
    if changed:
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(changed, ["qty_reserved"])
    return got


def _whole_kits(order: SalesOrder, lines, components: dict, got: dict) -> dict:
    """A kit line holds whole kits: what its components got is counted in kits (all of
    what was open, else the whole kits they make, never less than held before) and what a
    component got beyond them is given back at once (one release for all kit lines).
    Returns ``got`` in kit units per line (plain lines as inventory gave them)."""
    result = {k: q for k, q in got.items() if k not in _part_ids(components)}
    surplus = {}
    for line in lines:
        parts = components.get(line.pk)
        if not parts:
            continue
        total = {
            part.pk: kits.scaled(line.qty_reserved, part.quantity) + got.get(part.pk, ZERO)
            for part in parts
        }
        full = all(
            total[part.pk] >= kits.scaled(line.open_quantity, part.quantity) for part in parts
        )
        if full:
            reserved = line.open_quantity
        else:
            made = kits.kits_from(total, {part.pk: part.quantity for part in parts})
            reserved = min(max(made, line.qty_reserved), line.open_quantity)
        for part in parts:
            extra = total[part.pk] - kits.scaled(reserved, part.quantity)
            if extra > 0:
                surplus[part.pk] = extra
        if reserved != line.qty_reserved:
            result[line.pk] = reserved - line.qty_reserved
    if surplus:
        inventory.release(company=order.company, amounts=surplus, notify=False)
    return result


def _part_ids(components: dict) -> set:
    return {part.pk for parts in components.values() for part in parts}


def _release(order: SalesOrder, lines: list[SalesOrderLine], amounts: dict) -> dict:
    """Give back reserved stock: ``amounts[line_id]`` or ``None`` for all; counters follow
    in memory (the caller saves the lines). A kit line gives back its components' share."""
    amounts = {line_id: q for line_id, q in amounts.items() if q is None or q > 0}
    if not amounts:
        return {}
    released = kits.release(order, {line.pk: line for line in lines}, amounts)
    for line in lines:
        line.qty_reserved -= released.get(line.pk, ZERO)
    return released


def _release_all(order: SalesOrder) -> None:
    lines = [line for line in _lines_of(order) if line.qty_reserved > 0]
    if _release(order, lines, {line.pk: None for line in lines}):
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(lines, ["qty_reserved"])


@transaction.atomic
def order_fill_backorders(*, order: SalesOrder, actor=None) -> dict:
    """Reserve newly available stock for a confirmed order's backordered lines.

    Run by the system when stock arrives (oldest orders first, see ``backorders_fill``);
    does nothing for orders that are not confirmed. Returns what each line got."""
    locked = locks.lock_order(order)
    if locked.status not in workflow.SHIPPABLE:
        return {}
    got = _reserve_open(locked, _lines_of(locked), all_or_nothing=False)
    if got:
        filled = {str(line_id): str(q) for line_id, q in got.items()}
        audit.record(
            actor=actor, entity=locked, action="backorder_fill", changes={"reserved": filled}
        )
        events.emit(
            type=OrderEvent.BACKORDER_FILLED,
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "lines": filled},
        )
    return got


def backorders_fill(*, company_id, product_ids: list) -> int:
    """Fill waiting backorders of these products, oldest confirmation first, one order per
    transaction (so a busy order never blocks the queue). Returns orders that got stock."""
    waiting = (
        SalesOrderLine.objects.for_company(company_id)
        .filter(
            Q(product_id__in=product_ids) | Q(is_kit=True, components__product_id__in=product_ids),
            kind=LineKind.PRODUCT,
            order__status__in=workflow.SHIPPABLE,
            qty_reserved__lt=F("quantity")
            - F("qty_shipped")
            - F("qty_closed")
            + F("qty_replaced")
            + F("qty_over_delivered"),
        )
        .order_by("order__confirmed_at", "order_id")
        .values_list("order_id", flat=True)
    )
    filled = 0
    for order_id in dict.fromkeys(waiting):
        free = inventory_selectors.availability(company_id, product_ids)
        if not any(a.available > 0 for a in free.values()):
            break
        order = SalesOrder(pk=order_id, company_id=company_id)
        if order_fill_backorders(order=order):
            filled += 1
    return filled
