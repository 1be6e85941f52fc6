"""Reads of the sales facts, scoped to what the viewer may see (a rep their own figures —
their share of shared orders —, a manager their teams', company scope everything).

Every report reads ``SalesFact`` (or ``OrderFact`` for the orders behind a cell) with a
fixed number of queries however many rows it covers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, DateField, F, Q, QuerySet, Sum, When
from django.db.models.functions import Trunc
from django.utils.translation import gettext_lazy as _

from ordercrm.accounts.access import Access
from ordercrm.analytics import periods, refresh
from ordercrm.analytics.models import OrderFact, SalesFact
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.permissions import Perm

ZERO = Decimal(0)


@dataclass(frozen=True)
class Measure:
    key: str
    label: object
    expression: object
    is_money: bool = True


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "invoiced",
            _("Net invoiced (invoices − credit notes)"),
            F("invoiced_base") - F("credited_base"),
        ),
        Measure("booked", _("Booked (orders − returns)"), F("ordered_base") - F("returned_base")),
        Measure("shipped", _("Shipped"), F("shipped_base") - F("returned_base")),
        Measure("collected", _("Collected"), F("collected_base")),
        Measure(
            "quantity",
            _("Quantity booked (net of returns)"),
            F("ordered_qty") - F("returned_qty"),
            False,
        ),
        Measure(
            "invoiced_qty",
            _("Quantity invoiced (net of credit notes)"),
            F("invoiced_qty") - F("credited_qty"),
            False,
        ),
    )
}

# report dimension → the fact column it groups by
DIMENSIONS: dict[str, tuple] = {
    "product": ("product_id", _("Product")),
    "category": ("product__category_id", _("Category")),
    "customer": ("customer_id", _("Customer")),
    "region": ("region", _("Region")),
    "salesperson": ("salesperson_id", _("Salesperson")),
    "team": ("team_id", _("Sales team")),
}
PIVOT_COLUMNS = {"period": (None, _("Period")), **DIMENSIONS}
KIND_LABELS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
}
NONE = "-"  # the value of a dimension left empty (no region, no salesperson)


@dataclass(frozen=True)
class ReportQuery:
    """What a report shows, parsed once from the request (web or export)."""

    kind: str = "month"
    first: datetime.date | None = None
    last: datetime.date | None = None
    dimension: str = "product"
    columns: str = "period"
    measure: str = "invoiced"

    @classmethod
    def parse(cls, raw, company) -> ReportQuery:
        errors: dict[str, list] = {}

        def choice(name, options, default):
            value = (raw.get(name) or default).strip()
            if value not in options:
                errors[name] = [_("Choose one of the offered values.")]
                return default
            return value

        def day(name):
            value = (raw.get(name) or "").strip()
            if not value:
                return None
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                errors[name] = [_("Enter a valid date (YYYY-MM-DD).")]
                return None

        kind = choice("period", periods.KINDS, "month")
        query = cls(
            kind=kind,
            first=day("from"),
            last=day("to"),
            dimension=choice("by", DIMENSIONS, "product"),
            columns=choice("columns", PIVOT_COLUMNS, "period"),
            measure=choice("measure", MEASURES, "invoiced"),
        )
        if errors:
            raise ValidationFailed(details={"fields": errors})
        today = company_today(company)
        last = query.last or today
        first = query.first or periods.shift(
            kind, periods.start_of(kind, last), -_default_count(kind) + 1
        )
        if first > last:
            raise ValidationFailed(details={"fields": {"from": [_("The start is after the end.")]}})
        if (last - first).days > 366 * 10 or (kind == "day" and (last - first).days > 370):
            raise ValidationFailed(details={"fields": {"from": [_("Choose a shorter range.")]}})
        return cls(kind, first, last, query.dimension, query.columns, query.measure)

    def params(self, **override) -> dict:
        values = {
            "period": self.kind,
            "from": self.first.isoformat() if self.first else "",
            "to": self.last.isoformat() if self.last else "",
            "by": self.dimension,
            "columns": self.columns,
            "measure": self.measure,
        }
        values.update(override)
        return values


def _default_count(kind: str) -> int:
    return {"day": 31, "week": 13, "month": 12, "quarter": 8, "year": 5}[kind]


def facts(access: Access, model=SalesFact) -> QuerySet:
    """The fact rows the viewer may see (``report_view``)."""
    access.require(Perm.REPORT_VIEW)
    return model.objects.for_company(access.company).filter(
        access.owner_filter("salesperson", "team")
    )


def own_facts(access: Access, model=SalesFact) -> QuerySet:
    """A salesperson's own figures (their share of shared orders), for their performance page:
    anyone who may see orders may see their own."""
    access.require(Perm.ORDER_VIEW)
    return model.objects.for_company(access.company).filter(salesperson=access.user.pk)


def data_as_of(access: Access):
    return refresh.as_of(access.company)


def _within(rows: QuerySet, first, last) -> QuerySet:
    return rows.filter(day__gte=first, day__lte=last)


def _exact(value, measure: Measure) -> Decimal:
    """A sum at its column's places (SQLite hands decimals back without trailing zeros)."""
    return Decimal(value or 0).quantize(Decimal("0.01") if measure.is_money else Decimal("0.0001"))


