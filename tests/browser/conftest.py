"""What every browser walk shares: the Chromium it drives, the marks each walk module takes
(``pytestmark = WALK``), and the worlds the walks start from."""

import os
import shutil
from types import SimpleNamespace

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine

CHROMIUM = os.environ.get("ORDERCRM_CHROMIUM", "/usr/bin/chromium")

# Every walk module's marks: a browser test, on a live server (so in committed
# transactions), skipped where Debian's Chromium is not installed (.ci/run installs it).
WALK = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium, one per test. Playwright runs an event loop in this thread; the
    live server's ORM calls are in another thread, but Django checks the environment flag
    globally, so it is allowed for the test only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shipped_world(company, make_user, make_customer, products, team):
    """The after-sales walks' start: a rep, a support agent and a manager of one team, a
    warehouse keeper and finance; 20 each of P0 and P1 in ``main``; and an order of 5 × P0
    and 3 × P1 (list prices 10.00 and 11.00, 13 % tax) shipped and invoiced on shipment,
    93.79 gross."""
    people = {
        "rep": make_user(Role.SALES_REP, company, username="rep-a", team=team),
        "support": make_user(Role.SUPPORT, company, username="agent-a", team=team),
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr-a", team=team),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh-a"),
        "finance": make_user(Role.FINANCE, company, username="fin-a"),
    }
    main = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=people["warehouse"],
        warehouse=main,
        lines=[{"product": p, "quantity": 20} for p in products[:2]],
    )
    customer = make_customer(company, actor=people["rep"], name="Shanghai Mingda")
    order = sales.order_create(
        company=company,
        actor=people["rep"],
        customer=customer,
        invoicing_policy="on_shipment",
        lines=[{"product": products[0], "quantity": 5}, {"product": products[1], "quantity": 3}],
    )
    order = sales.order_submit(order=order, actor=people["rep"])
    fulfilment.shipment_create(order=order, actor=people["warehouse"], dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.INVOICE)
    return SimpleNamespace(
        people=people, warehouse=main, customer=customer, order=order, invoice=invoice
    )


def speak(people, language):
    """Every one of ``people`` reads the pages in ``language``."""
    for user in people.values():
        user.language = language
        user.save(update_fields=["language"])


def lines_of(order):
    """The order's lines, fresh from the database, in their order."""
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


@pytest.fixture
def people(company, make_user, products, team):
    """The order-to-cash walks' crew: a sales manager and a warehouse keeper; 50 each of P0
    and P1 in ``main``."""
    crew = {
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr-f", team=team),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh-f"),
    }
    from tests.factories import receive_stock

    receive_stock(company, crew["warehouse"], (products[0], 50), (products[1], 50))
    return crew


@pytest.fixture
def customer_f(company, people, make_customer):
    """The customer the order-to-cash walks sell to."""
    return make_customer(company, actor=people["manager"], name="Ningbo Harbour Supplies")
