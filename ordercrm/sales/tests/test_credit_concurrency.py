"""Invariant 8 on PostgreSQL: the credit check is atomic with the confirmation."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import CreditPolicy
from ordercrm.customers import services as customer_services
from ordercrm.sales import services
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_orders_racing_for_one_credit_line_confirm_only_what_fits(
    company, admin, rep, customer, products
):
    company.credit_policy = CreditPolicy.BLOCK
    company.save()
    customer_services.customer_update(customer=customer, actor=admin, credit_limit=Decimal("350"))
    orders = [
        services.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 10}],  # 113.00 each
        )
        for _ in range(8)
    ]
    outcomes: list[str] = []
    start = threading.Barrier(len(orders))

    def confirm(order):
        try:
            start.wait()
            services.order_submit(order=order, actor=rep)
            outcomes.append("confirmed")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("confirmed") == 3  # 3 × 113 = 339 ≤ 350 < 452
    assert outcomes.count("sales.credit_limit_exceeded") == 5
    confirmed = SalesOrder.objects.for_company(company).filter(status=Status.CONFIRMED)
    assert confirmed.count() == 3