def labels(company, dimension: str, keys) -> dict:
    """Names of dimension members, one query."""
    from ordercrm.accounts.models import SalesTeam, User
    from ordercrm.catalog.models import Category, Product
    from ordercrm.customers.models import Customer

    keys = [k for k in keys if k != NONE]
    names = {NONE: str(_("(none)"))}
    if dimension == "region":
        names.update({k: k for k in keys})
    elif dimension == "product":
        names.update(
            {
                p["id"]: f"{p['sku']} {p['name']}"
                for p in Product.objects.for_company(company)
                .filter(pk__in=keys)
                .values("id", "sku", "name")
            }
        )
    elif dimension == "category":
        names.update(
            dict(
                Category.objects.for_company(company).filter(pk__in=keys).values_list("id", "name")
            )
        )
    elif dimension == "customer":
        names.update(
            dict(
                Customer.objects.for_company(company).filter(pk__in=keys).values_list("id", "name")
            )
        )
    elif dimension == "team":
        names.update(
            dict(
                SalesTeam.objects.for_company(company).filter(pk__in=keys).values_list("id", "name")
            )
        )
    elif dimension == "salesperson":
        for user in User.objects.filter(pk__in=keys).only("username", "first_name", "last_name"):
            names[user.pk] = user.get_full_name() or user.username
    return names


@dataclass
class ReportRow:
    key: object
    label: str
    value: Decimal
    previous: Decimal
    last_year: Decimal

    @property
    def change(self):
        return _change(self.value, self.previous)

    @property
    def change_year(self):
        return _change(self.value, self.last_year)


def _change(now: Decimal, before: Decimal):
    """Percent change, or None when there was nothing before."""
    if not before:
        return None
    return ((now - before) * 100 / abs(before)).quantize(Decimal("0.1"))


@dataclass
class SalesReport:
    query: ReportQuery
    measure: Measure
    rows: list[ReportRow]
    total: ReportRow
    trend: list[tuple]  # (Period, value, value a year before)
    previous_range: tuple
    year_range: tuple
    currency: str
    as_of: object
    hidden: int = 0
    extra: dict = field(default_factory=dict)


# Dimensions with many members: grouping them by period too would hand back members ×
# periods rows (57k for customers at 100k orders), so they take two scans, one by member and
# one by period, instead of one by both.
MANY_MEMBERS = frozenset({"customer", "product"})
BY_MEMBER = ("now", "before", "year")


def _scan(rows: QuerySet, column, kind: str, measure: Measure, ranges: dict) -> dict:
    """The figures of several date ranges in one scan of the facts: the rows of any range,
    grouped by the dimension ``column`` (if any) and the period (if a trend range is asked
    for), each range's sum taken conditionally. Returns ``{"now"|"before"|"year": {member:
    value}, "current"|"earlier": {period start: value}}`` for the ranges asked; a member or
    period is there when the range has rows of it, as with one grouped query per range.

    One pass over the union of the ranges instead of one per range: a 12-month report reads
    two years of facts rather than five."""
    window = Q()
    for first, last in ranges.values():
        window |= Q(day__gte=first, day__lte=last)
    output = SalesFact._meta.get_field("ordered_base")
    sums = {
        name: Sum(
            Case(When(day__gte=first, day__lte=last, then=measure.expression)),
            output_field=output,
        )
        for name, (first, last) in ranges.items()
    }
    group = {}
    if column is not None:
        group["g"] = F(column)
    if any(name not in BY_MEMBER for name in ranges):
        group["p"] = Trunc("day", kind, output_field=DateField())
    grouped = {name: {} for name in ranges}
    for row in rows.filter(window).order_by().values(**group).annotate(**sums):
        member = row.get("g")
        member = member if member not in (None, "") else NONE
        for name in ranges:
            value = row[name]
            if value is None:
                continue
            key = member if name in BY_MEMBER else row["p"]
            found = grouped[name]
            found[key] = found.get(key, ZERO) + _exact(value, measure)
    return grouped


