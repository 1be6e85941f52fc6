"""A company with N sales orders on PostgreSQL, for the analytics benchmark (issue 19 item 6).

    python bench/generate_orders.py --orders 10000
    python bench/generate_orders.py --orders 100000
    python bench/generate_orders.py --orders 1000000          # target: under 20 minutes

Builds the database ``ordercrm_bench_<N>`` (dropped first; ``--database`` to name another)
on the local PostgreSQL, migrates it and creates, through the services, a company (CNY,
Asia/Shanghai) with four sales teams, a manager and ten reps each, an administrator, 20
categories and 400 products. Then it writes, with ``COPY``, three years of history up to
today:

- **customers** (N / 20, at least 50), each owned by a rep, with a shipping address in one
  of 31 provinces; 5 % buy in USD. Their sizes are lognormal (a few large accounts, a long
  tail), each with its own favourite products and its own rhythm; 15 % start late (new),
  20 % stop early (lapsed).
- **orders** spread over the days by a seasonal intensity (a Q4 peak, a dip at the Chinese
  New Year, quiet weekends, 12 % growth a year), 1–9 lines (mostly from the customer's
  favourites), discounts on some; 3 % cancelled; 1 % shared 60 / 40 between two reps of a
  team (credit splits). Recent orders are still drafts, awaiting approval or confirmed.
- **shipments** 1–10 days after the order, each with its **invoice** on the dispatch day;
  **payments** 0–75 days later (90 % in full, 5 % half, the rest open); **returns** of 3 %
  of shipped orders 5–40 days after dispatch, each with its **credit note** (a paid invoice's
  allocation releases the credited amount as customer credit, as ``credit_note_create`` does).

Then the sales facts: ``refresh.rebuild`` (the same rule as the worker's; ``--no-rebuild``
to skip). Prints each phase's seconds and, last, ``orders=… seconds=… rebuild_s=…``.
``bench/analytics_latency.py --database ordercrm_bench_<N>`` measures the pages on it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import sys
import time
import uuid
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

PASSWORD = "ordercrm-bench"
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
TAX = Decimal("0.13")
YEARS = 3
CHUNK = 20_000
PROVINCES = [
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省",
    "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
]  # fmt: skip
# Most business in the east and south
PROVINCE_WEIGHTS = np.array(
    [6, 3, 3, 1, 1, 2, 1, 1, 9, 10, 10, 3, 5, 2, 6, 4, 4, 3, 12, 2, 1, 3, 4, 1, 2, 0.2, 2, 1,
     0.3, 0.3, 0.5]
)  # fmt: skip
METHODS = ["bank_transfer"] * 7 + ["alipay", "wechat_pay", "cheque", "card"]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Ids:
    """Time-ordered UUIDs (v7 layout: a millisecond prefix, then a counter), so that the
    primary-key indexes are appended to rather than split at random, as with ``new_id``."""

    def __init__(self):
        self.base = (int(time.time() * 1000) << 80) | (0x7 << 76) | (0b10 << 62)
        self.n = 0

    def __call__(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(int=self.base | (self.n & ((1 << 62) - 1)) | ((self.n >> 62) << 64))


def bench_server() -> str:
    """``user@host:port`` of the PostgreSQL the benchmarks use: ``BENCH_PG`` (e.g. a
    throwaway primary with a streaming replica, docs/scaling.md), else the local one."""
    return os.environ.get("BENCH_PG", "postgres@127.0.0.1:5432")


def setup_database(name: str) -> str:
    import psycopg

    server = bench_server()
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{server}/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


class Table:
    """A model's columns with their defaults, and rows written by ``COPY``."""

    def __init__(self, model, now):
        from django.db.models import NOT_PROVIDED
        from psycopg.types.json import Jsonb

        self.model = model
        self.columns, self.defaults = [], []
        for field in model._meta.concrete_fields:
            self.columns.append(field.column)
            if field.column in ("created_at", "updated_at"):
                default = now
            elif field.default is not NOT_PROVIDED:
                default = field.default() if callable(field.default) else field.default
                if hasattr(default, "value") and isinstance(default, str):
                    default = default.value
            elif field.null:
                default = None
            else:
                default = ""
            if isinstance(default, dict | list):
                default = Jsonb(default)
            self.defaults.append(default)
        self.index = {c: i for i, c in enumerate(self.columns)}
        self.rows: list = []

    def add(self, **values) -> None:
        row = list(self.defaults)
        index = self.index
        for key, value in values.items():
            row[index[key]] = value
        self.rows.append(row)

    def flush(self, cursor) -> int:
        if not self.rows:
            return 0
        table = self.model._meta.db_table
        with cursor.copy(f'COPY "{table}" ({", ".join(self.columns)}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row(row)
        written = len(self.rows)
        self.rows = []
        return written


def seasonal_days(today: datetime.date, rng) -> tuple[list[datetime.date], np.ndarray]:
    """The days of the window and the cumulative share of orders up to each (seasonality,
    weekends, Chinese New Year, growth)."""
    first = today - datetime.timedelta(days=365 * YEARS)
    days = [first + datetime.timedelta(days=i) for i in range((today - first).days + 1)]
    # Chinese New Year (approximate), the factories close for about two weeks
    new_years = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26)}
    weights = []
    for i, day in enumerate(days):
        w = 1.0 + 0.25 * math.cos((day.month - 11) / 12 * 2 * math.pi)  # Q4 peak
        w *= 0.15 if day.weekday() == 6 else 0.45 if day.weekday() == 5 else 1.0
        cny = new_years.get(day.year)
        if cny:
            delta = (day - datetime.date(day.year, *cny)).days
            if -3 <= delta <= 10:
                w *= 0.1
        w *= 1.12 ** (i / 365)
        weights.append(w)
    cumulative = np.cumsum(weights)
    return days, cumulative / cumulative[-1]


