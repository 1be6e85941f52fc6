import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def stocked(company, keeper, products):
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": 1000} for p in products],
    )
    return products


@pytest.fixture
def confirmed_order(company, rep, customer, stocked):
    """``confirmed_order(policy, [quantities…])`` — one line per quantity on P0, P1, …"""

    def make(policy="manual", quantities=(10, 4), **header):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy=policy,
            lines=[{"product": stocked[i], "quantity": q} for i, q in enumerate(quantities)],
            **header,
        )
        return sales.order_submit(order=order, actor=rep)

    return make