def sales_report(
    access: Access, query: ReportQuery, *, limit: int = 50, rows: QuerySet | None = None
) -> SalesReport:
    """Sales by period × one dimension, against the previous period and the same period a
    year before; the trend per period with last year's line. One scan of the facts
    (:func:`_scan`; two for customers and products) plus the labels and "data as of"."""
    base = rows if rows is not None else facts(access)
    measure = MEASURES[query.measure]
    column = DIMENSIONS[query.dimension][0]
    previous_range = periods.previous(query.kind, query.first, query.last)
    year_range = periods.year_before(query.first, query.last)
    spans = periods.span(query.kind, query.first, query.last)
    trend_range = (spans[0].start, spans[-1].end)
    by_member = {"now": (query.first, query.last), "before": previous_range, "year": year_range}
    by_period = {"current": trend_range, "earlier": periods.year_before(*trend_range)}
    if query.dimension in MANY_MEMBERS:
        figures = {
            **_scan(base, column, query.kind, measure, by_member),
            **_scan(base, None, query.kind, measure, by_period),
        }
    else:
        figures = _scan(base, column, query.kind, measure, {**by_member, **by_period})
    now, before, year = figures["now"], figures["before"], figures["year"]
    keys = sorted(now.keys() | before.keys(), key=lambda k: (-(now.get(k) or ZERO), str(k)))
    hidden = max(0, len(keys) - limit)
    names = labels(access.company, query.dimension, keys[:limit])
    report_rows = [
        ReportRow(k, names.get(k, str(k)), now.get(k, ZERO), before.get(k, ZERO), year.get(k, ZERO))
        for k in keys[:limit]
    ]
    total = ReportRow(
        None,
        str(_("Total")),
        sum(now.values(), ZERO),
        sum(before.values(), ZERO),
        sum(year.values(), ZERO),
    )
    current, earlier = figures["current"], figures["earlier"]
    trend = []
    for period in spans:
        a_year_before = periods.start_of(
            query.kind, periods.year_before(period.start, period.start)[0]
        )
        trend.append((period, current.get(period.start, ZERO), earlier.get(a_year_before, ZERO)))
    return SalesReport(
        query=query,
        measure=measure,
        rows=report_rows,
        total=total,
        trend=trend,
        previous_range=previous_range,
        year_range=year_range,
        currency=access.company.base_currency,
        as_of=data_as_of(access),
        hidden=hidden,
    )


@dataclass
class Pivot:
    query: ReportQuery
    measure: Measure
    row_keys: list
    row_labels: dict
    column_keys: list
    column_labels: dict
    cells: dict  # (row key, column key) → value
    row_totals: dict
    column_totals: dict
    total: Decimal
    peak: Decimal
    currency: str
    as_of: object

    def value(self, row, column) -> Decimal:
        return self.cells.get((row, column), ZERO)