def world(args):
    """Company, teams, people, categories, products: through the services."""
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import team_create, user_create
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxRate, Unit
    from ordercrm.core.services import company_create
    from ordercrm.inventory.models import Warehouse

    company = company_create(
        code="bench", name="Bench Trading 基准贸易", base_currency="CNY", timezone="Asia/Shanghai"
    )
    admin = user_create(
        username="bench-admin",
        password=PASSWORD,
        company=company,
        role=Role.ADMIN,
        check_password=False,
    )
    teams, managers, reps = [], [], []
    for t, name in enumerate(["华东 East", "华南 South", "华北 North", "西部 West"]):
        team = team_create(company=company, name=name, actor=admin)
        teams.append(team)
        managers.append(
            user_create(
                username=f"bench-mgr{t + 1}",
                password=PASSWORD,
                company=company,
                role=Role.SALES_MANAGER,
                team=team,
                check_password=False,
                first_name=f"Manager {t + 1}",
            )
        )
        for r in range(10):
            reps.append(
                user_create(
                    username=f"bench-rep{t * 10 + r + 1:02d}",
                    password=PASSWORD,
                    company=company,
                    role=Role.SALES_REP,
                    team=team,
                    check_password=False,
                    first_name=f"Rep {t * 10 + r + 1:02d}",
                )
            )
            reps[-1].membership_team_id = team.pk  # customers and orders carry it
    unit = Unit.objects.for_company(company).get(code="pcs")
    tax = TaxRate.objects.for_company(company).get(is_default=True)
    categories = [
        catalog.category_create(company=company, actor=admin, name=f"品类 Category {c + 1:02d}")
        for c in range(20)
    ]
    rng = random.Random(args.seed)
    products = []
    for p in range(400):
        price = money(Decimal(str(round(math.exp(rng.uniform(math.log(5), math.log(5000))), 2))))
        products.append(
            catalog.product_create(
                company=company,
                actor=admin,
                sku=f"P{p + 1:04d}",
                name=f"产品 Product {p + 1:04d}",
                unit=unit,
                category=categories[p % 20],
                list_price=price,
                cost=money(price * Decimal("0.62")),
                tax_rate=tax,
            )
        )
    warehouse = Warehouse.objects.for_company(company).order_by("sequence", "code").first()
    return company, admin, teams, managers, reps, products, unit, tax, warehouse


