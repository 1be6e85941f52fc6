"""Order throughput: create and confirm N orders of 5 lines through the services, next to a
raw-SQL floor doing the same inserts and updates directly, in the same run.

    python bench/order_throughput.py --db sqlite --n 200
    python bench/order_throughput.py --db postgres --n 200

Prints figures and, last, ``orders_per_s=X floor_orders_per_s=Y ratio=Z order500_s=W``.
It builds a throw-away database (a temp SQLite file, or ``ordercrm_bench`` on the local
PostgreSQL) so it never touches real data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_database(kind: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute("DROP DATABASE IF EXISTS ordercrm_bench")
            conn.execute("CREATE DATABASE ordercrm_bench")
        url = "postgres://postgres@127.0.0.1:5432/ordercrm_bench"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def world():
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.catalog.models import Unit
    from ordercrm.catalog.services import product_create
    from ordercrm.core.services import company_create
    from ordercrm.customers.services import customer_create

    company = company_create(code="bench", name="Bench")
    user = user_create(
        username="bench", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    customer = customer_create(company=company, actor=user, name="Bench customer")
    unit = Unit.objects.for_company(company).get(code="pcs")
    products = [
        product_create(
            company=company,
            actor=user,
            sku=f"B{i:03d}",
            name=f"P{i}",
            unit=unit,
            list_price=Decimal("9.99"),
        )
        for i in range(50)
    ]
    return company, user, customer, products


def through_services(company, user, customer, products, n: int, lines_per_order: int = 5) -> float:
    from ordercrm.sales import services

    start = time.perf_counter()
    for i in range(n):
        lines = [
            {"product": products[(i + j) % len(products)], "quantity": Decimal(j + 1)}
            for j in range(lines_per_order)
        ]
        order = services.order_create(company=company, actor=user, customer=customer, lines=lines)
        services.order_submit(order=order, actor=user)
    return time.perf_counter() - start


def raw_floor(company, user, customer, products, n: int) -> float:
    """The same rows written directly: order insert, 5 line inserts, audit + event rows,
    number sequence update, then the confirm update with its audit + event rows."""
    from django.db import connection, transaction

    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    order_table, line_table = SalesOrder._meta.db_table, SalesOrderLine._meta.db_table
    placeholder = "%s"
    start = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_numbersequence SET last_value = last_value + 1 WHERE company_id = %s AND key = 'SOBENCH'",
                [company.pk.hex if connection.vendor == "sqlite" else company.pk],
            )
            order_id = uuid.uuid4()
            oid = order_id.hex if connection.vendor == "sqlite" else order_id
            cid = company.pk.hex if connection.vendor == "sqlite" else company.pk
            now = "2026-11-27 00:00:00"
            cursor.execute(
                f"INSERT INTO {order_table} (id, company_id, created_at, updated_at, number, status, customer_id, billing_address, shipping_address, currency, order_date, invoicing_policy, shipping_policy, amount_invoiced, credit_hold, approval_fingerprint, customer_reference, notes, discount_percent, net_total, tax_total, gross_total, amount_paid, version, revision, line_count, hold_reason, status_reason) "
                f"VALUES ({', '.join([placeholder] * 28)})",
                [
                    oid,
                    cid,
                    now,
                    now,
                    f"RAW-{i}",
                    "draft",
                    customer.pk.hex if connection.vendor == "sqlite" else customer.pk,
                    "{}",
                    "{}",
                    "CNY",
                    "2026-11-27",
                    "on_shipment",
                    "ship_as_available",
                    0,
                    False,
                    "",
                    "",
                    "",
                    0,
                    49.95,
                    6.49,
                    56.44,
                    0,
                    1,
                    0,
                    5,
                    "",
                    "",
                ],
            )
            rows = []
            for j in range(5):
                lid = uuid.uuid4()
                rows.append(
                    [
                        lid.hex if connection.vendor == "sqlite" else lid,
                        cid,
                        now,
                        now,
                        oid,
                        j + 1,
                        "product",
                        "x",
                        j + 1,
                        9.99,
                        9.99,
                        False,
                        0,
                        13,
                        9.99,
                        1.30,
                        11.29,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                    ]
                )
            cursor.executemany(
                f"INSERT INTO {line_table} (id, company_id, created_at, updated_at, order_id, position, kind, description, quantity, unit_price, list_unit_price, price_overridden, discount_percent, tax_percent, net, tax, gross, unit_cost, qty_reserved, qty_shipped, qty_returned, qty_invoiced, qty_credited, qty_closed) "
                f"VALUES ({', '.join([placeholder] * 24)})",
                rows,
            )
            for action in ("create", "confirm"):
                eid = uuid.uuid4()
                cursor.execute(
                    "INSERT INTO core_auditentry (id, company_id, created_at, updated_at, source, entity_type, entity_id, entity_label, action, changes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        eid.hex if connection.vendor == "sqlite" else eid,
                        cid,
                        now,
                        now,
                        "system",
                        "sales.salesorder",
                        str(order_id),
                        "",
                        action,
                        "{}",
                    ],
                )
                vid = uuid.uuid4()
                cursor.execute(
                    "INSERT INTO core_event (id, company_id, created_at, updated_at, type, entity_type, entity_id, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        vid.hex if connection.vendor == "sqlite" else vid,
                        cid,
                        now,
                        now,
                        f"order.{action}",
                        "sales.salesorder",
                        str(order_id),
                        "{}",
                    ],
                )
            cursor.execute(
                f"UPDATE {order_table} SET status = 'confirmed', version = version + 1, exchange_rate = 1 WHERE id = %s",
                [oid],
            )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    setup_database(args.db)
    from ordercrm.core.context import change_source

    with change_source("system"):
        company, user, customer, products = world()
        through_services(company, user, customer, products, 5)  # warm-up: caches, sequences
        service_s = through_services(company, user, customer, products, args.n)
        floor_s = raw_floor(company, user, customer, products, args.n)
        order500_s = through_services(company, user, customer, products, 1, lines_per_order=500)
    orders_per_s, floor_per_s = args.n / service_s, args.n / floor_s
    print(f"database: {args.db}, orders: {args.n} x 5 lines (create + confirm each)")
    print(
        f"services: {service_s:.2f} s, raw SQL floor: {floor_s:.2f} s, one 500-line order: {order500_s:.2f} s"
    )
    print(
        f"orders_per_s={orders_per_s:.1f} floor_orders_per_s={floor_per_s:.1f} ratio={floor_per_s / orders_per_s:.2f} order500_s={order500_s:.3f}"
    )


if __name__ == "__main__":
    main()
