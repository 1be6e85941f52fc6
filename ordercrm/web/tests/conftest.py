"""Fixtures shared by the web page tests: the company's staff and stocked products."""

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse


@pytest.fixture
def staff(make_user, company, team):
    return {
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr", team=team),
        "finance": make_user(Role.FINANCE, company, username="fin"),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh"),
        "viewer": make_user(Role.VIEWER, company, username="view"),
    }


@pytest.fixture
def stocked(company, staff, products):
    inventory.stock_receive(
        company=company,
        actor=staff["warehouse"],
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    return products


# the one foreign-currency invoice of the exchange tests, shared with billing's
from ordercrm.billing.tests.conftest import usd_invoice  # noqa: E402, F401
