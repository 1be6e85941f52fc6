"""Fixtures shared by every test: companies, members per role, customers and products.

Data is made through the services, as users would make it, so fixtures obey every rule.
"""

from __future__ import annotations

import itertools
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

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
_serial = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests assert English messages unless they switch language on purpose."""
    from django.utils import translation

    with translation.override("en"):
        yield


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
