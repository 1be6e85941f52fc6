"""A form's one-time token makes one order however often the form is saved."""

import threading
import uuid

import pytest
from django.db import connection

from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder


def test_the_same_token_returns_the_first_order_and_makes_nothing(company, rep, customer, products):
    token = uuid.uuid4()
    lines = [{"product": products[0], "quantity": 2}]
    first = sales.order_create(
        company=company, actor=rep, customer=customer, lines=lines, entry_token=token
    )
    again = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[], entry_token=token
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.pk == first.pk
    assert again.number == first.number
    assert SalesOrder.objects.for_company(company).count() == 1
    other = sales.order_create(
        company=company, actor=rep, customer=customer, lines=lines, entry_token=uuid.uuid4()
    )
    assert other.number != first.number  # a new form is a new order, the next number


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twin_posts_racing_make_one_order_and_lose_no_number(company, rep, customer, products):
    token, results, barrier = uuid.uuid4(), [], threading.Barrier(4)

    def save():
        try:
            barrier.wait()
            order = sales.order_create(
                company=company,
                actor=rep,
                customer=customer,
                lines=[{"product": products[0], "quantity": 1}],
                entry_token=token,
            )
            results.append(order.number)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len(set(results)) == 1
    assert SalesOrder.objects.for_company(company).count() == 1
    later = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[], entry_token=uuid.uuid4()
    )
    assert int(later.number[-6:]) == int(results[0][-6:]) + 1  # the losers' numbers came back
