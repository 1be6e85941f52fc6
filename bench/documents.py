"""Document PDFs: an order, an invoice and a 500-line invoice, in en and zh-Hans, warm and
cold, next to the uncached path (a new font set-up, stylesheet parse and the full system CJK
faces per document: how every PDF was made before) measured in the same run.

    python bench/documents.py                 # SQLite throw-away database
    python bench/documents.py --db postgres   # ordercrm_bench_docs on the local PostgreSQL
    python bench/documents.py --repeat 7

Warm = median of ``--repeat`` renders in this process after one; CPU = this process's CPU
time for it (the machine is shared: wall time includes waiting for a core). Cold = the first
document of a new process (import of WeasyPrint and Pango, font set-up; the cut-down fonts
already on disk), measured in a child process. Each PDF is checked: pdftotext finds the
document's number, customer, a product and its title; pdffonts lists an embedded subset
font and, for zh-Hans, the cut-down Noto Sans CJK SC.

The last line is ``order_warm_ms=… invoice_warm_ms=… invoice500_warm_ms=… speedup=…``
(speedup: uncached warm / cached warm, median over the documents).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_NAME = "ordercrm_bench_docs"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()


def make_database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/docs.sqlite3"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        c.execute(f"CREATE DATABASE {PG_NAME}")
    return f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"


def build() -> dict:
    """A company, a Chinese customer, an order of 5 lines invoiced on order, and one of 500."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.billing.models import Invoice
    from ordercrm.catalog.models import Unit
    from ordercrm.catalog.services import product_create
    from ordercrm.core.services import company_create
    from ordercrm.customers.services import customer_create
    from ordercrm.sales import services

    company = company_create(code="docs", name="上海文档科技有限公司")
    user = user_create(
        username="docs", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    customer = customer_create(
        company=company, actor=user, name="上海明达机电设备有限公司", language="zh-hans"
    )
    unit = Unit.objects.for_company(company).get(code="pcs")
    products = [
        product_create(
            company=company,
            actor=user,
            sku=f"QF-{i:03d}",
            name=f"不锈钢球阀 DN{i} stainless ball valve",
            unit=unit,
            list_price=Decimal("12.50"),
        )
        for i in range(50)
    ]

    def order_of(n):
        order = services.order_create(
            company=company,
            actor=user,
            customer=customer,
            invoicing_policy="on_order",
            lines=[
                {"product": products[i % len(products)], "quantity": Decimal(i % 7 + 1)}
                for i in range(n)
            ],
        )
        return services.order_submit(order=order, actor=user)

    small, large = order_of(5), order_of(500)
    invoice = Invoice.objects.for_company(company).get(order=small)
    invoice500 = Invoice.objects.for_company(company).get(order=large)
    return {
        "order": str(small.pk),
        "invoice": str(invoice.pk),
        "invoice500": str(invoice500.pk),
        "numbers": {
            "order": small.number,
            "invoice": invoice.number,
            "invoice500": invoice500.number,
        },
        "customer": customer.name,
    }


def renderer(kind: str, pk: str, cached: bool = True):
    """A function rendering document ``kind`` (fetching it each time, as a request does)."""
    from ordercrm.billing import selectors as billing
    from ordercrm.billing.models import Invoice
    from ordercrm.core import documents
    from ordercrm.sales.documents import render_order_pdf
    from ordercrm.sales.models import SalesOrder

    def run(language):
        if kind == "order":
            order = SalesOrder.objects.unscoped().select_related("customer", "company").get(pk=pk)
            return render_order_pdf(order, language)
        invoice = Invoice.objects.unscoped().select_related("customer", "order__company").get(pk=pk)
        return billing.render_invoice_pdf(invoice, language)

    if cached:
        return run

    def uncached(language):
        with documents.uncached():
            return run(language)

    return uncached


def timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def check(pdf: bytes, expected: list[str], language: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        text = subprocess.run(
            ["pdftotext", "-layout", file.name, "-"],  # noqa: S607 (Debian's poppler-utils)
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        fonts = subprocess.run(
            ["pdffonts", file.name],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    missing = [x for x in expected if x not in text]
    if "\ufffd" in text:
        missing.append("U+FFFD")
    font_rows = [row.split()[0] for row in fonts.splitlines()[2:]]
    if not font_rows or not all("+" in name for name in font_rows):
        missing.append(f"subset fonts ({font_rows})")
    if language == "zh-hans" and not any("Noto-Sans-CJK-SC" in name for name in font_rows):
        missing.append("Noto Sans CJK SC")
    return "ok" if not missing else "MISSING " + ", ".join(missing)


def child(args) -> None:
    """Cold: import, set-up and the first document of a new process."""
    setup_django(args.url)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    renderer(args.kind, args.pk)(args.language)
    print(
        json.dumps(
            {
                "wall": (time.perf_counter() - start_wall) * 1000,
                "cpu": (time.process_time() - start_cpu) * 1000,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--pk", help=argparse.SUPPRESS)
    parser.add_argument("--language", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    url = make_database(args.db)
    setup_django(url)
    world = build()
    from ordercrm.core import document_fonts

    document_fonts.faces()  # the cut-down fonts on disk, as on any machine after its first PDF
    titles = {
        ("order", "en"): "Order confirmation",
        ("order", "zh-hans"): "订单确认",
        ("invoice", "en"): "Invoice",
        ("invoice", "zh-hans"): "发票",
    }
    print(
        f"database={args.db} repeat={args.repeat} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'document':<11} {'lang':<8} {'cold_ms':>8} {'warm_ms':>8} {'warm_cpu':>8} "
        f"{'old_ms':>8} {'old_cpu':>8} {'speedup':>7}  check"
    )
    figures, speedups = {}, []
    for kind in ("order", "invoice", "invoice500"):
        for language in ("en", "zh-hans"):
            cold = json.loads(
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "--url",
                        url,
                        "--kind",
                        kind,
                        "--pk",
                        world[kind],
                        "--language",
                        language,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            repeat = args.repeat if kind != "invoice500" else max(2, args.repeat // 2)
            new, old = renderer(kind, world[kind]), renderer(kind, world[kind], cached=False)
            pdf, _w, _c = timed(new, language)
            timed(old, language)
            warm, warm_cpu, was, was_cpu = [], [], [], []
            for _ in range(repeat):  # interleaved, so both see the same machine load
                pdf, wall, cpu = timed(new, language)
                warm.append(wall)
                warm_cpu.append(cpu)
                _pdf, wall, cpu = timed(old, language)
                was.append(wall)
                was_cpu.append(cpu)
            title = titles[("invoice" if kind == "invoice500" else kind, language)]
            verdict = check(
                pdf, [world["numbers"][kind], world["customer"], "QF-001", title], language
            )
            speedup = statistics.median(was_cpu) / statistics.median(warm_cpu)
            speedups.append(speedup)
            figures.setdefault(kind, []).append(statistics.median(warm_cpu))
            print(
                f"{kind:<11} {language:<8} {cold['wall']:>8.0f} {statistics.median(warm):>8.0f} "
                f"{statistics.median(warm_cpu):>8.0f} {statistics.median(was):>8.0f} "
                f"{statistics.median(was_cpu):>8.0f} {speedup:>6.1f}×  {verdict}"
            )
    print(
        f"order_warm_ms={max(figures['order']):.0f} invoice_warm_ms={max(figures['invoice']):.0f} "
        f"invoice500_warm_ms={max(figures['invoice500']):.0f} "
        f"speedup={statistics.median(speedups):.1f} (warm CPU ms, worst language)"
    )


if __name__ == "__main__":
    main()
