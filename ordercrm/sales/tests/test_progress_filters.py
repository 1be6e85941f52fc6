"""The progress the services store on each order (``sales.progress_sql``), which the list
filters and the list summaries read, agrees with ``order_progress`` (Python) on every order,
over many random combinations of line counters."""

import random
from decimal import Decimal

import pytest
from django.db.models import F

from ordercrm.accounts.access import access_for
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.sales import counters
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine
from ordercrm.sales.selectors import PROGRESS_VALUES, order_list, order_progress, order_summaries


def _scramble(order, rng: random.Random) -> None:
    """Random counters on each line, including none, partial, exact and over."""
    for line in SalesOrderLine.all_objects.filter(order=order):
        quantity = line.quantity
        closed = rng.choice([Decimal(0), Decimal(0), quantity, quantity / 2])
        due = quantity - closed
        shipped = rng.choice([Decimal(0), due / 2, due])
        invoiced = rng.choice([Decimal(0), shipped, quantity])
        credited = rng.choice([Decimal(0), Decimal(0), invoiced])
        SalesOrderLine.all_objects.filter(pk=line.pk).update(
            qty_reserved=0,
            qty_closed=closed,
            qty_shipped=shipped,
            qty_invoiced=invoiced,
            qty_credited=credited,
            kind=rng.choice([LineKind.PRODUCT] * 4 + [LineKind.NOTE]),
        )
    gross = order.gross_total
    paid = rng.choice([Decimal(0), gross / 3, gross, gross + 1])
    SalesOrder.all_objects.filter(pk=order.pk).update(amount_paid=paid.quantize(Decimal("0.01")))
    counters.order_progress_store(order)  # the counters were written by hand


def test_progress_filters_match_the_python_rule(company, rep, make_order):
    rng = random.Random(20261127)
    for index in range(40):
        _scramble(make_order(n_lines=1 + index % 3), rng)
    access = access_for(rep, company)
    expected = {}
    for order in SalesOrder.all_objects.filter(company=company):
        lines = list(SalesOrderLine.all_objects.filter(order=order))
        expected[order.pk] = order_progress(order, lines, paid=order.amount_paid)
    seen_values = set()
    for axis, attribute in (
        ("fulfilment", "fulfilment"),
        ("invoicing", "invoicing"),
        ("payment", "payment"),
    ):
        for value in PROGRESS_VALUES[axis]:
            found = set(order_list(access, **{axis: value}).values_list("pk", flat=True))
            wanted = {pk for pk, p in expected.items() if getattr(p, attribute) == value}
            assert found == wanted, (axis, value)
            if wanted:
                seen_values.add(value)
    # the random data reaches every value of every axis, so the comparison means something
    assert seen_values == {v for values in PROGRESS_VALUES.values() for v in values}
    # the list summaries count the same rule in SQL, without loading a line
    summaries = order_summaries(list(order_list(access)))
    assert {x.order.pk: x.progress for x in summaries} == expected
    assert {x.order.pk: x.line_count for x in summaries} == {
        pk: SalesOrderLine.all_objects.filter(order_id=pk).count() for pk in expected
    }


def test_filters_combine(company, rep, make_order):
    first, second = make_order(), make_order()
    SalesOrderLine.all_objects.filter(order=first).update(qty_shipped=F("quantity"))
    counters.order_progress_store(first)
    access = access_for(rep, company)
    shipped = order_list(access, fulfilment="shipped", payment="unpaid")
    assert list(shipped) == [first]
    assert list(order_list(access, fulfilment="not_shipped", search=second.number)) == [second]


def test_an_unknown_progress_value_is_a_validation_error(company, rep):
    with pytest.raises(ValidationFailed) as caught:
        list(order_list(access_for(rep, company), payment="free"))
    assert "paid" in caught.value.text
