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
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    ProductFactory,
    UserFactory,
    receive_stock,
)

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
    from ordercrm.catalog import services as catalog

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
