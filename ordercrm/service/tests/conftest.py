from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales


@pytest.fixture
def agent(make_user, company, team):
    """A support agent in the team the manager leads."""
    user = make_user(Role.SUPPORT, company, username="agent", team=team, email="agent@example.com")
    return user


@pytest.fixture
def team_manager(manager, team):
    team.manager = manager
    team.save()
    manager.email = "manager@example.com"
    manager.save()
    return manager


@pytest.fixture
def shipped_order(company, rep, make_order, products, make_user):
    """A confirmed order with both lines dispatched."""
    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": Decimal("50")} for p in products],
    )
    order = sales.order_submit(order=make_order(), actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    order.refresh_from_db()
    return order
