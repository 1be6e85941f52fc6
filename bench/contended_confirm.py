"""Contended confirmation: many threads confirming orders that compete for a few SKUs, next
to the same work done by one thread without contention, in the same run.

    python bench/contended_confirm.py --db postgres --threads 16 --orders 400
    python bench/contended_confirm.py --db sqlite --threads 4 --orders 200

Every order (of one of 20 customers) has 1–3 lines on 4 SKUs whose stock covers about two thirds of the demand, under
the all-or-nothing policy, so roughly a third of the confirmations must fail with
``inventory.insufficient_stock``. Afterwards it checks the stock invariants (on hand = Σ moves,
reserved = Σ reservations = Σ reserved on confirmed lines, 0 ≤ reserved ≤ on hand, and no
more reserved than received) and exits non-zero if any fails.

Prints, last: ``serial_orders_per_s=… contended_orders_per_s=… ratio=… confirmed=…
rejected=… retries=… invariants=ok``.
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


def make_world(code: str, orders: int, seed: int):
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
        for i in range(20)
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
        for i in range(SKUS)
    ]
    rng = random.Random(seed)
    drafts, demand = [], 0
    for _ in range(orders):
        picked = rng.sample(products, rng.randint(1, 3))
        lines = [{"product": p, "quantity": rng.randint(1, 3)} for p in picked]
        demand += sum(line["quantity"] for line in lines)
        drafts.append(
            order_create(company=company, actor=user, customer=rng.choice(customers), lines=lines)
        )
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    per_sku = demand * 2 // 3 // SKUS
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
    args = parser.parse_args()
    setup_database(args.db)

    serial_company, serial_user, serial_drafts, serial_stock = make_world("serial", args.orders, 1)
    serial_s, serial_counts = confirm_all(serial_user, serial_drafts, 1)
    company, user, drafts, per_sku = make_world("contended", args.orders, 1)
    contended_s, counts = confirm_all(user, drafts, args.threads)

    problems = check(serial_company, serial_stock) + check(company, per_sku)
    if counts["confirmed"] != serial_counts["confirmed"] and args.threads == 1:
        problems.append("a single thread must confirm the same orders as the baseline")
    serial_rate = args.orders / serial_s
    contended_rate = args.orders / contended_s
    print(f"db={args.db} orders={args.orders} skus={SKUS} threads={args.threads}")
    print(f"serial: {serial_s:.2f}s {serial_counts}")
    print(f"contended: {contended_s:.2f}s {counts}")
    for problem in problems[:20]:
        print("PROBLEM", problem)
    print(
        f"serial_orders_per_s={serial_rate:.1f} contended_orders_per_s={contended_rate:.1f} "
        f"ratio={contended_rate / serial_rate:.2f} confirmed={counts['confirmed']} "
        f"rejected={counts['rejected']} retries={counts['retries']} "
        f"invariants={'ok' if not problems else 'FAILED'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
