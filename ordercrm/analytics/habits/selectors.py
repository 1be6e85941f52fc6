"""What the pages read: habits of the customers and the demand for the products the viewer may
see, each scoped by ``access`` and cached where it costs.

Scope: a customer's rhythm, RFM scores, favourite products and lifetime value come from the
booked orders the viewer may see (``sales.selectors.order_list``), so a rep's figures are
those of their own orders and a manager's of the team's; lists show only customers the viewer
may see. Two things learn from every booked order of the company, because they name no order
or customer: the BG/NBD and Gamma-Gamma parameters, and the product-pair counts behind the
bought-together suggestions (pairs seen on fewer than ``MIN_PAIR_BASKETS`` orders are dropped).

Cache: Django's cache, keyed by company, the viewer's scope and the company's day, for
``CACHE_SECONDS``; each result carries the time it was computed ("data as of").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from ordercrm.analytics.habits import baskets, queries, rfm
from ordercrm.analytics.habits.rhythm import Rhythm, Standing
from ordercrm.core.dates import company_today
from ordercrm.core.permissions import Perm

CACHE_SECONDS = 600
MODEL_CACHE_SECONDS = 6 * 3600
MIN_PAIR_BASKETS = 2
PAIR_LOOKBACK_DAYS = 365
MIN_CLV_CUSTOMERS = 8  # customers with a repeat purchase before a model is fitted
MAX_CLV_CUSTOMERS = 20000  # a sample this large fits in about a second
CLV_HORIZON_WEEKS = 52
LIST_LIMIT = 200
# RFM scores are quintiles: over fewer customers than this a segment says nothing.
MIN_RFM_CUSTOMERS = 10


def _segment(stats, population: int) -> str | None:
    return rfm.segment(stats.r, stats.f) if population >= MIN_RFM_CUSTOMERS else None


def _scope_key(access) -> str:
    if access.scope == "company":
        return f"{access.company.pk}:all"
    return f"{access.company.pk}:{access.scope}:{access.user.pk}"


def _cached(key: str, compute, seconds: int = CACHE_SECONDS):
    found = cache.get(key)
    if found is None:
        found = (compute(), timezone.now())
        cache.set(key, found, seconds)
    return found


def _ask(key: str, task, **kwargs) -> None:
    """Enqueue ``task`` for a cache entry not there yet, once per few minutes."""
    if cache.add(f"{key}:asked", 1, 300):
        task.enqueue(**kwargs)


def habit_stats(access, today=None):
    """``({customer_id: CustomerStats}, as_of)`` over the booked orders the viewer may see."""
    access.require(Perm.ORDER_VIEW)
    today = today or company_today(access.company)
    return _cached(
        f"habits:stats:{_scope_key(access)}:{today.isoformat()}",
        lambda: queries.customer_stats(queries.booked_orders(access)),
    )


# ---------------------------------------------------------------- lifetime value


def clv_inputs(stats, today):
    """BG/NBD / Gamma-Gamma inputs (weeks) from customer stats: x, t_x, T, m."""
    import numpy as np

    rows = list(stats)
    x = np.array([s.days - 1 for s in rows], dtype=float)
    t_x = np.array([(s.last - s.first).days / 7 for s in rows], dtype=float)
    T = np.array([max((today - s.first).days, 1) / 7 for s in rows], dtype=float)
    m = np.array(
        [float(s.amount - s.first_amount) / (s.days - 1) if s.days > 1 else 0.0 for s in rows]
    )
    return x, t_x, T, m


def clv_models(company, today=None, *, wait: bool = True):
    """The company's fitted ``(BgNbd, GammaGamma)``, or ``None`` while too few customers
    have bought twice. Fitted on at most ``MAX_CLV_CUSTOMERS`` customers (every k-th).
    ``wait=False`` (pages) returns ``None`` when not fitted yet today and asks the worker."""
    today = today or company_today(company)
    key = f"habits:clv:{company.pk}:{today.isoformat()}"
    if not wait and cache.get(key) is None:
        from ordercrm.analytics.habits import tasks

        _ask(key, tasks.fit_clv_models, company_id=str(company.pk), day=today.isoformat())
        if cache.get(key) is None:  # the worker has it (an immediate backend ran it here)
            return None

    def fit():
        from ordercrm.analytics.habits import clv

        stats = list(queries.customer_stats(queries.company_booked_orders(company)).values())
        step = max(1, len(stats) // MAX_CLV_CUSTOMERS)
        stats = stats[::step]
        x, t_x, T, m = clv_inputs(stats, today)
        if int((x > 0).sum()) < MIN_CLV_CUSTOMERS:
            return False
        return clv.fit_bgnbd(x, t_x, T), clv.fit_gamma_gamma(x, m)

    models, _as_of = _cached(key, fit, MODEL_CACHE_SECONDS)
    return models or None


def customer_value(company, stats, today):
    """A customer's expected net value over the next 52 weeks with its 80 % band, or None."""
    from ordercrm.analytics.habits import clv

    models = clv_models(company, today, wait=False)
    if models is None or stats is None:
        return None
    x, t_x, T, m = clv_inputs([stats], today)
    return clv.lifetime_value(
        *models, x=x[0], t_x=t_x[0], T=T[0], m=m[0], horizon=CLV_HORIZON_WEEKS
    )


