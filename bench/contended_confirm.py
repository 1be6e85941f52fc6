"""Contended confirmation: many threads confirming orders that compete for stock, in one run.

    python bench/contended_confirm.py --db postgres --threads 16 --orders 400
    python bench/contended_confirm.py --db sqlite --threads 4 --orders 200

Two comparisons, each against a baseline measured in the same run:

- **contended vs serial**: orders (of one of 20 customers) with 1–3 lines on 4 SKUs, confirmed
  by ``--threads`` threads and by one thread;
- **hot vs spread** (#20 goal 5): one-line orders all for **one** SKU, against the same number
  of one-line orders spread over 16 SKUs, both confirmed by ``--threads`` threads (64
  customers, so the customer's credit lock is not what is measured).

Stock covers about two thirds of the demand, under the all-or-nothing policy, so roughly a
third of the confirmations must fail with ``inventory.insufficient_stock``. Afterwards it
checks the stock invariants in every world (on hand = Σ moves, reserved = Σ reservations =
Σ reserved on confirmed lines, 0 ≤ reserved ≤ on hand, and no more reserved than received:
no oversell) and exits non-zero if any fails.

Prints, last: ``serial_orders_per_s=… contended_orders_per_s=… ratio=… hot_orders_per_s=…
spread_orders_per_s=… hot_vs_spread=… confirmed=… rejected=… retries=… invariants=ok``.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from order_throughput import setup_database

SKUS = 4


def make_world(
    code: str,
    orders: int,
    seed: int,
    *,
    skus: int = SKUS,
    customers_n: int = 20,
    one_line=None,
    cover: float = 2 / 3,
):
    """A company with ``skus`` products and ``orders`` drafts. ``one_line``: each order is one
    line, of the SKU ``one_line(index)`` names; otherwise 1–3 lines on random SKUs. Stock:
    ``cover`` of the demand, shared equally by the SKUs."""
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.catalog.models import Unit
    from ordercrm.catalog.services import product_create
    from ordercrm.core.models import StockPolicy
    from ordercrm.core.services import company_create
    from ordercrm.customers.services import customer_create
    from ordercrm.inventory.models import Warehouse
    from ordercrm.inventory.services import stock_receive
    from ordercrm.sales.services import order_create

    company = company_create(code=code, name=code)
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    user = user_create(
        username=f"{code}-admin",
        password="x",
        company=company,
        role=Role.ADMIN,
        check_password=False,
    )
    # Many customers: the credit check locks the customer row, so orders of one customer
    # confirm one at a time by design; the contention measured here is on the SKUs.
    customers = [
        customer_create(company=company, actor=user, name=f"Customer {i}", allow_duplicate=True)
        for i in range(customers_n)
    ]
    unit = Unit.objects.for_company(company).get(code="pcs")
    products = [
        product_create(
            company=company,
            actor=user,
            sku=f"C{i}",
            name=f"C{i}",
            unit=unit,
            list_price=Decimal("5"),
        )
        for i in range(skus)
    ]
    rng = random.Random(seed)
    drafts, demand = [], 0
    for index in range(orders):
        if one_line is None:
            picked = rng.sample(products, rng.randint(1, 3))
        else:
            picked = [products[one_line(index) % skus]]
        lines = [{"product": p, "quantity": rng.randint(1, 3)} for p in picked]
        demand += sum(line["quantity"] for line in lines)
        drafts.append(
            order_create(company=company, actor=user, customer=rng.choice(customers), lines=lines)
        )
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    per_sku = int(demand * cover) // skus
    stock_receive(
        company=company,
        actor=user,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": per_sku} for p in products],
    )
    return company, user, drafts, per_sku


def confirm_all(user, drafts, threads: int) -> tuple[float, dict[str, int]]:
    from django.db import connection

    from ordercrm.core.db import retry_on_conflict
    from ordercrm.core.exceptions import DomainError
    from ordercrm.sales.services import order_submit

    counts = {"confirmed": 0, "rejected": 0, "retries": 0}
    lock = threading.Lock()
    chunks = [drafts[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads)

    def work(mine):
        try:
            barrier.wait()
            for order in mine:
                attempts = []

                def submit(order=order, attempts=attempts):
                    attempts.append(1)
                    return order_submit(order=order, actor=user)

                try:
                    retry_on_conflict(submit, attempts=10)
                    outcome = "confirmed"
                except DomainError:
                    outcome = "rejected"
                with lock:
                    counts[outcome] += 1
                    counts["retries"] += len(attempts) - 1
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start, counts


def check(company, per_sku: int) -> list[str]:
    from django.db.models import Sum

    from ordercrm.inventory.models import Reservation, StockLevel
    from ordercrm.inventory.selectors import ledger_discrepancies
    from ordercrm.sales.models import SalesOrderLine
    from ordercrm.sales.workflow import Status

    problems = [f"ledger: {p}" for p in ledger_discrepancies(company)]
    for level in StockLevel.objects.for_company(company):
        if not 0 <= level.reserved <= level.on_hand or level.on_hand != per_sku:
            problems.append(f"level {level.product_id}: {level.on_hand}/{level.reserved}")
    held = Reservation.objects.for_company(company).aggregate(t=Sum("quantity"))["t"] or 0
    on_lines = (
        SalesOrderLine.objects.for_company(company)
        .filter(order__status=Status.CONFIRMED)
        .aggregate(t=Sum("quantity"))["t"]
        or 0
    )
    if held != on_lines:
        problems.append(f"reserved {held} != confirmed quantity {on_lines}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument(
        "--cover",
        type=float,
        default=2 / 3,
        help="stock as a share of the demand in the hot and spread worlds (1: all confirm)",
    )
    args = parser.parse_args()
    setup_database(args.db)

    serial_company, serial_user, serial_drafts, serial_stock = make_world("serial", args.orders, 1)
    serial_s, serial_counts = confirm_all(serial_user, serial_drafts, 1)
    company, user, drafts, per_sku = make_world("contended", args.orders, 1)
    contended_s, counts = confirm_all(user, drafts, args.threads)
    # goal 5: every order on one SKU, against the same orders spread over 16 SKUs
    spread_company, spread_user, spread_drafts, spread_stock = make_world(
        "spread",
        args.orders,
        2,
        skus=16,
        customers_n=64,
        one_line=lambda index: index,
        cover=args.cover,
    )
    spread_s, spread_counts = confirm_all(spread_user, spread_drafts, args.threads)
    hot_company, hot_user, hot_drafts, hot_stock = make_world(
        "hot", args.orders, 2, skus=1, customers_n=64, one_line=lambda index: 0, cover=args.cover
    )
    hot_s, hot_counts = confirm_all(hot_user, hot_drafts, args.threads)

    problems = (
        check(serial_company, serial_stock)
        + check(company, per_sku)
        + check(spread_company, spread_stock)
        + check(hot_company, hot_stock)
    )
    if counts["confirmed"] != serial_counts["confirmed"] and args.threads == 1:
        problems.append("a single thread must confirm the same orders as the baseline")
    serial_rate = args.orders / serial_s
    contended_rate = args.orders / contended_s
    hot_rate, spread_rate = args.orders / hot_s, args.orders / spread_s
    print(f"db={args.db} orders={args.orders} threads={args.threads}")
    print(f"serial ({SKUS} SKUs, 1 thread): {serial_s:.2f}s {serial_counts}")
    print(f"contended ({SKUS} SKUs): {contended_s:.2f}s {counts}")
    print(f"spread (16 SKUs, one line each): {spread_s:.2f}s {spread_counts}")
    print(f"hot (1 SKU, one line each): {hot_s:.2f}s {hot_counts}")
    for problem in problems[:20]:
        print("PROBLEM", problem)
    every = [counts, spread_counts, hot_counts]
    print(
        f"serial_orders_per_s={serial_rate:.1f} contended_orders_per_s={contended_rate:.1f} "
        f"ratio={contended_rate / serial_rate:.2f} hot_orders_per_s={hot_rate:.1f} "
        f"spread_orders_per_s={spread_rate:.1f} hot_vs_spread={hot_rate / spread_rate:.2f} "
        f"confirmed={sum(c['confirmed'] for c in every)} "
        f"rejected={sum(c['rejected'] for c in every)} "
        f"retries={sum(c['retries'] for c in every)} "
        f"invariants={'ok' if not problems else 'FAILED'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
