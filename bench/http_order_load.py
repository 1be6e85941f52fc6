"""HTTP load on the API: gunicorn (2 workers) on PostgreSQL, N concurrent clients creating,
confirming, shipping and invoicing orders; then list pages with many orders present.

    python bench/http_order_load.py --clients 8 --orders 200 --bulk 100000

Builds a throw-away database ``ordercrm_http_bench``. Prints per-request latency
percentiles for the order flow and for ``GET /api/v1/orders`` (first page and cursor pages),
and, last, ``orders_per_s=… requests_per_s=… p50_ms=… p95_ms=… p99_ms=… errors=…
list_p50_ms=… list_p95_ms=…``. The ``--bulk`` orders are inserted directly (not through
the services) only to make the list large.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "ordercrm_http_bench"


def setup() -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")
    url = f"postgres://postgres@127.0.0.1:5432/{DB}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def world(bulk: int):
    from decimal import Decimal

    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.accounts.tokens import token_create
    from ordercrm.catalog.models import Unit
    from ordercrm.catalog.services import product_create
    from ordercrm.core.services import company_create
    from ordercrm.customers.services import customer_create
    from ordercrm.inventory.models import Warehouse
    from ordercrm.inventory.services import stock_receive

    company = company_create(code="load", name="Load")
    admin = user_create(
        username="load", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    customers = [
        customer_create(company=company, actor=admin, name=f"C{i}", allow_duplicate=True)
        for i in range(20)
    ]
    unit = Unit.objects.for_company(company).get(code="pcs")
    products = [
        product_create(
            company=company,
            actor=admin,
            sku=f"L{i:02d}",
            name=f"L{i}",
            unit=unit,
            list_price=Decimal("9.90"),
        )
        for i in range(20)
    ]
    stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 1_000_000} for p in products],
    )
    if bulk:
        insert_bulk(company, customers, products, bulk)
    _token, raw = token_create(user=admin, name="load")
    return raw, [str(c.pk) for c in customers]


def insert_bulk(company, customers, products, count: int) -> None:
    """Many confirmed one-line orders written directly, in batches (list-page data only)."""
    import datetime
    from decimal import Decimal

    from ordercrm.core.ids import new_id
    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    today = datetime.date.today()
    batch = 5000
    for start in range(0, count, batch):
        orders, lines = [], []
        for n in range(start, min(start + batch, count)):
            order = SalesOrder(
                id=new_id(),
                company=company,
                number=f"BULK-{n:07d}",
                status="confirmed",
                customer=customers[n % len(customers)],
                currency="CNY",
                exchange_rate=Decimal(1),
                order_date=today,
                net_total=Decimal("9.90"),
                tax_total=Decimal("1.29"),
                gross_total=Decimal("11.19"),
                line_count=1,
                shipping_policy="ship_as_available",
            )
            orders.append(order)
            lines.append(
                SalesOrderLine(
                    company=company,
                    order=order,
                    position=1,
                    product=products[n % len(products)],
                    quantity=Decimal(1),
                    unit_price=Decimal("9.90"),
                    list_unit_price=Decimal("9.90"),
                    tax_percent=Decimal(13),
                    net=Decimal("9.90"),
                    tax=Decimal("1.29"),
                    gross=Decimal("11.19"),
                )
            )
        SalesOrder.objects.bulk_create(orders)
        SalesOrderLine.objects.bulk_create(lines)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum would do after a big load
        cursor.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()) if method == "POST" else "",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            payload = json.loads(response.read() or b"{}")
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = {}, error.code
    return status, payload, (time.perf_counter() - started) * 1000


def percentile(values, q):
    if not values:
        return 0.0
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--bulk", type=int, default=100_000)
    args = parser.parse_args()
    url = setup()
    token, customers = world(args.bulk)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ORDERCRM_API_RATE_LIMIT": "0",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ordercrm.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        latencies, errors, lock = [], [], threading.Lock()
        per_client = args.orders // args.clients

        def client(index):
            for n in range(per_client):
                steps = []
                status, order, ms = request(
                    base,
                    token,
                    "POST",
                    "/orders",
                    {
                        "customer_id": customers[(index + n) % len(customers)],
                        "lines": [
                            {"sku": f"L{(index + n + k) % 20:02d}", "quantity": "2"}
                            for k in range(3)
                        ],
                    },
                )
                steps.append((status, ms))
                if status == 201:
                    s2, _o, ms2 = request(base, token, "POST", f"/orders/{order['id']}/submit", {})
                    steps.append((s2, ms2))
                    s3, _s, ms3 = request(
                        base, token, "POST", f"/orders/{order['id']}/shipments", {"dispatch": True}
                    )
                    steps.append((s3, ms3))
                    s4, _i, ms4 = request(base, token, "GET", f"/orders/{order['id']}/invoices")
                    steps.append((s4, ms4))
                with lock:
                    for code, ms in steps:
                        latencies.append(ms)
                        if code >= 400:
                            errors.append(code)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        orders_done = per_client * args.clients
        list_ms = []
        cursor = None
        for _ in range(40):
            path = "/orders?limit=50" + (f"&cursor={cursor}" if cursor else "")
            _status, page, ms = request(base, token, "GET", path)
            list_ms.append(ms)
            cursor = page.get("next")
            if not cursor:
                cursor = None
        # Progress-axis filters: one the flow's orders match (shipped, the newest), one that
        # matches nothing, so every one of the orders is checked (the worst case).
        filtered = {}
        for name, query in (
            ("shipped", "fulfilment_status=shipped"),
            ("no_match", "invoice_status=partially_invoiced"),
        ):
            times = [request(base, token, "GET", f"/orders?limit=50&{query}")[2] for _ in range(5)]
            filtered[name] = percentile(times, 50)
        print(
            f"clients={args.clients} orders={orders_done} bulk_orders={args.bulk} elapsed_s={elapsed:.1f}"
        )
        print(
            "filtered_list_p50_ms " + " ".join(f"{name}={ms:.0f}" for name, ms in filtered.items())
        )
        print(
            f"orders_per_s={orders_done / elapsed:.1f} requests_per_s={len(latencies) / elapsed:.1f} "
            f"p50_ms={percentile(latencies, 50):.0f} p95_ms={percentile(latencies, 95):.0f} "
            f"p99_ms={percentile(latencies, 99):.0f} errors={len(errors)} "
            f"list_p50_ms={percentile(list_ms, 50):.0f} list_p95_ms={percentile(list_ms, 95):.0f}"
        )
        return 1 if errors else 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
