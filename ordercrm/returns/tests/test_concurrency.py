"""Two RMAs racing for the same units on PostgreSQL: real threads, real row locks."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ordercrm.accounts.access import access_for
from ordercrm.core.exceptions import DomainError
from ordercrm.returns import services
from ordercrm.returns.models import ReturnAuthorizationLine
from ordercrm.sales.models import SalesOrderLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_rmas_racing_for_the_same_units_hold_no_more_than_shipped(
    company, support, shipped_order
):
    order = shipped_order(quantities=(5,))
    (only,) = SalesOrderLine.objects.for_company(company).filter(order=order)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def claim():
        try:
            start.wait()
            services.rma_create(
                access_for(support, company),
                order,
                [{"order_line_id": str(only.pk), "quantity": "3", "decision": "replace"}],
            )
            outcomes.append("created")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["returns.over_returnable"] * 3
    held = sum(
        ReturnAuthorizationLine.objects.for_company(company).values_list("quantity", flat=True),
        Decimal(0),
    )
    assert held == 3
