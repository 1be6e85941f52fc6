"""Saving and confirming an order costs the same number of queries for 10 and 500 lines."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ordercrm.sales import services


def queries(function):
    with CaptureQueriesContext(connection) as captured:
        result = function()
    return len(captured), result


def test_create_update_submit_do_not_grow_with_lines(company, rep, customer, make_product):
    products = [
        make_product(company, sku=f"Q{i:03d}", list_price=Decimal("3.25")) for i in range(50)
    ]

    def lines(n):
        return [
            {"product": products[i % 50], "quantity": Decimal(i % 7 + 1), "discount_percent": "5"}
            for i in range(n)
        ]

    # the first order of the year also creates its number sequence row; measure after it
    services.order_create(company=company, actor=rep, customer=customer, lines=lines(1))
    counts = {}
    for n in (10, 500):
        create, order = queries(
            lambda n=n: services.order_create(
                company=company, actor=rep, customer=customer, lines=lines(n)
            )
        )
        update, order = queries(
            lambda n=n, order=order: services.order_update(
                order=order, actor=rep, version=order.version, lines=lines(n), notes="x"
            )
        )
        submit, order = queries(lambda order=order: services.order_submit(order=order, actor=rep))
        assert order.line_count == n
        counts[n] = (create, update, submit)
    assert counts[10] == counts[500], counts
