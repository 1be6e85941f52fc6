"""Import throughput: customers and price-list rows through the import jobs (preview, then
apply), the same code the wizard's background task and ``ordercrm import`` run.

    python bench/import_masterdata.py --db sqlite --customers 2000 --prices 2000
    python bench/import_masterdata.py --db postgres            # 100,000 of each

Prints, per kind, rows/s for the preview and for the apply, and the peak memory of the run
(``ru_maxrss`` of the process, and Python's own allocations by ``tracemalloc`` with
``--tracemalloc``, which slows the run). It builds a throw-away database (a temp SQLite
file, or recreates ``ordercrm_h_import`` on the local PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_database(kind: str, name: str) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        url = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world(products: int):
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.catalog.models import Product, TaxRate, Unit
    from ordercrm.catalog.services import price_list_create
    from ordercrm.core.services import company_create

    company = company_create(code="bench", name="Bench")
    user = user_create(
        username="bench", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    unit = Unit.objects.for_company(company).get(code="pcs")
    tax = TaxRate.objects.for_company(company).filter(is_default=True).first()
    # set-up, not measured: the products the price rows name
    Product.objects.bulk_create(
        [
            Product(
                company=company,
                sku=f"S{i:06d}",
                name=f"Product {i}",
                unit=unit,
                tax_rate=tax,
                list_price=Decimal("10.00"),
            )
            for i in range(products)
        ],
        batch_size=2000,
    )
    price_list_create(company=company, actor=user, name="Dealers", currency="CNY")
    return company, user


def customers_file(n: int) -> bytes:
    from ordercrm.core.spreadsheets import write_csv

    header = ["客户代码", "客户名称", "电话", "联系人", "收货地址", "收货城市"]
    rows = (
        [f"B{i:06d}", f"客户 {i} 有限公司", f"138{i:08d}", f"联系人{i}", f"路{i}号", "上海"]
        for i in range(n)
    )
    return write_csv(header, rows)


def prices_file(n: int, products: int) -> bytes:
    from ordercrm.core.spreadsheets import write_csv

    tiers = max(1, -(-n // products))
    rows = (
        ["Dealers", f"S{i // tiers:06d}", str((i % tiers) * 10), f"{9 - (i % tiers) * 0.5:.2f}"]
        for i in range(n)
    )
    return write_csv(["价目表", "产品编码", "起订量", "单价"], rows)


def run(company, user, kind: str, content: bytes) -> dict:
    from ordercrm.imports import services

    job = services.import_upload(
        company=company, actor=user, kind=kind, file_name=f"{kind}.csv", content=content
    )
    job = services.import_mapping_set(job=job, actor=user, mapping=job.mapping)
    figures = {"rows": job.total_rows}
    for step, start in (("preview", services.import_preview), ("apply", services.import_apply)):
        job = start(job=job, actor=user, enqueue=False)
        began, cpu = time.perf_counter(), time.process_time()
        job = services.import_run(job.pk)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        assert not job.failure, job.failure
        figures[f"{step}_rows_per_s"] = round(job.total_rows / elapsed, 1)
        # on a shared machine the wall clock measures the neighbours too: CPU time of this
        # process (SQLite runs inside it; PostgreSQL's own work is not counted) is steadier
        figures[f"{step}_rows_per_cpu_s"] = round(job.total_rows / cpu, 1)
        figures[f"{step}_counts"] = {str(k): v for k, v in job.counts.items()}
        print(
            f"  {kind} {step}: {job.total_rows} rows in {elapsed:.1f} s ({cpu:.1f} s CPU)",
            flush=True,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database", default="ordercrm_h_import")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--prices", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    setup_database(args.db, args.database)
    company, user = world(min(args.products, max(args.prices, 1)))
    if args.tracemalloc:
        tracemalloc.start()
    results = {
        "customers": run(company, user, "customers", customers_file(args.customers)),
        "price_list_items": run(
            company, user, "price_list_items", prices_file(args.prices, args.products)
        ),
    }
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"db={args.db}")
    for kind, figures in results.items():
        print(
            f"{kind}: rows={figures['rows']} preview_rows_per_s={figures['preview_rows_per_s']} "
            f"apply_rows_per_s={figures['apply_rows_per_s']} "
            f"preview_rows_per_cpu_s={figures['preview_rows_per_cpu_s']} "
            f"apply_rows_per_cpu_s={figures['apply_rows_per_cpu_s']} "
            f"preview={figures['preview_counts']} apply={figures['apply_counts']}"
        )
    line = f"peak_rss_mb={peak_rss_mb:.0f} load_average={os.getloadavg()[0]:.1f}"
    if args.tracemalloc:
        line += f" peak_python_alloc_mb={tracemalloc.get_traced_memory()[1] / 2**20:.0f}"
    print(line)


if __name__ == "__main__":
    main()
