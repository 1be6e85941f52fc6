"""factory_boy factories for the common objects, built through the services.

A factory is a short way to say "a customer" or "an order of three lines" in a test; it never
writes rows behind the services' back, so every object it makes obeys the same rules as one
a user made (numbers, defaults, audit, events). Pass ``company`` (and ``actor`` where a
service needs one); everything else has a sensible default that a test may override.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import factory

from ordercrm.accounts import services as accounts
from ordercrm.accounts.roles import Role
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import Unit
from ordercrm.core.services import company_create
from ordercrm.customers import services as customers
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales

_serial = itertools.count(1)


class ServiceFactory(factory.Factory):
    """Creates through ``_service(**kwargs)`` instead of ``Model.objects.create``."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._service(**kwargs)


class CompanyFactory(ServiceFactory):
    class Meta:
        model = dict

    code = factory.Sequence(lambda n: f"f{n}co")
    name = factory.LazyAttribute(lambda o: f"Company {o.code}")

    @staticmethod
    def _service(**kwargs):
        return company_create(**kwargs)


class UserFactory(ServiceFactory):
    class Meta:
        model = dict

    company = None
    role = Role.SALES_REP
    username = factory.Sequence(lambda n: f"fuser{n}")
    password = "correct horse battery"
    team = None

    @staticmethod
    def _service(**kwargs):
        return accounts.user_create(check_password=False, **kwargs)


class CustomerFactory(ServiceFactory):
    class Meta:
        model = dict

    company = None
    actor = None
    name = factory.Sequence(lambda n: f"Customer F{n}")

    @staticmethod
    def _service(**kwargs):
        return customers.customer_create(allow_duplicate=True, **kwargs)


class ProductFactory(ServiceFactory):
    class Meta:
        model = dict

    company = None
    actor = None
    sku = factory.Sequence(lambda n: f"F-{n:05d}")
    name = factory.LazyAttribute(lambda o: f"Product {o.sku}")
    list_price = Decimal("10.00")

    @staticmethod
    def _service(**kwargs):
        kwargs.setdefault("unit", Unit.objects.for_company(kwargs["company"]).get(code="pcs"))
        return catalog.product_create(**kwargs)


class OrderFactory(ServiceFactory):
    """A draft order. ``lines`` = ``[(product, quantity), ...]`` or the service's dicts."""

    class Meta:
        model = dict

    company = None
    actor = None
    customer = None
    lines = ()

    @staticmethod
    def _service(**kwargs):
        kwargs["lines"] = [
            line if isinstance(line, dict) else {"product": line[0], "quantity": Decimal(line[1])}
            for line in kwargs["lines"]
        ]
        return sales.order_create(**kwargs)


def receive_stock(company, actor, *pairs, warehouse=None):
    """Goods arrive in the company's main warehouse: ``pairs`` = ``(product, quantity)``."""
    warehouse = warehouse or Warehouse.objects.for_company(company).get(code="main")
    return inventory.stock_receive(
        company=company,
        actor=actor,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": Decimal(q)} for p, q in pairs],
        reference=f"GR-{next(_serial)}",
    )


def counters_written_by_hand(order) -> None:
    """A test that sets line counters or amounts with ``update()`` (not through the
    services) stores the order's progress afterwards, as the services do; the root
    ``conftest.py`` checks after each test that no order's stored progress is stale."""
    from ordercrm.sales import counters

    counters.order_progress_store(order)
