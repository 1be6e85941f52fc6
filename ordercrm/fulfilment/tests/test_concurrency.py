"""Invariant 1 under real contention on PostgreSQL: real threads, real row locks."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from ordercrm.core.db import retry_on_conflict
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import StockPolicy
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import Reservation, StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(workers):
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work):
        def run():
            try:
                start.wait()
                work()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def assert_stock_invariants(company):
    assert inventory_selectors.ledger_discrepancies(company) == []
    for level in StockLevel.objects.for_company(company):
        assert 0 <= level.reserved <= level.on_hand
    held = dict(
        Reservation.objects.for_company(company)
        .values_list("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    for line in SalesOrderLine.objects.for_company(company).select_related("order"):
        assert line.qty_reserved == held.get(line.pk, 0), line
        assert line.qty_reserved + line.qty_shipped + line.qty_closed <= line.quantity
        if line.order.status in (Status.CANCELLED, Status.CLOSED, Status.DRAFT):
            assert line.qty_reserved == 0


def test_twenty_confirmations_for_ten_units_confirm_exactly_ten(
    company, rep, customer, make_product, stock, main_warehouse
):
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    product = make_product(company, sku="HOT")
    stock(product, 10)
    orders = [
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": product, "quantity": 1}],
        )
        for _ in range(20)
    ]
    outcomes: list[str] = []

    def confirm(order):
        def work():
            try:
                sales.order_submit(order=order, actor=rep)
                outcomes.append("confirmed")
            except DomainError as error:
                outcomes.append(error.code)

        return work

    assert run_threads([confirm(order) for order in orders]) == []
    assert outcomes.count("confirmed") == 10
    assert outcomes.count("inventory.insufficient_stock") == 10
    statuses = SalesOrder.objects.for_company(company).values_list("status", flat=True)
    assert sorted(statuses).count(Status.CONFIRMED) == 10
    level = StockLevel.objects.for_company(company).get(product=product, warehouse=main_warehouse)
    assert (level.on_hand, level.reserved, level.available) == (10, 10, 0)
    assert_stock_invariants(company)


@pytest.mark.parametrize("policy", [StockPolicy.ALL_OR_NOTHING, StockPolicy.ALLOW_BACKORDER])
def test_random_multi_line_orders_from_sixteen_threads_keep_every_invariant(
    company, rep, keeper, manager, customer, make_product, stock, policy
):
    company.stock_policy = policy
    company.save()
    skus = [make_product(company, sku=f"K{i}") for i in range(8)]
    for product in skus:
        stock(product, 12)
    rng = random.Random(20261127)
    orders = []
    for _ in range(64):
        picked = rng.sample(skus, rng.randint(2, 5))  # random line order: locks must not care
        orders.append(
            sales.order_create(
                company=company,
                actor=rep,
                customer=customer,
                lines=[{"product": p, "quantity": rng.randint(1, 4)} for p in picked],
            )
        )
    outcomes: list[str] = []
    per_thread = [orders[i::16] for i in range(16)]

    def worker(mine, seed):
        def work():
            local = random.Random(seed)
            for order in mine:
                try:
                    confirmed = retry_on_conflict(
                        lambda o=order: sales.order_submit(order=o, actor=rep)
                    )
                    outcomes.append("confirmed")
                    action = local.choice(["keep", "ship", "cancel", "receive"])
                    if action == "ship" and confirmed.status == Status.CONFIRMED:
                        retry_on_conflict(
                            lambda o=confirmed: fulfilment.shipment_create(
                                order=o, actor=keeper, dispatch=True
                            )
                        )
                    elif action == "cancel":
                        retry_on_conflict(
                            lambda o=confirmed: sales.order_cancel(
                                order=o, actor=manager, reason="test"
                            )
                        )
                    elif action == "receive":
                        product = local.choice(skus)
                        retry_on_conflict(lambda p=product: stock(p, local.randint(1, 3)))
                except DomainError as error:
                    outcomes.append(error.code)

        return work

    errors = run_threads([worker(mine, i) for i, mine in enumerate(per_thread)])
    assert errors == [], errors[:3]
    assert len(outcomes) >= 64
    assert set(outcomes) <= {
        "confirmed",
        "inventory.insufficient_stock",
        "fulfilment.nothing_to_ship",
    }
    assert outcomes.count("confirmed") > 0
    assert_stock_invariants(company)
