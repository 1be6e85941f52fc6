import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.models import Company
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def main_warehouse(company):
    return Warehouse.objects.for_company(company).get(code="main")


@pytest.fixture
def stock(company, keeper, main_warehouse):
    """``stock(product, quantity[, warehouse])`` receives goods."""

    def receive(product, quantity, warehouse=None):
        return inventory.stock_receive(
            company=company,
            actor=keeper,
            warehouse=warehouse or main_warehouse,
            lines=[{"product": product, "quantity": quantity}],
        )

    return receive


@pytest.fixture(autouse=True)
def _ledger_holds(db):
    """After every test: on_hand = Σ moves and reserved = Σ reservations, in every company."""
    yield
    for company in Company.objects.all():
        assert inventory_selectors.ledger_discrepancies(company) == []