def generate(args) -> dict:
    from django.db import connection
    from django.utils import timezone

    from ordercrm.analytics.models import CreditSplit
    from ordercrm.billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
    from ordercrm.catalog.services import exchange_rate_set
    from ordercrm.core.models import NumberSequence
    from ordercrm.customers.models import Address, Customer
    from ordercrm.fulfilment.models import ReturnLine, ReturnReceipt, Shipment, ShipmentLine
    from ordercrm.inventory.models import StockLevel
    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    timings = {}
    started = time.perf_counter()
    company, admin, _teams, _managers, reps, products, unit, tax, warehouse = world(args)
    timings["world_s"] = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    ids = Ids()
    now = timezone.now()
    today = now.astimezone(TZ).date()
    days, share = seasonal_days(today, rng)
    for year in range(today.year - YEARS, today.year + 1):
        exchange_rate_set(
            company=company,
            actor=admin,
            currency="USD",
            date=datetime.date(year, 1, 1),
            rate=str(Decimal("7.05") + Decimal(year % 4) * Decimal("0.05")),
        )

    def usd_rate(day: datetime.date) -> Decimal:
        return Decimal("7.05") + Decimal(day.year % 4) * Decimal("0.05")

    tables = {
        m: Table(m, now)
        for m in (
            Customer,
            Address,
            SalesOrder,
            SalesOrderLine,
            Shipment,
            ShipmentLine,
            Invoice,
            InvoiceLine,
            Payment,
            PaymentAllocation,
            ReturnReceipt,
            ReturnLine,
            CreditSplit,
            StockLevel,
        )
    }
    counts = dict.fromkeys(("orders", "lines", "shipments", "invoices", "payments", "returns"), 0)
    cursor = connection.cursor().cursor  # psycopg's, for COPY

    def flush_all():
        for table in tables.values():
            table.flush(cursor)

    # ------------------------------------------------------------------ customers
    t0 = time.perf_counter()
    n_customers = max(50, args.orders // 20)
    sizes = rng.lognormal(0, 1.1, n_customers)
    start_at = np.where(rng.random(n_customers) < 0.15, rng.uniform(0.2, 0.9, n_customers), 0.0)
    end_at = np.where(rng.random(n_customers) < 0.2, rng.uniform(0.3, 0.95, n_customers), 1.0)
    end_at = np.maximum(end_at, start_at + 0.08)
    weight = sizes * (np.minimum(end_at, 1) - start_at)
    per_customer = rng.multinomial(args.orders, weight / weight.sum())
    province = rng.choice(len(PROVINCES), n_customers, p=PROVINCE_WEIGHTS / PROVINCE_WEIGHTS.sum())
    usd = rng.random(n_customers) < 0.05
    owner = rng.integers(0, len(reps), n_customers)
    customers = []
    for c in range(n_customers):
        cid = ids()
        rep = reps[owner[c]]
        favourites = rng.choice(len(products), int(rng.integers(4, 16)), replace=False)
        address = {
            "recipient": f"收货人 {c + 1}",
            "phone": f"138{c:08d}",
            "line1": f"{c % 900 + 1} 号 Road {c % 97 + 1}",
            "line2": "",
            "city": f"City {province[c] + 1}",
            "region": PROVINCES[province[c]],
            "postal_code": f"{200000 + c % 99999:06d}",
            "country": "CN",
        }
        customers.append(
            {
                "id": cid,
                "rep": rep,
                "team_id": rep.membership_team_id,
                "favourites": favourites,
                "currency": "USD" if usd[c] else "CNY",
                "address": address,
            }
        )
        tables[Customer].add(
            id=cid,
            company_id=company.pk,
            code=f"C{c + 1:07d}",
            name=f"客户 Customer {c + 1} 有限公司",
            kind="company",
            language="en" if usd[c] else "zh-hans",
            currency="USD" if usd[c] else "CNY",
            owner_id=rep.pk,
            team_id=rep.membership_team_id,
            email=f"buyer{c + 1}@example.com",
        )
        tables[Address].add(
            id=ids(),
            company_id=company.pk,
            customer_id=cid,
            kind="shipping",
            is_default=True,
            **address,
        )
    for product in products:
        tables[StockLevel].add(
            id=ids(),
            company_id=company.pk,
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            on_hand=Decimal(int(rng.integers(50, 5000))),
        )
    flush_all()
    timings["customers_s"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ the orders' days
    t0 = time.perf_counter()
    owners = np.repeat(np.arange(n_customers), per_customer)
    position = np.concatenate([np.arange(k) for k in per_customer if k] or [np.array([], int)])
    total = np.repeat(per_customer, per_customer)
    first, last = start_at[owners], end_at[owners]
    jitter = rng.normal(0, 0.3, len(owners)).clip(-0.49, 0.49)
    u = first + (last - first) * (position + 0.5 + jitter) / total
    day_index = np.searchsorted(share, u.clip(0, 1 - 1e-12))
    order_by_day = np.lexsort((owners, day_index))
    timings["plan_s"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ documents
    t0 = time.perf_counter()
    numbers: dict = {}

    def number(prefix: str, year: int) -> str:
        value = numbers[(prefix, year)] = numbers.get((prefix, year), 0) + 1
        return f"{prefix}-{year}-{value:06d}"

    def moment(day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, 30, tzinfo=TZ)

    prices = [p.list_price for p in products]
    rand = rng.random
    for done, k in enumerate(order_by_day, 1):
        c = customers[owners[k]]
        order_day = days[day_index[k]]
        age = (today - order_day).days
        roll = float(rand())
        if age < 3 and roll < 0.3:
            status = "draft"
        elif age < 7 and roll < 0.4:
            status = "pending_approval"
        elif roll > 0.97:
            status = "cancelled"
        else:
            status = "booked"
        currency = c["currency"]
        rate = usd_rate(order_day) if currency == "USD" else Decimal(1)
        order_id = ids()
        n_lines = min(9, 1 + int(rng.geometric(0.4)))
        picks = []
        for _ in range(n_lines):
            if rand() < 0.8:
                picks.append(int(c["favourites"][int(rand() * len(c["favourites"]))]))
            else:
                picks.append(int(rand() * len(products)))
        picks = list(dict.fromkeys(picks))
        lines = []
        for pos, p in enumerate(picks, 1):
            quantity = Decimal(max(1, int(rng.lognormal(1.6, 0.9))))
            price = prices[p] if currency == "CNY" else money(prices[p] / Decimal("7.1"))
            discount = Decimal((0, 0, 0, 5, 10)[int(rand() * 5)])
            net = money(quantity * price * (100 - discount) / 100)
            line_tax = money(net * TAX)
            lines.append(
                {
                    "id": ids(),
                    "product": products[p],
                    "position": pos,
                    "quantity": quantity,
                    "unit_price": price,
                    "discount": discount,
                    "net": net,
                    "tax": line_tax,
                    "gross": net + line_tax,
                    "shipped": Decimal(0),
                    "returned": Decimal(0),
                    "invoiced": Decimal(0),
                    "credited": Decimal(0),
                }
            )
        net_total = sum((x["net"] for x in lines), Decimal(0))
        tax_total = sum((x["tax"] for x in lines), Decimal(0))
        gross_total = net_total + tax_total
        order_status = status
        amount_invoiced = amount_paid = Decimal(0)
        dispatch_day = order_day + datetime.timedelta(days=int(rng.integers(1, 11)))
        if status == "booked":
            order_status = "confirmed"
            if dispatch_day <= today:
                order_status = "completed"
                shipment_id, invoice_id = ids(), ids()
                counts["shipments"] += 1
                counts["invoices"] += 1
                tables[Shipment].add(
                    id=shipment_id,
                    company_id=company.pk,
                    created_at=moment(dispatch_day, 9),
                    updated_at=moment(dispatch_day, 9),
                    number=number("SH", dispatch_day.year),
                    order_id=order_id,
                    status="dispatched",
                    warehouse_id=warehouse.pk,
                    carrier="SF Express",
                    shipping_address=_json(c["address"]),
                    dispatched_at=moment(dispatch_day, 11),
                    dispatched_by_id=admin.pk,
                    created_by_id=admin.pk,
                )
                paid_roll = float(rand())
                pay_day = dispatch_day + datetime.timedelta(days=int(rng.integers(0, 76)))
                if paid_roll < 0.9:
                    paid = gross_total
                elif paid_roll < 0.95:
                    paid = money(gross_total / 2)
                else:
                    paid = Decimal(0)
                if pay_day > today:
                    paid = Decimal(0)
                returned = rand() < 0.03 and dispatch_day + datetime.timedelta(days=5) <= today
                credit_gross = Decimal(0)
                invoice_lines = []
                for x in lines:
                    x["shipped"] = x["invoiced"] = x["quantity"]
                    x["shipment_line"] = ids()
                    x["invoice_line"] = ids()
                    tables[ShipmentLine].add(
                        id=x["shipment_line"],
                        company_id=company.pk,
                        shipment_id=shipment_id,
                        order_line_id=x["id"],
                        product_id=x["product"].pk,
                        description=x["product"].name,
                        quantity=x["quantity"],
                    )
                    invoice_lines.append(x)
                if returned:
                    x = lines[int(rand() * len(lines))]
                    back = Decimal(max(1, int(float(x["quantity"]) * float(rand()))))
                    back = min(back, x["quantity"])
                    x["returned"] = x["credited"] = back
                    return_day = dispatch_day + datetime.timedelta(days=int(rng.integers(5, 41)))
                    return_day = min(return_day, today)
                    x["credit_net"] = money(x["net"] * back / x["quantity"])
                    x["credit_tax"] = money(x["tax"] * back / x["quantity"])
                    credit_gross = x["credit_net"] + x["credit_tax"]
                    receipt_id = ids()
                    counts["returns"] += 1
                    tables[ReturnReceipt].add(
                        id=receipt_id,
                        company_id=company.pk,
                        created_at=moment(return_day, 14),
                        updated_at=moment(return_day, 14),
                        number=number("RT", return_day.year),
                        shipment_id=shipment_id,
                        order_id=order_id,
                        warehouse_id=warehouse.pk,
                        reason="damaged",
                        received_by_id=admin.pk,
                    )
                    tables[ReturnLine].add(
                        id=ids(),
                        company_id=company.pk,
                        created_at=moment(return_day, 14),
                        receipt_id=receipt_id,
                        shipment_line_id=x["shipment_line"],
                        quantity=back,
                    )
                # a paid invoice's allocation gives the credit note's gross back as credit
                allocated = paid - min(credit_gross, paid) if paid == gross_total else paid
                allocated = min(allocated, gross_total - credit_gross)
                open_amount = gross_total - credit_gross - allocated
                invoice_status = (
                    "paid" if open_amount <= 0 else "partially_paid" if allocated > 0 else "issued"
                )
                # company-currency amounts by billing.exchange's rules (one rate throughout:
                # the payment is received at the order's rate, so no exchange difference)
                invoice_base = money(gross_total * rate)
                credited_base = money(credit_gross * rate)
                paid_base = (
                    invoice_base - credited_base - money(open_amount * rate)
                    if open_amount > 0
                    else invoice_base - credited_base
                )
                payment_base = money(paid * rate)
                allocated_base = (
                    payment_base - money((paid - allocated) * rate)
                    if paid > allocated
                    else payment_base
                )
                tables[Invoice].add(
                    id=invoice_id,
                    company_id=company.pk,
                    created_at=moment(dispatch_day, 11),
                    updated_at=moment(dispatch_day, 11),
                    kind="invoice",
                    number=number("INV", dispatch_day.year),
                    status=invoice_status,
                    order_id=order_id,
                    customer_id=c["id"],
                    shipment_id=shipment_id,
                    currency=currency,
                    exchange_rate=rate,
                    issue_date=dispatch_day,
                    due_date=dispatch_day + datetime.timedelta(days=30),
                    billing_address=_json(c["address"]),
                    net_total=net_total,
                    tax_total=tax_total,
                    gross_total=gross_total,
                    company_gross_total=invoice_base,
                    amount_paid=allocated,
                    amount_credited=credit_gross,
                    amount_paid_base=paid_base if allocated > 0 else Decimal(0),
                    amount_credited_base=credited_base,
                    issued_by_id=admin.pk,
                )
                for pos, x in enumerate(invoice_lines, 1):
                    tables[InvoiceLine].add(
                        id=x["invoice_line"],
                        company_id=company.pk,
                        created_at=moment(dispatch_day, 11),
                        invoice_id=invoice_id,
                        order_line_id=x["id"],
                        shipment_line_id=x["shipment_line"],
                        position=pos,
                        description=x["product"].name,
                        quantity=x["quantity"],
                        unit_price=x["unit_price"],
                        discount_percent=x["discount"],
                        tax_percent=Decimal(13),
                        net=x["net"],
                        tax=x["tax"],
                        gross=x["gross"],
                        qty_credited=x["credited"],
                        net_credited=x.get("credit_net", Decimal(0)),
                        tax_credited=x.get("credit_tax", Decimal(0)),
                    )
                if returned:
                    x = next(x for x in lines if x["credited"])
                    note_id = ids()
                    tables[Invoice].add(
                        id=note_id,
                        company_id=company.pk,
                        created_at=moment(return_day, 15),
                        updated_at=moment(return_day, 15),
                        kind="credit_note",
                        number=number("CN", return_day.year),
                        status="issued",
                        order_id=order_id,
                        customer_id=c["id"],
                        credited_invoice_id=invoice_id,
                        currency=currency,
                        exchange_rate=rate,
                        issue_date=return_day,
                        billing_address=_json(c["address"]),
                        reason="damaged",
                        net_total=x["credit_net"],
                        tax_total=x["credit_tax"],
                        gross_total=credit_gross,
                        company_gross_total=credited_base,
                        issued_by_id=admin.pk,
                    )
                    tables[InvoiceLine].add(
                        id=ids(),
                        company_id=company.pk,
                        created_at=moment(return_day, 15),
                        invoice_id=note_id,
                        order_line_id=x["id"],
                        credited_line_id=x["invoice_line"],
                        position=1,
                        description=x["product"].name,
                        quantity=x["credited"],
                        unit_price=x["unit_price"],
                        discount_percent=x["discount"],
                        tax_percent=Decimal(13),
                        net=x["credit_net"],
                        tax=x["credit_tax"],
                        gross=credit_gross,
                    )
                if paid > 0:
                    payment_id = ids()
                    counts["payments"] += 1
                    tables[Payment].add(
                        id=payment_id,
                        company_id=company.pk,
                        created_at=moment(pay_day, 16),
                        updated_at=moment(pay_day, 16),
                        number=number("PAY", pay_day.year),
                        customer_id=c["id"],
                        method=METHODS[int(rand() * len(METHODS))],
                        amount=paid,
                        currency=currency,
                        exchange_rate=rate,
                        received_on=pay_day,
                        reference=f"BANK-{counts['payments']:08d}",
                        amount_allocated=allocated,
                        amount_base=payment_base,
                        amount_allocated_base=allocated_base if allocated > 0 else Decimal(0),
                        recorded_by_id=admin.pk,
                    )
                    if allocated > 0:
                        tables[PaymentAllocation].add(
                            id=ids(),
                            company_id=company.pk,
                            created_at=moment(pay_day, 16),
                            updated_at=moment(pay_day, 16),
                            payment_id=payment_id,
                            invoice_id=invoice_id,
                            amount=allocated,
                            base_amount=allocated_base,
                            invoice_base_amount=paid_base,
                            exchange_difference=allocated_base - paid_base,
                        )
                amount_invoiced, amount_paid = gross_total - credit_gross, allocated
        booked = order_status in ("confirmed", "completed")
        tables[SalesOrder].add(
            id=order_id,
            company_id=company.pk,
            created_at=moment(order_day, 9),
            updated_at=moment(order_day, 10),
            number=number("SO", order_day.year),
            status=order_status,
            customer_id=c["id"],
            billing_address=_json(c["address"]),
            shipping_address=_json(c["address"]),
            currency=currency,
            exchange_rate=rate if order_status != "draft" else None,
            salesperson_id=c["rep"].pk,
            team_id=c["team_id"],
            order_date=order_day,
            invoicing_policy="on_shipment",
            warehouse_id=warehouse.pk,
            shipping_policy="ship_as_available",
            net_total=net_total,
            tax_total=tax_total,
            gross_total=gross_total,
            amount_paid=amount_paid,
            amount_invoiced=amount_invoiced,
            company_net_total=money(net_total * rate),
            company_tax_total=money(tax_total * rate),
            company_gross_total=money(gross_total * rate),
            line_count=len(lines),
            submitted_at=moment(order_day, 9) if order_status != "draft" else None,
            submitted_by_id=c["rep"].pk if order_status != "draft" else None,
            confirmed_at=moment(order_day, 10) if booked else None,
            confirmed_by_id=c["rep"].pk if booked else None,
            status_changed_at=moment(order_day, 10),
            status_changed_by_id=c["rep"].pk,
            status_reason="customer changed plans" if order_status == "cancelled" else "",
        )
        counts["orders"] += 1
        for x in lines:
            counts["lines"] += 1
            tables[SalesOrderLine].add(
                id=x["id"],
                company_id=company.pk,
                created_at=moment(order_day, 9),
                order_id=order_id,
                position=x["position"],
                kind="product",
                product_id=x["product"].pk,
                description=x["product"].name,
                unit_id=unit.pk,
                quantity=x["quantity"],
                unit_price=x["unit_price"],
                list_unit_price=x["unit_price"],
                discount_percent=x["discount"],
                tax_rate_id=tax.pk,
                tax_percent=Decimal(13),
                net=x["net"],
                tax=x["tax"],
                gross=x["gross"],
                unit_cost=money(x["product"].cost),
                qty_reserved=x["quantity"] if order_status == "confirmed" else Decimal(0),
                qty_shipped=x["shipped"],
                qty_returned=x["returned"],
                qty_invoiced=x["invoiced"],
                qty_credited=x["credited"],
            )
        if booked and rand() < 0.01:
            team_reps = [r for r in reps if r.membership_team_id == c["team_id"]]
            other = team_reps[int(rand() * len(team_reps))]
            if other.pk != c["rep"].pk:
                for person, percent in ((c["rep"], 60), (other, 40)):
                    tables[CreditSplit].add(
                        id=ids(),
                        company_id=company.pk,
                        order_id=order_id,
                        salesperson_id=person.pk,
                        team_id=c["team_id"],
                        percent=Decimal(percent),
                    )
        if done % CHUNK == 0:
            flush_all()
            if args.progress:
                print(f"  {done:,} orders, {time.perf_counter() - t0:.0f}s", flush=True)
    flush_all()
    # the numbers go on from here in the application
    for (prefix, year), value in numbers.items():
        NumberSequence.objects.update_or_create(
            company=company, key=prefix, year=year, defaults={"last_value": value}
        )
    timings["documents_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # the rows went in by COPY: each order's progress is stored as the services store it
    from ordercrm.sales.models import SalesOrder
    from ordercrm.sales.progress_sql import progress_columns

    SalesOrder.objects.for_company(company).update(**progress_columns())
    timings["progress_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("VACUUM (ANALYZE)")
    timings["analyze_s"] = time.perf_counter() - t0
    return {"company": company, "counts": counts, "timings": timings}


def _json(value: dict):
    from psycopg.types.json import Jsonb

    return Jsonb(value, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--database", default="")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()
    name = args.database or f"ordercrm_bench_{args.orders}"
    started = time.perf_counter()
    setup_database(name)
    migrated = time.perf_counter() - started
    result = generate(args)
    rebuild_s = 0.0
    if not args.no_rebuild:
        from django.db import connection

        from ordercrm.analytics import refresh

        t0 = time.perf_counter()
        rows = refresh.rebuild(result["company"])
        rebuild_s = time.perf_counter() - t0
        with connection.cursor() as c:
            c.execute("VACUUM (ANALYZE) analytics_salesfact")
            c.execute("VACUUM (ANALYZE) analytics_orderfact")
        print(f"rebuild: {rows:,} fact rows in {rebuild_s:.1f}s")
    counts = result["counts"]
    print(f"database {name} (migrate {migrated:.1f}s)")
    print(" ".join(f"{k}={v:.1f}" for k, v in result["timings"].items()))
    print(" ".join(f"{k}={v:,}" for k, v in counts.items()))
    print(
        f"orders={counts['orders']} seconds={time.perf_counter() - started:.0f} "
        f"rebuild_s={rebuild_s:.0f} users: bench-admin / bench-mgr1 / bench-rep01, "
        f"password {PASSWORD}"
    )


if __name__ == "__main__":
    main()
