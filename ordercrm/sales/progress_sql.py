"""The progress rule of ``sales.progress`` as SQL expressions over an order's lines, so the
three axes can be stored on the order in one statement (``counters.order_progress_store``)
and the lists filter on indexed columns instead of probing every order's lines.

A line counts when it is goods with something left to deliver (``quantity - qty_closed >
0``); an axis is done when every such line is done (and there is one), started when any
line is. Shipped is net of replacements (a replacement sent for a returned unit is open to
ship again); invoiced includes the units paid back from an advance (settled without an
invoice). Payment compares ``amount_paid`` with what the customer owes: the amount invoiced
(net of credit notes) once everything is invoiced, the order total before. A services-only
order has nothing to ship: its fulfilment is done.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)

from ordercrm.sales.progress import PROGRESS_VALUES

GOODS = {"kind": "product", "quantity__gt": F("qty_closed")}
PROGRESSED = {
    "fulfilment": F("qty_shipped") - F("qty_replaced"),
    # credited quantities count as invoiced: they are settled, never billed again
    # and so do returned units paid back from an advance (qty_refunded)
    "invoicing": F("qty_invoiced") + F("qty_refunded"),
}


def _goods(line_model, axis: str):
    """The order's goods lines (``OuterRef("pk")``) with what they progressed by on ``axis``."""
    return (
        line_model._base_manager.filter(order=OuterRef("pk"), **GOODS)
        .annotate(progressed=PROGRESSED[axis])
        .order_by()
    )


def _done(goods):
    return Exists(goods) & ~Exists(goods.filter(progressed__lt=F("quantity") - F("qty_closed")))


def _axis(line_model, axis: str, *, services_only_done: bool) -> Case:
    goods = _goods(line_model, axis)
    not_yet, partly, done = PROGRESS_VALUES[axis]
    whens = [When(Q(services_only=True), then=Value(done))] if services_only_done else []
    whens += [
        When(_done(goods), then=Value(done)),
        When(Exists(goods.filter(progressed__gt=0)), then=Value(partly)),
    ]
    return Case(*whens, default=Value(not_yet), output_field=CharField())


def progress_columns(line_model=None) -> dict:
    """``{column: expression}`` for ``fulfilment_progress``, ``invoicing_progress`` and
    ``payment_progress``, for ``SalesOrder.objects.filter(...).update(**…)``. ``line_model``
    is the migration's historical model when a migration backfills the columns."""
    if line_model is None:
        from ordercrm.sales.models import SalesOrderLine as line_model
    owed = Case(
        When(_done(_goods(line_model, "invoicing")), then=F("amount_invoiced")),
        default=F("gross_total"),
        output_field=DecimalField(max_digits=24, decimal_places=8),
    )
    payment = Case(
        When(Q(amount_paid__lte=0), then=Value("unpaid")),
        When(Q(amount_paid__lt=owed), then=Value("partially_paid")),
        When(Q(amount_paid=owed), then=Value("paid")),
        default=Value("overpaid"),
        output_field=CharField(),
    )
    return {
        "fulfilment_progress": _axis(line_model, "fulfilment", services_only_done=True),
        "invoicing_progress": _axis(line_model, "invoicing", services_only_done=False),
        "payment_progress": payment,
    }
