"""Kits on orders: a kit line's components stand in for it in stock (docs/decisions.md, "Kits").

A kit line is priced, taxed, invoiced and credited as one line in kit units; in inventory
each of its copied components (``OrderLineComponent``) is a line of its own, named by the
component row's id (``Reservation.order_line_id``). The kit's counters stay the truth and
each component follows them: a component holds ``scaled(counter, per kit)`` (reserved,
shipped, returned), and every change moves it by ``change(before, after, per kit)``, the
difference of the two scaled totals, so rounding never drifts however a quantity is split.

Kits ship and come back whole (ERPNext's packed items), so the kit's delivered quantity is
the shipped counter, and Odoo's rule (kits = min over components of ⌊component ÷ per kit⌋)
is what ``kits_from`` computes wherever the components' quantities can differ: free stock
at quoting and what a partial reservation can hold.

One query reads the components of an order's kit lines; none when it has no kit line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from ordercrm.catalog.kits import kits_from
from ordercrm.sales.models import OrderLineComponent, SalesOrderLine

__all__ = [
    "attach",
    "change",
    "components_of",
    "expand",
    "forget",
    "kits_from",
    "release",
    "reserve",
    "scaled",
    "snapshot",
]

_PLACES = Decimal("0.0001")  # QUANTITY_FIELD's decimal places


def scaled(kits: Decimal, per_kit: Decimal) -> Decimal:
    """The component quantity of ``kits`` kits, at the quantity columns' precision."""
    return (kits * per_kit).quantize(_PLACES, rounding=ROUND_HALF_UP)


def change(before: Decimal, after: Decimal, per_kit: Decimal) -> Decimal:
    """How much a component moves when a kit counter goes from ``before`` to ``after``."""
    return scaled(after, per_kit) - scaled(before, per_kit)


def components_of(company_id, lines: Iterable[SalesOrderLine]) -> dict[UUID, list]:
    """``{kit line id: [OrderLineComponent, …]}`` for the kit lines among ``lines`` (one
    query, with the component products; none when no line is a kit)."""
    kit_ids = [line.pk for line in lines if line.is_kit]
    if not kit_ids:
        return {}
    found: dict[UUID, list] = {pk: [] for pk in kit_ids}
    rows = (
        OrderLineComponent.objects.for_company(company_id)
        .filter(line_id__in=kit_ids)
        .select_related("product", "product__unit")
        .order_by("line_id", "position")
    )
    for row in rows:
        found[row.line_id].append(row)
    return found


def attach(company_id, lines: list[SalesOrderLine]) -> list[SalesOrderLine]:
    """Give each line its ``kit_components`` (a list, empty for a line that is no kit), one
    query; pages, the API and the documents read them from there."""
    found = components_of(company_id, lines)
    for line in lines:
        line.kit_components = found.get(line.pk, [])
    return lines


def snapshot(company_id, lines: Iterable[SalesOrderLine]) -> None:
    """Copy the kit's current components onto each new kit line (after the lines were
    inserted): one query for the kits' components, one insert. The line's ``is_kit`` was
    set when it was built from the product."""
    from ordercrm.catalog.selectors import kit_components_of

    kit_lines = [line for line in lines if line.is_kit and line.product_id]
    if not kit_lines:
        return
    by_kit = kit_components_of(company_id, {line.product_id for line in kit_lines})
    OrderLineComponent.objects.bulk_create(
        [
            OrderLineComponent(
                company_id=company_id,
                line=line,
                product_id=component.component_id,
                quantity=component.quantity,
                position=component.position,
            )
            for line in kit_lines
            for component in by_kit.get(line.product_id, [])
        ]
    )


def forget(company_id, lines: Iterable[SalesOrderLine]) -> None:
    """Delete the copied components of these lines before the lines are deleted (one
    statement, none when no line is a kit)."""
    kit_ids = [line.pk for line in lines if line.is_kit]
    if kit_ids:
        OrderLineComponent.objects.for_company(company_id).filter(line_id__in=kit_ids).delete()


def expand(
    lines_by_id: Mapping, components: Mapping, amounts: Mapping, counter: str, sign: int = -1
) -> dict:
    """Inventory amounts for line ``amounts`` (kit units, ``None``: everything), keyed as
    inventory knows them: a plain line by its id, a kit line by each component row's id with
    the component's share of moving ``counter`` by ``sign × amount``."""
    result: dict = {}
    for line_id, amount in amounts.items():
        parts = components.get(line_id)
        if parts is None:
            result[line_id] = amount
            continue
        line = lines_by_id[line_id]
        before = getattr(line, counter)
        for part in parts:
            if amount is None:
                result[part.pk] = None
            else:
                result[part.pk] = abs(change(before, before + sign * amount, part.quantity))
    return result


def release(order, by_id: Mapping, amounts: Mapping) -> dict:
    """``inventory.release`` for order lines: ``amounts[line id]`` in the line's units
    (``None``: all it holds); a kit line gives back its components' share. Returns what was
    released per line id (a kit line in kits). The caller holds the order lock and moves the
    lines' ``qty_reserved`` by it."""
    from ordercrm.inventory import services as inventory

    amounts = {k: q for k, q in amounts.items() if q is None or q > 0}
    if not amounts:
        return {}
    components = components_of(order.company_id, [by_id[k] for k in amounts if k in by_id])
    released = inventory.release(
        company=order.company, amounts=expand(by_id, components, amounts, "qty_reserved")
    )
    for line_id in components:
        line, amount = by_id[line_id], amounts[line_id]
        for part in components[line_id]:
            released.pop(part.pk, None)
        kit_released = line.qty_reserved if amount is None else min(amount, line.qty_reserved)
        if kit_released:
            released[line_id] = kit_released
    return released


def reserve(components: Mapping, **arguments) -> dict:
    """``inventory.reserve`` whose shortfall names the kit line (``order_line_id``) with
    the short component's SKU, so the page and the API point at the order's line."""
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.exceptions import InsufficientStock

    try:
        return inventory.reserve(**arguments)
    except InsufficientStock as error:
        line_of = {str(part.pk): str(k) for k, parts in components.items() for part in parts}
        for row in error.details.get("lines", []):
            if row.get("order_line_id") in line_of:
                row["component_id"] = row["order_line_id"]
                row["order_line_id"] = line_of[row["component_id"]]
        raise