def pivot(
    access: Access, query: ReportQuery, *, max_rows: int = 40, max_columns: int = 24
) -> Pivot:
    """A pivot of the facts: rows × columns (a dimension or the period), one measure. Three
    queries (cells, two label look-ups)."""
    measure = MEASURES[query.measure]
    row_column = DIMENSIONS[query.dimension][0]
    rows = _within(facts(access), query.first, query.last).order_by()
    if query.columns == "period":
        column_expr = Trunc("day", query.kind, output_field=DateField())
    else:
        column_expr = F(PIVOT_COLUMNS[query.columns][0])
    cells, row_totals, column_totals = {}, {}, {}
    for row in rows.values(r=F(row_column), c=column_expr).annotate(v=Sum(measure.expression)):
        r = row["r"] if row["r"] not in (None, "") else NONE
        c = row["c"] if row["c"] not in (None, "") else NONE
        value = _exact(row["v"], measure)
        cells[(r, c)] = cells.get((r, c), ZERO) + value
        row_totals[r] = row_totals.get(r, ZERO) + value
        column_totals[c] = column_totals.get(c, ZERO) + value
    row_keys = sorted(row_totals, key=lambda k: (-row_totals[k], str(k)))[:max_rows]
    if query.columns == "period":
        column_keys = [p.start for p in periods.span(query.kind, query.first, query.last)][
            -max_columns:
        ]
        column_labels = {
            p.start: periods.label(p, _Formatter())
            for p in periods.span(query.kind, query.first, query.last)
        }
    else:
        column_keys = sorted(column_totals, key=lambda k: (-column_totals[k], str(k)))[:max_columns]
        column_labels = labels(access.company, query.columns, column_keys)
    peak = max((abs(v) for (r, c), v in cells.items() if r in row_keys), default=ZERO)
    return Pivot(
        query=query,
        measure=measure,
        row_keys=row_keys,
        row_labels=labels(access.company, query.dimension, row_keys),
        column_keys=column_keys,
        column_labels=column_labels,
        cells=cells,
        row_totals=row_totals,
        column_totals=column_totals,
        total=sum(row_totals.values(), ZERO),
        peak=peak,
        currency=access.company.base_currency,
        as_of=data_as_of(access),
    )


class _Formatter:
    def date(self, value):
        return value.isoformat()


def _member_filter(name: str, value: str, kind: str) -> tuple[Q, tuple | None]:
    """The condition of one pivot coordinate (and, for a period, its date range)."""
    if name == "period":
        try:
            start = datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                details={"fields": {name: [_("Enter a valid date (YYYY-MM-DD).")]}}
            ) from None
        period = periods.period_of(kind, start)
        return Q(), (period.start, period.end)
    column = PIVOT_COLUMNS[name][0]
    if value == NONE:
        return (
            Q(**{f"{column}__isnull": True}) | Q(**{column: ""})
            if column == "region"
            else Q(**{f"{column}__isnull": True})
        ), None
    if column == "region":
        return Q(region=value), None
    from ordercrm.core.ids import parse_id

    try:
        return Q(**{column: parse_id(value)}), None
    except Exception:
        raise ValidationFailed(
            details={"fields": {name: [_("Choose one of the offered values.")]}}
        ) from None


@dataclass
class DrillRow:
    order_id: object
    number: str
    customer: str
    order_date: datetime.date
    status: str
    value: Decimal


def drill_down(access: Access, query: ReportQuery, cell: dict) -> list[DrillRow]:
    """The orders behind a report or pivot cell: ``cell`` maps dimension names (and
    ``period``) to the member's value. The same scope and measure as the cell; two queries."""
    from ordercrm.sales import selectors as sales_selectors

    measure = MEASURES[query.measure]
    rows = _within(facts(access, OrderFact), query.first, query.last)
    for name, value in cell.items():
        if name not in PIVOT_COLUMNS:
            continue
        condition, window = _member_filter(name, value, query.kind)
        rows = rows.filter(condition)
        if window:
            rows = rows.filter(
                day__gte=max(window[0], query.first), day__lte=min(window[1], query.last)
            )
    values = {
        row["order_id"]: _exact(row["v"], measure)
        for row in rows.order_by().values("order_id").annotate(v=Sum(measure.expression))
        if row["v"]
    }
    # only orders the viewer may open (a share of a colleague's order counts in the figures)
    orders = {
        o.pk: o
        for o in sales_selectors.order_list(access)
        .filter(pk__in=list(values))
        .select_related(None)  # the list's own joins (terms, salesperson) are not shown here
        .select_related("customer")
        .only("number", "order_date", "status", "customer__name", "salesperson", "team")
    }
    found = [
        DrillRow(pk, o.number, o.customer.name, o.order_date, o.get_status_display(), values[pk])
        for pk, o in orders.items()
    ]
    return sorted(found, key=lambda r: (-r.value, r.number))
