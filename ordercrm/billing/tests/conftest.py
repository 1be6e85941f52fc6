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


@pytest.fixture
def usd_invoice(company, admin, rep, customer, make_product):
    """``usd_invoice(rate="7.10", quantity=1, currency="USD")``: an issued invoice of an order
    in ``currency`` confirmed at ``rate`` (the company's rate of the day, set first), of
    ``quantity`` × 100.00 + 13 % tax of a service (not stock-tracked): at the defaults
    113.00 USD, worth CN¥802.30. The one foreign-currency invoice of the exchange tests
    (billing, web pages and API import it from here)."""
    from ordercrm.billing import services as billing
    from ordercrm.catalog.services import exchange_rate_set
    from ordercrm.core.dates import company_today

    service = make_product(company, sku="FX-SVC", list_price="100.00", is_stock_tracked=False)

    def make(rate="7.10", quantity=1, currency="USD", **header):
        exchange_rate_set(
            company=company, actor=admin, currency=currency, date=company_today(company), rate=rate
        )
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            currency=currency,
            invoicing_policy="manual",
            lines=[{"product": service, "quantity": quantity, "unit_price": "100.00"}],
            **header,
        )
        order = sales.order_submit(order=order, actor=rep)
        return billing.invoice_create(order=order, actor=admin, issue=True)

    return make
