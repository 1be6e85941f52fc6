"""The counters of a sales order's lines and its amounts, written only here.

Fulfilment (ship, return) and billing (invoice, cancel an invoice, credit, the amounts
invoiced and paid) decide *how much*; these primitives write it on the sales rows, so sales
owns every write of its own tables (``tests/test_sales_rows_owned.py`` fails the build when
another app writes them). Each takes the order locked through ``sales.locks`` and a mapping
``{line_id: quantity}``; ``lines`` are the caller's loaded line objects when it has them
(they are updated in place, so what it reads afterwards is current; without them the lines
are loaded). One bulk statement per call, whatever the number of lines. The bounds between
counters (shipped ≤ ordered − closed, invoiced ≤ invoiceable, credited ≤ invoiced,
returned ≤ shipped) are checked by the callers with their own error codes and backed by the
CHECK constraints of ``sales.models``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.progress_sql import progress_columns


def order_progress_store(order: SalesOrder) -> None:
    """Store the order's three progress axes from its lines, as ``sales.progress_sql``
    computes them, in one statement. Called by every write that moves what the rule reads:
    the line counters and amounts here, the lines themselves (draft edits, amendments, a
    reopen or close) and every status change (``services_only`` is set at confirmation)."""
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        **progress_columns()
    )


def _lines(order: SalesOrder, quantities: Mapping, lines: Iterable[SalesOrderLine] | None):
    if lines is None:
        lines = SalesOrderLine.objects.for_company(order.company_id).filter(
            order=order, pk__in=list(quantities)
        )
    by_id = {line.pk: line for line in lines}
    return [by_id[line_id] for line_id in quantities]


def _add(order: SalesOrder, quantities: Mapping, lines, field: str, sign: int = 1) -> list:
    changed = _lines(order, quantities, lines)
    for line in changed:
        setattr(line, field, getattr(line, field) + sign * quantities[line.pk])
    if changed:
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(changed, [field])
    return changed


def order_lines_ship(
    order: SalesOrder,
    quantities: Mapping,
    *,
    from_reservation: Iterable = (),
    reserved_at_dispatch: Mapping | None = None,
    over_delivered: Mapping | None = None,
    lines: Iterable[SalesOrderLine] | None = None,
) -> None:
    """Goods left: ``qty_shipped`` rises by each quantity; lines in ``from_reservation``
    (stock-tracked: their reservations were consumed) lose as much ``qty_reserved``, after
    gaining ``reserved_at_dispatch`` (free stock the dispatch reserved for what it ships
    beyond the reservation). ``over_delivered`` sets the lines' ``qty_over_delivered`` (what
    they shipped beyond the order within the over-delivery tolerance, in total), in the same
    statement, so the bounds hold throughout. The order's version moves on (a form loaded
    before the dispatch is stale)."""
    tracked = set(from_reservation)
    reserved_now = reserved_at_dispatch or {}
    over = over_delivered or {}
    changed = _lines(order, quantities, lines)
    for line in changed:
        line.qty_shipped += quantities[line.pk]
        if line.pk in tracked:
            line.qty_reserved += reserved_now.get(line.pk, 0) - quantities[line.pk]
        if line.pk in over:
            line.qty_over_delivered = over[line.pk]
    SalesOrderLine.objects.for_company(order.company_id).bulk_update(
        changed, ["qty_shipped", "qty_reserved", "qty_over_delivered"]
    )
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        version=order.version + 1, updated_at=timezone.now(), **progress_columns()
    )


def order_lines_close(
    order: SalesOrder,
    quantities: Mapping,
    *,
    released: Mapping | None = None,
    declined: bool = False,
    lines: Iterable[SalesOrderLine] | None = None,
) -> None:
    """What is open on these lines will not ship: ``qty_closed`` rises by each quantity (an
    under-delivery within tolerance, a declined backorder) and ``qty_reserved`` falls by what
    inventory ``released`` for it; ``declined`` flags the order (``backorder_declined``). The
    caller checks closed ≤ open; the order's version moves on."""
    freed = released or {}
    changed = _lines(order, quantities, lines)
    for line in changed:
        line.qty_closed += quantities[line.pk]
        line.qty_reserved -= freed.get(line.pk, 0)
    if changed:
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(
            changed, ["qty_closed", "qty_reserved"]
        )
    flag = {"backorder_declined": True} if declined else {}
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **flag, **progress_columns()
    )
    order.version += 1
    if declined:
        order.backorder_declined = True


def order_lines_return(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """Goods came back: ``qty_returned`` rises by each quantity."""
    _add(order, quantities, lines, "qty_returned")


def order_lines_replace(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """Returned units are owed again (a replacement, or the repaired item going back):
    ``qty_replaced`` rises, so they are open to ship and reserve again, and not billed again.
    The caller (returns) checks replaced ≤ returned; the order's version moves on."""
    _add(order, quantities, lines, "qty_replaced")
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        version=order.version + 1, updated_at=timezone.now(), **progress_columns()
    )


def order_lines_refund(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """Returned units that were never invoiced are paid back from an advance (returns):
    ``qty_refunded`` rises, so they are settled and never billed. The caller checks
    refunded ≤ returned − replaced and the uninvoiced room; the order's version moves on."""
    _add(order, quantities, lines, "qty_refunded")
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        version=order.version + 1, updated_at=timezone.now(), **progress_columns()
    )


def order_lines_invoice(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """An invoice bills these quantities: ``qty_invoiced`` rises."""
    _add(order, quantities, lines, "qty_invoiced")
    order_progress_store(order)


def order_lines_uninvoice(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """A cancelled invoice no longer bills these quantities: ``qty_invoiced`` falls."""
    _add(order, quantities, lines, "qty_invoiced", sign=-1)
    order_progress_store(order)


def order_lines_credit(
    order: SalesOrder, quantities: Mapping, *, lines: Iterable[SalesOrderLine] | None = None
) -> None:
    """A credit note takes these quantities back: ``qty_credited`` rises."""
    _add(order, quantities, lines, "qty_credited")


def order_amounts_set(order: SalesOrder, *, invoiced: Decimal, paid: Decimal) -> None:
    """The order's ``amount_invoiced`` (issued invoices − credit notes) and ``amount_paid``
    (allocations + unallocated advances), as billing computed them, in the order currency."""
    SalesOrder.objects.for_company(order.company_id).filter(pk=order.pk).update(
        amount_invoiced=invoiced, amount_paid=paid
    )
    # a second statement: in the first, the payment axis would read the amounts it replaces
    order_progress_store(order)
    order.amount_invoiced, order.amount_paid = invoiced, paid
