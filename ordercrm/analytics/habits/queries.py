"""The SQL behind the habits: one statement per figure, window functions that run on SQLite
(3.25+) and PostgreSQL alike, over the booked orders the viewer may see.

The scoped order query comes from ``sales.selectors.order_list(access)`` (so the record scope
is the sales app's one rule) and is wrapped as a sub-select; only date arithmetic differs by
database (``julianday`` on SQLite, date subtraction on PostgreSQL).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection

from ordercrm.analytics.habits.rhythm import CustomerStats

# Orders with more distinct products than this are left out of the pairs: a catalogue-wide
# restocking order says nothing about what goes together and costs n² pairs.
BASKET_CAP = 25


def _days(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _decimal(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _float(value) -> float | None:
    return None if value is None else float(value)


def booked_orders(access, *, customer_id=None):
    """The booked orders (confirmed or later, not cancelled) the viewer may see."""
    from ordercrm.sales import selectors as sales_selectors

    return sales_selectors.order_list(access, customer_id=customer_id).booked().order_by()


def company_booked_orders(company):
    """Every booked order of the company: what the models (CLV, pairs) learn from."""
    from ordercrm.sales.models import SalesOrder

    return SalesOrder.objects.for_company(company).booked().order_by()


def customer_stats(orders, *, until=None) -> dict[object, CustomerStats]:
    """Per customer of ``orders`` (a booked-orders queryset, already scoped): booked orders,
    order days, first and last order day, net amount in the company currency, the median
    interval between order days with its quartiles, and the RFM quintiles over all customers
    returned. One statement."""
    if until is not None:
        orders = orders.filter(order_date__lte=until)
    inner, params = orders.values(
        "customer_id", "order_date", "company_net_total"
    ).query.sql_with_params()
    gap = _days("order_date", "LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date)")
    # Only the ORM's own compiled SQL and fixed fragments are spliced; values are parameters.
    sql = f"""
    WITH o AS ({inner}),
    d AS (
        SELECT customer_id, order_date, COUNT(*) AS n, SUM(company_net_total) AS amount
        FROM o GROUP BY customer_id, order_date
    ),
    g AS (
        SELECT customer_id, order_date, amount,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date) AS seq,
               {gap} AS gap
        FROM d
    ),
    r AS (
        SELECT customer_id, gap,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY gap) AS rn,
               COUNT(*) OVER (PARTITION BY customer_id) AS k
        FROM g WHERE gap IS NOT NULL
    ),
    q AS (
        SELECT customer_id,
               AVG(CASE WHEN rn = (k + 1) / 2 OR rn = (k + 2) / 2 THEN gap END) AS median_gap,
               MIN(CASE WHEN rn * 4 >= k THEN gap END) AS q1_gap,
               MIN(CASE WHEN rn * 4 >= 3 * k THEN gap END) AS q3_gap
        FROM r GROUP BY customer_id
    ),
    s AS (
        SELECT d.customer_id, SUM(d.n) AS orders, COUNT(*) AS days,
               MIN(d.order_date) AS first_day, MAX(d.order_date) AS last_day,
               SUM(d.amount) AS amount
        FROM d GROUP BY d.customer_id
    )
    SELECT s.customer_id, s.orders, s.days, s.first_day, s.last_day, s.amount,
           q.median_gap, q.q1_gap, q.q3_gap, f.amount AS first_amount,
           NTILE(5) OVER (ORDER BY s.last_day) AS r_score,
           NTILE(5) OVER (ORDER BY s.days) AS f_score,
           NTILE(5) OVER (ORDER BY s.amount) AS m_score
    FROM s
    LEFT JOIN q ON q.customer_id = s.customer_id
    LEFT JOIN g f ON f.customer_id = s.customer_id AND f.seq = 1
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {}
    for row in rows:
        stats = CustomerStats(
            customer_id=_customer_id(row[0]),
            orders=int(row[1]),
            days=int(row[2]),
            first=_date(row[3]),
            last=_date(row[4]),
            amount=_decimal(row[5]),
            median_gap=_float(row[6]),
            q1_gap=_float(row[7]),
            q3_gap=_float(row[8]),
            first_amount=_decimal(row[9]),
            r=int(row[10]),
            f=int(row[11]),
            m=int(row[12]),
        )
        result[stats.customer_id] = stats
    return result


