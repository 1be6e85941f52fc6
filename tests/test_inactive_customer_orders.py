"""An inactive customer gets no new order, whichever way it is made."""

import pytest

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.customers import services as customers
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder


def test_inactive_customer_gets_no_new_order(company, rep, manager, customer, products, make_order):
    earlier = make_order()
    customers.customer_deactivate(customer=customer, actor=rep, reason="Closed down")
    before = SalesOrder.objects.for_company(company).count()
    attempts = [
        lambda: sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 1}],
        ),
        lambda: sales.order_reorder(order=earlier, actor=rep),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as raised:
            attempt()
        assert raised.value.code == "customers.inactive"
    assert SalesOrder.objects.for_company(company).count() == before


def test_merged_customer_names_the_survivor(
    company, rep, manager, customer, make_customer, products
):
    duplicate = make_customer(company, actor=rep, name="Mingda again")
    customers.customer_merge(duplicate=duplicate, survivor=customer, actor=manager)
    with pytest.raises(ValidationFailed) as raised:
        sales.order_create(
            company=company,
            actor=rep,
            customer=duplicate,
            lines=[{"product": products[0], "quantity": 1}],
        )
    assert raised.value.details == {"merged_into": str(customer.pk)}
    assert customer.code in raised.value.text
