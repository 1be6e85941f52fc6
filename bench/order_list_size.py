"""Order-list page size and time with one 10,000-line order among 50 orders, next to the
detail of that order, through the API in-process (Django's test client, no network).

    python bench/order_list_size.py --db sqlite --lines 10000
    python bench/order_list_size.py --db postgres --lines 10000

Builds a throw-away database (see ``order_throughput.setup_database``). Prints, last:
``list_bytes=… list_ms=… list_queries=… detail_bytes=… detail_ms=…`` (median of ``--runs``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from order_throughput import setup_database, world


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_database(args.db)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from ordercrm.accounts.tokens import token_create
    from ordercrm.sales.services import order_create

    setup_test_environment()  # lets the test client's host in
    company, user, customer, products = world()
    start = time.perf_counter()
    big = order_create(
        company=company,
        actor=user,
        customer=customer,
        lines=[
            {"product": products[i % len(products)], "quantity": Decimal(i % 9 + 1)}
            for i in range(args.lines)
        ],
    )
    print(f"created the {args.lines}-line order in {time.perf_counter() - start:.1f}s")
    for _ in range(args.orders - 1):
        order_create(
            company=company,
            actor=user,
            customer=customer,
            lines=[{"product": p, "quantity": Decimal(2)} for p in products[:5]],
        )
    _token, raw = token_create(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def measure(path: str) -> tuple[int, float, int]:
        times, size, queries = [], 0, 0
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content[:300]
            size, queries = len(response.content), len(captured)
        return size, statistics.median(times), queries

    list_bytes, list_ms, list_queries = measure(f"/api/v1/orders?limit={args.orders}")
    detail_bytes, detail_ms, _detail_queries = measure(f"/api/v1/orders/{big.pk}")
    print(
        f"list_bytes={list_bytes} list_ms={list_ms:.0f} list_queries={list_queries} "
        f"detail_bytes={detail_bytes} detail_ms={detail_ms:.0f}"
    )


if __name__ == "__main__":
    main()
