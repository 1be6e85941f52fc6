"""Flat with data (issue 20 goal 4): the order-flow pages at 10k, 100k and 1M orders, in
process through Django's test client, on PostgreSQL, with ``DEBUG`` off.

    python bench/generate_orders.py --orders 10000           # builds ordercrm_bench_10000
    python bench/generate_orders.py --orders 100000
    python bench/order_pages_latency.py --database ordercrm_bench_10000 \\
        --database ordercrm_bench_100000

Pages: the API's order list (first page, a cursor halfway and at 90 % of the way down,
each progress filter, a search that matches and one that does not), the web order list
(admin, rep, a progress filter, a search), customer 360, dashboard (admin, rep), approvals
inbox, to-ship queue and receivables aging. Prints one line per page and database (warm
best, median and cold ms, queries), then the table, then the budget: each page on the last
database against 300 ms and 1.5× its cost on the first, with the ``EXPLAIN ANALYZE`` of the
slowest statement of any page over it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _latency import print_table, setup, timed_and_printed, use_database

BUDGET_MS = 300
GROWTH = 1.5

PROGRESS = {
    "fulfilment_status": ("not_shipped", "partially_shipped", "shipped"),
    "invoice_status": ("not_invoiced", "partially_invoiced", "invoiced"),
    "payment_status": ("unpaid", "partially_paid", "paid", "overpaid"),
}


def pages(context: dict) -> list[tuple[str, str, str]]:
    """(name, who, path): ``api`` calls carry the administrator's token."""
    listed = [
        ("API orders, first page", "api", "/api/v1/orders"),
        ("API orders, cursor halfway", "api", f"/api/v1/orders?cursor={context['half']}"),
        ("API orders, cursor at 90 %", "api", f"/api/v1/orders?cursor={context['deep']}"),
    ]
    listed += [
        (f"API orders, {axis}={value}", "api", f"/api/v1/orders?{axis}={value}")
        for axis, values in PROGRESS.items()
        for value in values
    ]
    listed += [
        ("API orders, search a customer", "api", f"/api/v1/orders?search={context['name']}"),
        ("API orders, search no match", "api", "/api/v1/orders?search=zz-no-such-order"),
        ("order list", "admin", "/orders/"),
        ("order list (rep)", "rep", "/orders/"),
        ("order list, partially shipped", "admin", "/orders/?fulfilment=partially_shipped"),
        ("order list, overpaid", "admin", "/orders/?payment=overpaid"),
        ("order search", "admin", f"/orders/?q={context['name']}"),
        ("customer 360", "admin", f"/customers/{context['customer']}/"),
        ("dashboard (admin)", "admin", "/"),
        ("dashboard (rep)", "rep", "/"),
        ("approvals inbox", "admin", "/approvals/"),
        ("to-ship queue", "admin", "/shipments/to-ship/"),
        ("receivables aging", "admin", "/receivables/"),
    ]
    return listed


def measure(database: str, runs: int) -> dict:
    from urllib.parse import quote

    from django.db.models import Count
    from django.test import Client

    from ordercrm.accounts.models import User
    from ordercrm.accounts.tokens import token_create
    from ordercrm.api.base import _encode
    from ordercrm.core.models import Company
    from ordercrm.customers.models import Customer
    from ordercrm.sales.models import SalesOrder

    use_database(database)
    company = Company.objects.get(code="bench")
    orders = SalesOrder.objects.for_company(company)
    count = orders.count()
    keyset = orders.order_by("-created_at", "-id").values_list("created_at", "id")

    def cursor_at(share: float) -> str:
        at, pk = keyset[int(count * share)]
        return _encode([at.isoformat(), str(pk)])

    customer_id = (
        orders.values("customer_id").annotate(n=Count("id")).order_by("-n")[0]["customer_id"]
    )
    name = Customer.objects.for_company(company).get(pk=customer_id).name
    context = {
        "half": cursor_at(0.5),
        "deep": cursor_at(0.9),
        "customer": customer_id,
        "name": quote(name),  # one customer, as a person looks them up
    }
    admin = User.objects.get(username="bench-admin")
    clients, headers = {}, {}
    for who, username in (("admin", "bench-admin"), ("rep", "bench-rep01")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[who] = client
    clients["api"] = Client()
    raw = token_create(user=admin, name="bench")[1]
    headers["api"] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = pages(context)
    for _name, who, path in listed:  # templates, resolvers and connections warmed once
        clients[who].get(path, **headers.get(who, {}))
    results = {}
    for name, who, path in listed:
        label = f"{database} orders={count}"
        results[name] = timed_and_printed(label, name, clients[who], path, runs, headers.get(who))
    return {"database": database, "orders": count, "pages": results}


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", action="append", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup(args.database[0])
    tables = [measure(name, args.runs) for name in args.database]
    names = list(tables[0]["pages"])
    print_table(names, tables, lambda t: f"{t['orders']:,} orders")
    first, last = tables[0], tables[-1]
    print()
    over = 0
    for name in names:
        base, big = first["pages"][name].best_ms, last["pages"][name].best_ms
        ratio = big / base if base else 1.0
        fine = big <= BUDGET_MS and (len(tables) == 1 or ratio <= GROWTH)
        over += not fine
        print(f"budget page={name!r} ms={big:.0f} vs_first={ratio:.2f} {'ok' if fine else 'OVER'}")
        if not fine:
            use_database(last["database"])
            print(explain(last["pages"][name].slowest_sql))
    print(f"pages={len(names)} over_budget={over} budget_ms={BUDGET_MS} growth_max={GROWTH}")


if __name__ == "__main__":
    main()