# ---------------------------------------------------------------- customer 360


@dataclass(frozen=True)
class Habits:
    rhythm: Rhythm
    segment: str | None
    favourites: list
    value: object  # clv.Value or None
    as_of: datetime.datetime

    @property
    def segment_label(self) -> str:
        return str(rfm.LABELS[self.segment]) if self.segment else ""


def customer_habits(access, customer, *, today=None) -> Habits | None:
    """The customer 360's habits panel: rhythm and standing, RFM segment, favourite
    products and lifetime value; ``None`` when the viewer sees no booked order of theirs."""
    if not access.can(Perm.ORDER_VIEW):
        return None
    today = today or company_today(access.company)
    stats_by_customer, as_of = habit_stats(access, today)
    stats = stats_by_customer.get(customer.pk)
    if stats is None:
        return None
    return Habits(
        rhythm=Rhythm(stats, today),
        segment=_segment(stats, len(stats_by_customer)),
        favourites=queries.favourite_products(access, customer.pk),
        value=customer_value(access.company, stats, today),
        as_of=as_of,
    )


# ---------------------------------------------------------------- lists for reps

LISTS = {
    "due": (Standing.DUE,),
    "lapsing": (Standing.LAPSING, Standing.LAPSED),
}


def habit_list(access, kind: str, *, today=None, limit: int = LIST_LIMIT):
    """``(rows, as_of)``: the customers the viewer may see who are due to reorder (soonest
    expected first) or lapsing / lapsed (longest overdue first, by their own rhythm); each
    row ``(customer, rhythm, segment)``."""
    from ordercrm.customers import selectors as customer_selectors

    access.require(Perm.CUSTOMER_VIEW)
    standings = LISTS[kind]
    today = today or company_today(access.company)
    stats, as_of = habit_stats(access, today)
    rhythms = [Rhythm(s, today) for s in stats.values()]
    chosen = [r for r in rhythms if r.standing in standings]
    if kind == "due":
        chosen.sort(key=lambda r: (r.expected, str(r.stats.customer_id)))
    else:
        chosen.sort(key=lambda r: (-r.since_last / r.median, str(r.stats.customer_id)))
    chosen = chosen[:limit]
    customers = {
        c.pk: c
        for c in customer_selectors.customer_list(access).filter(
            pk__in=[r.stats.customer_id for r in chosen]
        )
    }
    rows = [
        (customers[r.stats.customer_id], r, _segment(r.stats, len(stats)))
        for r in chosen
        if r.stats.customer_id in customers
    ]
    return rows, as_of


def segment_counts(access, *, today=None):
    """How many of the viewer's customers are in each RFM segment, in the grid's order."""
    stats, _as_of = habit_stats(access, today)
    if len(stats) < MIN_RFM_CUSTOMERS:
        return []
    counts = dict.fromkeys(rfm.ORDER, 0)
    for s in stats.values():
        counts[rfm.segment(s.r, s.f)] += 1
    return [(key, rfm.LABELS[key], n) for key, n in counts.items() if n]


# ---------------------------------------------------------------- bought together


def pair_rules(company, today=None):
    """The company's bought-together rules by antecedent (cached)."""
    today = today or company_today(company)

    def compute():
        since = today - datetime.timedelta(days=PAIR_LOOKBACK_DAYS)
        return baskets.rules(
            *queries.product_pairs(company, since=since, min_count=MIN_PAIR_BASKETS)
        )

    rules, _as_of = _cached(
        f"habits:pairs:{company.pk}:{today.isoformat()}", compute, MODEL_CACHE_SECONDS
    )
    return rules


def order_suggestions(access, *, customer_id=None, skus=(), limit: int = 5) -> dict:
    """What to offer on an order being entered: products often bought with the ones on it
    (confidence and lift), and the customer's favourites not on it yet. Products are the
    active ones the viewer may see; a customer the viewer may not see is ignored."""
    from ordercrm.catalog import selectors as catalog_selectors
    from ordercrm.catalog.models import Product
    from ordercrm.customers import selectors as customer_selectors

    access.require(Perm.ORDER_EDIT)
    skus = [s.strip() for s in skus if s and s.strip()][:100]
    on_order = set(
        Product.objects.for_company(access.company)
        .filter(sku__in=skus)
        .values_list("pk", flat=True)
    )
    together = baskets.suggest(pair_rules(access.company), on_order, limit=limit)
    favourites = []
    customer = None
    if customer_id:
        customer = customer_selectors.customer_list(access).filter(pk=customer_id).first()
    if customer is not None and access.can(Perm.ORDER_VIEW):
        favourites = [
            f
            for f in queries.favourite_products(access, customer.pk, limit=limit + len(on_order))
            if f["product_id"] not in on_order
        ][:limit]
    wanted = {rule.consequent for rule in together} | {rule.antecedent for rule in together}
    products = {
        p.pk: p
        for p in catalog_selectors.product_list(access).filter(pk__in=wanted, is_active=True)
    }
    return {
        "together": [
            {
                "rule": rule,
                "product": products[rule.consequent],
                "because": products.get(rule.antecedent),
            }
            for rule in together
            if rule.consequent in products
        ],
        "favourites": favourites,
        "customer": customer,
    }


