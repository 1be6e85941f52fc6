import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import selectors
from ordercrm.inventory.models import Warehouse


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def main_warehouse(company):
    return Warehouse.objects.for_company(company).get(code="main")


@pytest.fixture(autouse=True)
def _ledger_holds(request, db):
    """After every inventory test: on_hand = Σ moves and reserved = Σ reservations."""
    yield
    from ordercrm.core.models import Company

    for company in Company.objects.all():
        assert selectors.ledger_discrepancies(company) == []