def _customer_id(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def favourite_products(access, customer_id, *, limit: int = 5) -> list[dict]:
    """The products on most of the customer's booked orders: on how many orders, the share
    of orders, the quantity and the last order day."""
    from django.db.models import Count, Max, Sum

    from ordercrm.sales.models import LineKind, SalesOrderLine

    orders = booked_orders(access, customer_id=customer_id)
    total = orders.count()
    if not total:
        return []
    rows = (
        SalesOrderLine.objects.for_company(access.company)
        .filter(order__in=orders, kind=LineKind.PRODUCT, product__isnull=False)
        .values("product_id", "product__sku", "product__name")
        .annotate(
            orders=Count("order", distinct=True),
            quantity=Sum("quantity"),
            last=Max("order__order_date"),
        )
        .order_by("-orders", "-quantity", "product__sku")[:limit]
    )
    return [
        {
            "product_id": row["product_id"],
            "sku": row["product__sku"],
            "name": row["product__name"],
            "orders": row["orders"],
            "share": Decimal(row["orders"] * 100) / total,
            "quantity": row["quantity"],
            "last": _date(row["last"]),
        }
        for row in rows
    ]


def product_pairs(company, *, since: datetime.date, cap: int = BASKET_CAP, min_count: int = 2):
    """Baskets and pairs over the company's booked orders since ``since``: the number of
    baskets (orders with 1…``cap`` distinct products), how many contain each product, and
    how many contain each pair (``a < b``), pairs seen in at least ``min_count`` baskets.

    Company-wide on purpose: a pair's counts name no order or customer, and suggestions are
    better from every order than from one rep's."""
    from ordercrm.sales.models import LineKind, SalesOrderLine

    lines = (
        SalesOrderLine.objects.for_company(company)
        .filter(
            order__status__in=_booked(),
            order__order_date__gte=since,
            kind=LineKind.PRODUCT,
            product__isnull=False,
        )
        .values("order_id", "product_id")
        .distinct()
        .order_by()
    )
    inner, params = lines.query.sql_with_params()
    base = f"""
    WITH b AS ({inner}),
    sized AS (SELECT order_id FROM b GROUP BY order_id HAVING COUNT(*) <= %s),
    kept AS (SELECT b.order_id, b.product_id FROM b JOIN sized ON sized.order_id = b.order_id)
    """  # noqa: S608
    params = (*params, cap)
    with connection.cursor() as cursor:
        cursor.execute(base + "SELECT COUNT(*) FROM sized", params)  # noqa: S608
        baskets = cursor.fetchone()[0]
        cursor.execute(
            base  # noqa: S608
            + "SELECT product_id, COUNT(*) FROM kept GROUP BY product_id HAVING COUNT(*) >= %s",
            (*params, min_count),
        )
        singles = {_customer_id(p): n for p, n in cursor.fetchall()}
        cursor.execute(
            base  # noqa: S608
            + """SELECT x.product_id, y.product_id, COUNT(*) FROM kept x
            JOIN kept y ON y.order_id = x.order_id AND x.product_id < y.product_id
            GROUP BY x.product_id, y.product_id HAVING COUNT(*) >= %s""",
            (*params, min_count),
        )
        pairs = {(_customer_id(a), _customer_id(b)): n for a, b, n in cursor.fetchall()}
    return baskets, singles, pairs


def _booked():
    from ordercrm.sales import workflow

    return sorted(workflow.BOOKED)