# ---------------------------------------------------------------- market demand

DEMAND_MONTHS = 24  # complete months of history read
TOP_PRODUCTS = 12  # products forecast (by volume, ~0.1 s each); the rest count in their category


def demand_report(access, *, today=None, wait: bool = True):
    """Demand per product (the ``TOP_PRODUCTS`` by quantity) and per category: monthly
    ordered quantities of the booked orders the viewer may see over the last complete
    ``DEMAND_MONTHS`` months, a forecast of the next ``demand.HORIZON`` months with its
    interval and backtest (cached for the day), stock cover and reorder suggestions (stock
    read on each call). Four queries when computed, one when cached. ``wait=False`` (the
    page) returns ``(None, None)`` while not computed yet and asks the worker to."""
    from ordercrm.inventory import selectors as inventory_selectors

    access.require(Perm.REPORT_VIEW)
    today = today or company_today(access.company)
    key = f"habits:demand:{_scope_key(access)}:{today.isoformat()}"
    if not wait and cache.get(key) is None:
        from ordercrm.analytics.habits import tasks

        _ask(
            key,
            tasks.compute_demand,
            company_id=str(access.company.pk),
            user_id=str(access.user.pk),
            day=today.isoformat(),
        )
        if cache.get(key) is None:
            return None, None
    # History is complete months only, so the forecasts hold for the day; stock is read now.
    report, as_of = _cached(key, lambda: _demand(access, today), MODEL_CACHE_SECONDS)
    stock = inventory_selectors.availability(access.company, [r.key for r in report["products"]])
    for row in report["products"]:
        level = stock.get(row.key)
        row.available = float(level.on_hand - level.reserved) if level else 0.0
    report["reorder"] = [row for row in report["products"] if row.runs_short]
    return report, as_of


def _demand(access, today) -> dict:
    from collections import defaultdict

    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    from ordercrm.analytics.habits import demand
    from ordercrm.catalog.models import Product
    from ordercrm.sales.models import LineKind, SalesOrderLine

    months = demand.month_starts(today, DEMAND_MONTHS)
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    rows = (
        SalesOrderLine.objects.for_company(access.company)
        .filter(
            order__in=queries.booked_orders(access).filter(
                order_date__gte=months[0], order_date__lt=demand.next_months(today, 1)[0]
            ),
            kind=LineKind.PRODUCT,
            product__isnull=False,
        )
        .annotate(month=TruncMonth("order__order_date"))
        .values("product_id", "month")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    series: dict = defaultdict(lambda: [0.0] * len(months))
    for row in rows:
        month = queries._date(row["month"])
        at = index.get((month.year, month.month))
        if at is not None:
            series[row["product_id"]][at] += float(row["quantity"])
    products = {
        p.pk: p
        for p in Product.objects.for_company(access.company)
        .filter(pk__in=list(series))
        .select_related("category")
    }
    by_category: dict = defaultdict(lambda: [0.0] * len(months))
    category_names = {}
    for product_id, values in series.items():
        product = products[product_id]
        key = product.category_id
        category_names[key] = product.category.name if product.category else None
        by_category[key] = [a + b for a, b in zip(by_category[key], values, strict=True)]
    top = sorted(series, key=lambda pid: (-sum(series[pid]), products[pid].sku))[:TOP_PRODUCTS]

    def trimmed(values):
        first = next((i for i, v in enumerate(values) if v), len(values))
        return values[first:]

    product_rows = []
    for pid in top:
        product = products[pid]
        history = trimmed(series[pid])
        product_rows.append(
            demand.Demand(
                key=pid,
                label=f"{product.sku} {product.name}",
                history=history,
                forecast=demand.forecast(history),
                category_id=product.category_id,
                stock_tracked=product.is_stock_tracked,
            )
        )
    category_rows = [
        demand.Demand(
            key=key,
            label=category_names[key] or "",
            history=trimmed(values),
            forecast=demand.forecast(trimmed(values)),
            is_product=False,
        )
        for key, values in sorted(by_category.items(), key=lambda kv: -sum(kv[1]))
    ]
    return {
        "months": months,
        "future": demand.next_months(today, demand.HORIZON),
        "products": product_rows,
        "categories": category_rows,
    }
