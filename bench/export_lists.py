"""List exports at scale: rows/s and peak memory of ``imports.exports`` for the customers and
orders lists, CSV and XLSX, at two sizes, so that memory not growing with the rows shows.

    python bench/export_lists.py --db sqlite --rows 100000
    python bench/export_lists.py --db postgres --rows 100000   # database ordercrm_h_export

Builds a throw-away database (or ``--reuse URL`` an earlier run's), writes ``--rows``
customers and ``--rows`` confirmed orders directly (bulk inserts: list data only), then
exports each list under ``tracemalloc`` (peak MB of Python allocations while exporting; the
file is written to /dev/null, as a streamed download would be sent) for about a tenth of the
rows and for all of them (the same peak: memory does not grow with rows), and all of them
once more without tracemalloc for rows/s. Prints one line per kind × format × size:
``kind=orders fmt=csv rows=100000 seconds=… rows_per_s=… peak_mb=…``, and the process's
maximum resident size at the end.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_DB = "ordercrm_h_export"


def setup_database(kind: str, reuse: str = "") -> None:
    if reuse:
        url = reuse
    elif kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/export-bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {PG_DB}")
        url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world(rows: int):
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.core.ids import new_id
    from ordercrm.core.services import company_create
    from ordercrm.customers.models import Customer
    from ordercrm.sales.models import SalesOrder

    company = company_create(code="export", name="Export bench")
    admin = user_create(
        username="export", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    today = datetime.date(2026, 6, 1)
    batch = 5000
    for start in range(0, rows, batch):
        chunk = [
            Customer(
                id=new_id(),
                company=company,
                code=f"C{n:07d}",
                name=f"客户 Customer {n} 有限公司",
                language="zh-hans",
                currency="CNY",
                owner=admin,
                phone=f"+86 21 {n:08d}",
                credit_limit=Decimal("50000.00"),
            )
            for n in range(start, min(start + batch, rows))
        ]
        Customer.objects.bulk_create(chunk)
    first = list(Customer.objects.for_company(company).order_by("code")[:200])
    for start in range(0, rows, batch):
        SalesOrder.objects.bulk_create(
            SalesOrder(
                id=new_id(),
                company=company,
                number=f"SO-2026-{n:07d}",
                status="confirmed",
                customer=first[n % len(first)],
                salesperson=admin,
                currency="CNY",
                exchange_rate=Decimal(1),
                order_date=today - datetime.timedelta(days=n % 365),
                customer_reference=f"PO-{n}",
                net_total=Decimal("990.00"),
                tax_total=Decimal("128.70"),
                gross_total=Decimal("1118.70"),
                line_count=1,
                shipping_policy="ship_as_available",
            )
            for n in range(start, min(start + batch, rows))
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return company, admin


def measure(access, kind: str, fmt: str, raw: dict, traced: bool):
    from ordercrm.imports import exports

    found = exports.export(access, kind, raw, fmt)
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in found.chunks():
            size += len(chunk)
            sink.write(chunk)
    seconds = time.perf_counter() - start
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return seconds, size, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reuse", default="", help="DATABASE_URL of an earlier run's data")
    args = parser.parse_args()
    setup_database(args.db, args.reuse)
    from django.contrib.auth import get_user_model
    from django.utils import translation

    from ordercrm.accounts.access import access_for
    from ordercrm.core.models import Company
    from ordercrm.imports import exports

    start = time.perf_counter()
    if args.reuse:
        company = Company.objects.get(code="export")
        admin = get_user_model().objects.get(username="export")
    else:
        company, admin = world(args.rows)
        print(f"wrote {args.rows} customers and orders in {time.perf_counter() - start:.1f}s")
    access = access_for(admin, company)
    # the smaller size (about a tenth) through a filter on the same data: customer codes
    # C000…, the orders of the latest 36 days
    days = 36
    since = (datetime.date(2026, 6, 1) - datetime.timedelta(days=days - 1)).isoformat()
    with translation.override("zh-hans"):
        for kind, raw_small in (("customers", {"q": "C000"}), ("orders", {"from": since})):
            for fmt in ("csv", "xlsx"):
                for raw in (raw_small, {}):
                    count = exports.export(access, kind, raw, fmt).count()
                    _, size, peak = measure(access, kind, fmt, raw, traced=True)
                    seconds = float("nan")
                    if raw == {}:  # rows/s of the whole list, without tracemalloc's cost
                        seconds, size, _ = measure(access, kind, fmt, raw, traced=False)
                    print(
                        f"kind={kind} fmt={fmt} rows={count} seconds={seconds:.2f} "
                        f"rows_per_s={count / seconds:,.0f} file_mb={size / 1e6:.1f} "
                        f"peak_mb={peak:.1f}",
                        flush=True,
                    )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {maxrss:.0f} MB (data generation included)")


if __name__ == "__main__":
    main()
