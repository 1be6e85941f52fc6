"""Fixtures shared by every test: companies, members per role, customers and products.

Data is made through the services, as users would make it, so fixtures obey every rule.
"""

from __future__ import annotations

import itertools
import os
from decimal import Decimal

import pytest
from django.conf import settings

from ordercrm.accounts import services as accounts
from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import Unit
from ordercrm.core.services import company_create
from ordercrm.customers import services as customers
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
_serial = itertools.count(1)


def pytest_configure(config):
    # PBKDF2 at Django's 1,000,000 iterations costs over a second per user on this machine and
    # every fixture makes users; tests check who may log in, not the hash's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if IS_POSTGRES:
        # A commit need not wait for its WAL to reach the disk: the test database is thrown
        # away, and a crash of the shared server is not what any test is about. Locks,
        # isolation and visibility are unchanged; each commit is ~2 ms cheaper on this disk.
        options = settings.DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


# The suites that take most of the machine's time: Chromium, real worker processes under
# faults, and the sweeps that send hostile input to every API operation and page. A whole-suite
# run leaves them out unless ORDERCRM_SLOW_TESTS=1 (`make test SLOW=1`, which CI runs), so a
# change is checked in minutes; naming files, directories or a -m expression runs what it names.
SLOW_MARKERS = ("browser", "fault", "sweep", "slow")
RUN_SLOW = os.environ.get("ORDERCRM_SLOW_TESTS", "") not in ("", "0")


def _whole_suite_run(config) -> bool:
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.markexpr


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip)
        # whatever drives Chromium is a browser test (-m "not browser" leaves them out)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    if RUN_SLOW or not _whole_suite_run(config):
        return
    slow = [i for i in items if any(m in i.keywords for m in SLOW_MARKERS)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if not any(m in i.keywords for m in SLOW_MARKERS)]


def pytest_terminal_summary(terminalreporter, config):
    # said by the process that reports (with xdist the workers collect, so no count here)
    if not RUN_SLOW and _whole_suite_run(config):
        terminalreporter.write_line(
            f"The slow suites ({', '.join(SLOW_MARKERS)}) were left out: "
            "`make test SLOW=1` (ORDERCRM_SLOW_TESTS=1) runs them, as CI does."
        )


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests assert English messages unless they switch language on purpose."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _stored_progress_holds(request):
    """After every test that used the database: each order's stored progress is what its
    lines say (``sales.progress_sql``), so no service path forgets to store it. A test that
    writes counters by hand stores it with ``counters.order_progress_store``."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db"} & names:
        yield
        return
    transactional = "transactional_db" in names or bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    # set the database up before this fixture, so its check runs before the teardown
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from ordercrm.sales.selectors import orders_with_stale_progress

    stale = list(
        orders_with_stale_progress().values(
            "number", "fulfilment_progress", "invoicing_progress", "payment_progress"
        )[:5]
    )
    assert not stale, f"orders whose stored progress is stale: {stale}"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Background tasks run where they are enqueued (after commit), so a test sees their effect;
    worker tests switch back to the database backend."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


@pytest.fixture
def make_company(db):
    def make(code: str | None = None, **values):
        serial = next(_serial)
        return company_create(
            code=code or f"co{serial}", name=values.pop("name", f"Company {serial}"), **values
        )

    return make


@pytest.fixture
def company(make_company):
    return make_company("acme", name="Acme Trading")


@pytest.fixture
def other_company(make_company):
    return make_company("globex", name="Globex")


@pytest.fixture
def make_user(db):
    def make(role: str = Role.ADMIN, company=None, username: str | None = None, team=None, **extra):
        return accounts.user_create(
            username=username or f"{role}{next(_serial)}",
            password="correct horse battery",
            company=company,
            role=role,
            team=team,
            check_password=False,
            **extra,
        )

    return make


@pytest.fixture
def admin(make_user, company):
    return make_user(Role.ADMIN, company, username="boss")


@pytest.fixture
def make_customer(db, admin):
    def make(company=None, actor=None, **values):
        company = company or admin.memberships.get().company
        values.setdefault("name", f"Customer {next(_serial)}")
        return customers.customer_create(
            company=company, actor=actor, allow_duplicate=True, **values
        )

    return make


@pytest.fixture
def make_product(db):
    def make(company, **values):
        serial = next(_serial)
        values.setdefault("sku", f"SKU-{serial:04d}")
        values.setdefault("name", f"Product {serial}")
        values.setdefault("unit", Unit.objects.for_company(company).get(code="pcs"))
        values.setdefault("list_price", Decimal("10.00"))
        return catalog.product_create(company=company, actor=None, **values)

    return make


@pytest.fixture
def access_of():
    return access_for


# ---------------------------------------------------------------- sales orders


@pytest.fixture
def team(company):
    from ordercrm.accounts.services import team_create

    return team_create(company=company, name="East")


@pytest.fixture
def rep(make_user, company, team):
    return make_user(Role.SALES_REP, company, username="rep", team=team)


@pytest.fixture
def manager(make_user, company, team):
    return make_user(Role.SALES_MANAGER, company, username="manager", team=team)


@pytest.fixture
def customer(company, rep, make_customer):
    customer = make_customer(company, actor=rep, name="Shanghai Mingda")
    customers.contact_add(customer=customer, actor=rep, name="Li Lei", is_primary=True)
    customers.address_add(
        customer=customer, actor=rep, kind="billing", line1="1 Renmin Rd", city="Shanghai"
    )
    customers.address_add(
        customer=customer, actor=rep, kind="shipping", line1="9 Dock Rd", city="Ningbo"
    )
    return customer


@pytest.fixture
def products(company, make_product):
    return [make_product(company, sku=f"P{i}", list_price=Decimal("10.00") + i) for i in range(3)]


@pytest.fixture
def make_order(company, rep, customer, products):
    def make(n_lines: int = 2, actor=None, **header):
        lines = [
            {"product": products[i % len(products)], "quantity": Decimal(i + 1)}
            for i in range(n_lines)
        ]
        return sales.order_create(
            company=company, actor=actor or rep, customer=customer, lines=lines, **header
        )

    return make


@pytest.fixture
def order_in(company, rep, manager, make_order):
    """An order driven through the services into ``status``."""

    def make(status: str) -> SalesOrder:
        order = make_order()
        if status == Status.DRAFT:
            return order
        if status == Status.CANCELLED:
            return sales.order_cancel(order=order, actor=rep)
        if status in (Status.PENDING_APPROVAL, Status.REJECTED):
            company.approval_threshold = Decimal("0")
            company.save()
            order = sales.order_submit(order=order, actor=rep)
            company.approval_threshold = None
            company.save()
            if status == Status.REJECTED:
                order = sales.order_reject(order=order, actor=manager, reason="price too low")
            return order
        order = sales.order_submit(order=order, actor=rep)
        if status == Status.ON_HOLD:
            return sales.order_hold(order=order, actor=manager, reason="customer asked")
        if status == Status.CLOSED:
            return sales.order_close(order=order, actor=manager)
        if status == Status.COMPLETED:
            from django.db.models import F

            order.lines.update(qty_shipped=F("quantity"), qty_invoiced=F("quantity"))
            SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
                amount_paid=order.gross_total
            )
            sales.order_complete_if_done(order=order)
            return SalesOrder.objects.for_company(company).get(pk=order.pk)
        return order

    return make
