"""Fast entry: duplicate and reorder, pasted lines, lines added to a draft (order templates
are in ``templates``)."""

from __future__ import annotations

import functools
import operator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.core import audit, events
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.validation import InvalidValue, bounded_decimal, parse_pasted_rows
from ordercrm.sales import counters, kits
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.services._steps import _lock_draft, _visible_orders
from ordercrm.sales.services.drafts import order_create
from ordercrm.sales.services.lines import (
    LINE_SNAPSHOT_FIELDS,
    _apply_totals,
    _build_lines,
    _line_input,
    _lines_of,
)
from ordercrm.sales.workflow import OrderEvent


@transaction.atomic
def order_duplicate(*, order: SalesOrder, actor, reprice: bool = False) -> SalesOrder:
    """A new draft with the same customer and lines. Never copies the number, status,
    approval, exchange rate or counters; ``reprice`` (reorder) takes today's prices for every
    line, otherwise manual price overrides are kept."""
    access = access_for(actor, order.company)
    source = _visible_orders(access).filter(pk=order.pk).first()
    if source is None:
        raise NotFound()
    raw = [_line_input(line) for line in _lines_of(source)]
    if reprice:
        for line in raw:
            line["unit_price"] = None
    header = {
        f: getattr(source, f)
        for f in (
            "contact",
            "currency",
            "payment_terms",
            "invoicing_policy",
            "discount_percent",
            "notes",
            "billing_address",
            "shipping_address",
        )
    }
    duplicate = order_create(
        company=source.company, actor=actor, customer=source.customer_id, lines=raw, **header
    )
    SalesOrder.objects.for_company(source.company_id).filter(pk=duplicate.pk).update(
        source_order=source
    )
    duplicate.source_order = source
    return duplicate


def order_reorder(*, order: SalesOrder, actor) -> SalesOrder:
    """Order the same again at today's prices."""
    return order_duplicate(order=order, actor=actor, reprice=True)


def _read_pasted_line(row: dict[str, Any]) -> dict[str, Any]:
    """A pasted row's numbers for an order line: quantity > 0, an optional unit price."""
    quantity = bounded_decimal(row["quantity"], SalesOrderLine, "quantity")
    price = (
        bounded_decimal(row["unit_price"], SalesOrderLine, "unit_price")
        if row["unit_price"]
        else None
    )
    if quantity <= 0:
        raise InvalidValue(_("Quantity must be greater than zero."))
    return {**row, "quantity": quantity, "unit_price": price}


def parse_pasted_lines(text: str) -> list[dict[str, Any]]:
    """``sku,quantity[,unit_price]`` per row, as every paste box reads it
    (``core.validation.parse_pasted_rows``), the numbers read for an order line. Raises
    ``core.validation_failed`` with one message per bad row; returns nothing partial."""
    return parse_pasted_rows(text, read=_read_pasted_line)


@transaction.atomic
def order_add_lines(*, order: SalesOrder, actor, version: int, lines: list[dict]) -> SalesOrder:
    """Append lines to a draft (e.g. pasted or from a template). Any bad line adds nothing."""
    locked = _lock_draft(order, actor, version)
    current = _lines_of(locked)
    try:
        added = _build_lines(
            locked, lines, start=max((line.position for line in current), default=0) + 1
        )
    except ValidationFailed as exc:
        row_errors = exc.details.get("lines", {})
        if all("row" in lines[int(i)] for i in row_errors if i.isdigit()):
            exc.details["rows"] = {
                str(lines[int(i)]["row"]): functools.reduce(operator.iadd, fields.values(), [])
                for i, fields in row_errors.items()
                if i.isdigit()
            }
        raise
    all_lines = current + added
    _apply_totals(locked, all_lines)
    locked.version += 1
    locked.save()
    SalesOrderLine.objects.for_company(locked.company_id).bulk_update(
        current, ["net", "tax", "gross"]
    )
    SalesOrderLine.objects.bulk_create(added)
    kits.snapshot(locked.company_id, added)
    counters.order_progress_store(locked)
    audit.record(
        actor=actor,
        entity=locked,
        action="add_lines",
        changes={
            "lines": {"added": [audit.snapshot(line, LINE_SNAPSHOT_FIELDS) for line in added]}
        },
    )
    events.emit(
        type=OrderEvent.UPDATED, entity=locked, actor=actor, payload={"version": locked.version}
    )
    return locked


def order_paste_lines(*, order: SalesOrder, actor, version: int, text: str) -> SalesOrder:
    """Add pasted ``sku,quantity[,unit_price]`` rows; an error per bad row, nothing added if any."""
    return order_add_lines(
        order=order, actor=actor, version=version, lines=parse_pasted_lines(text)
    )
