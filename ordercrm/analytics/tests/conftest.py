"""Small histories for the analytics tests, dated by holding Django's clock (as the demo's
``console.demo_history.DemoClock`` does; console sits above analytics, so not imported), so
documents and events carry the day they happened."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.services import team_create
from ordercrm.analytics import services
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.catalog import services as catalog
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales import services as sales
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    OrderFactory,
    ProductFactory,
    UserFactory,
    receive_stock,
)

D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class HeldClock:
    """``timezone.now`` and every ``default=timezone.now`` field held at ``moment``."""

    def __init__(self, moment: datetime.datetime):
        from django.apps import apps
        from django.utils import timezone

        self.now, self._original = moment, timezone.now
        self._fields = [
            f
            for model in apps.get_models()
            for f in model._meta.concrete_fields
            if f.default is self._original
        ]

    def _set(self, value) -> None:
        for f in self._fields:
            f.default = value
            f.__dict__.pop("_get_default", None)

    def __enter__(self):
        from django.utils import timezone

        timezone.now = lambda: self.now
        self._set(timezone.now)
        return self

    def __exit__(self, *exc) -> None:
        from django.utils import timezone

        timezone.now = self._original
        self._set(self._original)


def at(day: str, hour: int = 10) -> HeldClock:
    """Django's clock held at ``day`` (ISO) ``hour``:00 Shanghai time."""
    moment = datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)
    return HeldClock(moment)


@pytest.fixture
def shop(db):
    """A company (CNY) with two teams, three reps, a manager, finance, a warehouse clerk, two
    customers and two products in two categories, with stock."""
    with at("2025-12-01"):
        company = CompanyFactory()
        east = team_create(company=company, name="East")
        west = team_create(company=company, name="West")
        people = {
            "admin": UserFactory(
                company=company, role=Role.ADMIN, username=f"{company.code}-admin"
            ),
            "manager": UserFactory(
                company=company, role=Role.SALES_MANAGER, username=f"{company.code}-mgr", team=east
            ),
            "rep": UserFactory(
                company=company, role=Role.SALES_REP, username=f"{company.code}-rep", team=east
            ),
            "rep2": UserFactory(
                company=company, role=Role.SALES_REP, username=f"{company.code}-rep2", team=east
            ),
            "west": UserFactory(
                company=company, role=Role.SALES_REP, username=f"{company.code}-west", team=west
            ),
            "finance": UserFactory(
                company=company, role=Role.FINANCE, username=f"{company.code}-fin"
            ),
            "warehouse": UserFactory(
                company=company, role=Role.WAREHOUSE, username=f"{company.code}-wh"
            ),
        }
        admin = people["admin"]
        tools = catalog.category_create(company=company, actor=admin, name="Tools")
        parts = catalog.category_create(company=company, actor=admin, name="Parts")
        drill = ProductFactory(
            company=company, actor=None, sku="DRILL", list_price=Decimal("100.00"), category=tools
        )
        bolt = ProductFactory(
            company=company, actor=None, sku="BOLT", list_price=Decimal("2.50"), category=parts
        )
        receive_stock(company, people["warehouse"], (drill, 1000), (bolt, 10000))
        mingda = CustomerFactory(company=company, actor=people["rep"], name="Shanghai Mingda")
        pacific = CustomerFactory(
            company=company, actor=people["west"], name="Pacific Imports", currency="USD"
        )
    return {
        "company": company,
        "east": east,
        "west": west,
        "people": people,
        "drill": drill,
        "bolt": bolt,
        "tools": tools,
        "parts": parts,
        "mingda": mingda,
        "pacific": pacific,
    }


@pytest.fixture
def history(shop):
    """January: A (rep, 10 drills, 1,000.00) shipped, invoiced and paid; B (west, USD 100.00
    at 7.1) shipped and invoiced; C (300.00) shared 60 / 40 by rep and rep2. February: two
    drills of A returned and credited (200.00)."""
    company, people = shop["company"], shop["people"]
    rep, wh, fin = people["rep"], people["warehouse"], people["finance"]
    with at("2026-01-10"):
        catalog.exchange_rate_set(
            company=company, actor=fin, currency="USD", date=datetime.date(2026, 1, 1), rate="7.1"
        )
        # 10 drills at 100.00 = 1,000.00 net
        a = OrderFactory(
            company=company, actor=rep, customer=shop["mingda"], lines=[(shop["drill"], 10)]
        )
        a = sales.order_submit(order=a, actor=rep)
        # USD: 5 drills at 20.00 = 100.00 USD = 710.00 CNY
        b = OrderFactory(
            company=company,
            actor=people["west"],
            customer=shop["pacific"],
            lines=[{"product": shop["drill"], "quantity": D(5), "unit_price": D("20.00")}],
        )
        b = sales.order_submit(order=b, actor=people["west"])
        # shared 60 / 40: 3 drills = 300.00
        c = OrderFactory(
            company=company, actor=rep, customer=shop["mingda"], lines=[(shop["drill"], 3)]
        )
        c = sales.order_submit(order=c, actor=rep)
        services.credit_split_set(
            order=c,
            actor=people["manager"],
            shares=[
                {"salesperson": rep, "percent": "60"},
                {"salesperson": people["rep2"], "percent": "40"},
            ],
        )
    with at("2026-01-12"):
        shipment = fulfilment.shipment_create(order=a, actor=wh, lines=None, dispatch=True)
        fulfilment.shipment_create(order=b, actor=wh, lines=None, dispatch=True)
        invoice = Invoice.objects.for_company(company).get(order=a, kind=InvoiceKind.INVOICE)
        # 1,130.00 gross paid in full
        billing.payment_record(
            company=company,
            actor=fin,
            customer=shop["mingda"],
            amount=D("1130.00"),
            currency="CNY",
            method="bank_transfer",
            reference="B-1",
            allocations=[{"invoice": invoice, "amount": D("1130.00")}],
        )
    with at("2026-02-05"):
        fulfilment.return_receive(
            shipment=shipment,
            actor=wh,
            lines=[{"shipment_line_id": shipment.lines.get().pk, "quantity": 2}],
            reason="damaged",
        )
        billing.credit_note_create(
            invoice=invoice,
            actor=fin,
            lines=[{"invoice_line_id": invoice.lines.get().pk, "quantity": 2}],
            reason="damaged",
        )
    return shop, a, b, c
