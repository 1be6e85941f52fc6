from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.models import Company
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import selectors as inventory_selectors
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
def support(make_user, company):
    return make_user(Role.SUPPORT, company, username="agent")


@pytest.fixture
def main_warehouse(company):
    return Warehouse.objects.for_company(company).get(code="main")


@pytest.fixture
def quarantine(company, admin):
    return inventory.warehouse_create(
        company=company, actor=admin, code="qa", name="Quarantine", is_saleable=False
    )


@pytest.fixture
def stocked(company, keeper, products, main_warehouse):
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    return products


@pytest.fixture
def shipped_order(company, rep, customer, stocked, keeper):
    """``shipped_order(policy, quantities)``: confirmed, everything shipped (on_shipment
    invoices at dispatch; on_order at confirmation)."""

    def make(policy="on_shipment", quantities=(10, 4)):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy=policy,
            lines=[
                {"product": stocked[i], "quantity": Decimal(q)} for i, q in enumerate(quantities)
            ],
        )
        order = sales.order_submit(order=order, actor=rep)
        fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
        return order

    return make


@pytest.fixture(autouse=True)
def _ledger_holds(db):
    yield
    for company in Company.objects.all():
        assert inventory_selectors.ledger_discrepancies(company) == []
