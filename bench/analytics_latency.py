"""Latency of each report, the dashboard and the customer 360 on a generated company
(issue 19 item 6), through Django's test client in-process (no network), on PostgreSQL.

    python bench/generate_orders.py --orders 100000          # builds ordercrm_bench_100000
    python bench/analytics_latency.py --database ordercrm_bench_100000
    python bench/analytics_latency.py --database ordercrm_bench_10000 \\
        --database ordercrm_bench_100000 --database ordercrm_bench_1000000   # the table

For each page (all of them requested once first, to load templates and code): a request with
the cache emptied (``cold_ms``: the purchase-habit
pages compute and cache their figures then) and ``--runs`` requests after it
(``best_ms``, the best of them: on a machine shared with other work the best is the page's
own cost, the median mostly the neighbours'; ``median_ms`` is printed too), with the SQL
queries of one request. As the administrator (sees everything) and,
for ``/reports/me/`` and the dashboard, as a sales rep too. With several databases, prints a
table: one row per page, one column per database (warm best ms; cold in brackets when it
is more than half as much again).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _latency import print_table, setup, timed_and_printed, use_database

PAGES = [
    # (name, user, path); {customer} is the customer with the most orders
    ("dashboard (admin)", "admin", "/"),
    ("dashboard (rep)", "rep", "/"),
    ("customer 360", "admin", "/customers/{customer}/"),
    ("sales by product, 12 months", "admin", "/reports/?by=product"),
    ("sales by category", "admin", "/reports/?by=category"),
    ("sales by customer", "admin", "/reports/?by=customer"),
    ("sales by region", "admin", "/reports/?by=region"),
    ("sales by salesperson", "admin", "/reports/?by=salesperson"),
    ("sales by team, quarters", "admin", "/reports/?by=team&period=quarter"),
    ("sales by week, booked", "admin", "/reports/?by=product&period=week&measure=booked"),
    ("pivot category x month", "admin", "/reports/pivot/?by=category&columns=period"),
    ("pivot region x team", "admin", "/reports/pivot/?by=region&columns=team&measure=collected"),
    ("drill-down (a category-month cell)", "admin", "/reports/orders/?{drill}"),
    ("targets", "admin", "/reports/targets/"),
    ("leaderboard", "admin", "/reports/leaderboard/"),
    ("appraisal CSV", "admin", "/reports/appraisal.csv"),
    ("my performance (rep)", "rep", "/reports/me/"),
    ("report export XLSX", "admin", "/reports/export.xlsx?by=customer"),
    ("habits: due to reorder", "admin", "/reports/habits/"),
    ("habits: lapsing", "admin", "/reports/habits/lapsing/"),
    ("demand forecast", "admin", "/reports/habits/demand/"),
    ("habits: due (rep)", "rep", "/reports/habits/"),
]


def measure(database: str, runs: int) -> dict:
    from django.test import Client

    from ordercrm.accounts.models import User
    from ordercrm.analytics.models import SalesFact
    from ordercrm.core.models import Company
    from ordercrm.sales.models import SalesOrder

    use_database(database)
    company = Company.objects.get(code="bench")
    orders = SalesOrder.objects.for_company(company).count()
    facts = SalesFact.objects.for_company(company).count()
    from django.db.models import Count

    customer = (
        SalesOrder.objects.for_company(company)
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["customer_id"]
    )
    from ordercrm.catalog.models import Category
    from ordercrm.core.dates import company_today

    category = Category.objects.for_company(company).order_by("name").first()
    month = company_today(company).replace(day=1)
    drill = f"by=category&columns=period&category={category.pk}&at={month.isoformat()}"
    clients = {}
    for role, username in (("admin", "bench-admin"), ("rep", "bench-rep01")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[role] = client
    # templates, URL resolvers and connections warmed once, so "cold" is the cache's
    for _name, role, path in PAGES:
        clients[role].get(path.format(customer=customer, drill=drill))
    results = {}
    for name, role, path in PAGES:
        url = path.format(customer=customer, drill=drill)
        results[name] = timed_and_printed(
            f"{database} orders={orders}", name, clients[role], url, runs
        )
    return {"orders": orders, "facts": facts, "pages": results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", action="append", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup(args.database[0])
    tables = [measure(name, args.runs) for name in args.database]
    print_table(
        [name for name, _role, _path in PAGES],
        tables,
        lambda t: f"{t['orders']:,} orders ({t['facts']:,} facts)",
    )


if __name__ == "__main__":
    main()
