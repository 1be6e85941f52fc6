"""After-sales reports, scoped like the desk (cases of customers the caller may see, order
lines of orders the caller may see):

- complaint and return rates by product, category or customer: the quantity named on cases
  (questions excluded) opened in the period and the order lines' own ``qty_returned``
  counter, each over the lines' ``qty_shipped``, for orders dated in the period;
- time to first response and to resolution against the SLA, by priority, in working hours
  on the company's calendar;
- open cases by age.

Each report costs a fixed number of queries, whatever the number of cases or lines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import Access
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import SalesOrderLine
from ordercrm.service import sla, workflow
from ordercrm.service.models import CaseLine, CasePriority, CaseType
from ordercrm.service.selectors import case_list

ZERO = Decimal("0")
TOP = 20
AGE_BUCKETS = (
    ("0_1", gettext_lazy("Under 1 day"), 0, 1),
    ("1_3", gettext_lazy("1–3 days"), 1, 3),
    ("3_7", gettext_lazy("3–7 days"), 3, 7),
    ("7_30", gettext_lazy("7–30 days"), 7, 30),
    ("30_plus", gettext_lazy("Over 30 days"), 30, None),
)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @classmethod
    def default(cls, company) -> Period:
        today = company_today(company)
        return cls(today - datetime.timedelta(days=89), today)

    @classmethod
    def parse(cls, start: str, end: str, company) -> Period:
        """``YYYY-MM-DD`` bounds (inclusive); empty means the last 90 days."""
        default = cls.default(company)
        try:
            first = datetime.date.fromisoformat(start) if start else default.start
            last = datetime.date.fromisoformat(end) if end else default.end
        except ValueError:
            raise ValidationFailed(
                details={
                    "fields": {"from": [_("Enter a valid date.")], "to": [_("Enter a valid date.")]}
                }
            ) from None
        if last < first:
            raise ValidationFailed(details={"fields": {"to": [_("The end is before the start.")]}})
        return cls(first, last)

    def moments(self, company):
        import zoneinfo

        zone = zoneinfo.ZoneInfo(company.timezone)
        begin = datetime.datetime.combine(self.start, datetime.time.min, zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, zone
        )
        return begin, end


@dataclass(frozen=True)
class RateRow:
    key: object
    label: str
    shipped: Decimal
    complained: Decimal
    returned: Decimal
    cases: int

    @property
    def complaint_rate(self) -> Decimal | None:
        return (
            (self.complained * 100 / self.shipped).quantize(Decimal("0.01"))
            if self.shipped
            else None
        )

    @property
    def return_rate(self) -> Decimal | None:
        return (
            (self.returned * 100 / self.shipped).quantize(Decimal("0.01")) if self.shipped else None
        )


GROUPS = {
    "product": ("product_id", "order_line__product_id"),
    "category": ("product__category_id", "order_line__product__category_id"),
    "customer": ("order__customer_id", "case__customer_id"),
}


def _labels(company, by: str, keys) -> dict:
    keys = [k for k in keys if k is not None]
    if by == "product":
        from ordercrm.catalog.models import Product

        return {
            p.pk: f"{p.sku} {p.name}"
            for p in Product.objects.for_company(company).filter(pk__in=keys)
        }
    if by == "category":
        from ordercrm.catalog.models import Category

        return dict(
            Category.objects.for_company(company).filter(pk__in=keys).values_list("pk", "name")
        )
    from ordercrm.customers.models import Customer

    return dict(Customer.objects.for_company(company).filter(pk__in=keys).values_list("pk", "name"))


def complaint_rates(access: Access, period: Period, by: str) -> list[RateRow]:
    """The ``TOP`` groups with the most quantity complained about (then returned)."""
    access.require(Perm.REPORT_VIEW)
    company = access.company
    line_key, case_key = GROUPS[by]
    orders = sales_selectors.order_list(access).filter(
        order_date__gte=period.start, order_date__lte=period.end
    )
    shipped = {
        row[line_key]: row
        for row in SalesOrderLine.objects.for_company(company)
        .filter(order__in=orders.values("pk"), kind="product")
        .values(line_key)
        .annotate(shipped=Sum("qty_shipped"), returned=Sum("qty_returned"))
    }
    begin, end = period.moments(company)
    cases = (
        case_list(access)
        .filter(created_at__gte=begin, created_at__lt=end)
        .exclude(case_type=CaseType.QUESTION)
    )
    complained = {
        row[case_key]: row
        for row in CaseLine.objects.for_company(company)
        .filter(case__in=cases.values("pk"))
        .values(case_key)
        .annotate(quantity=Sum("quantity"), cases=Count("case", distinct=True))
    }
    keys = set(shipped) | set(complained)
    labels = _labels(company, by, keys)
    rows = [
        RateRow(
            key=key,
            label=labels.get(key, "—"),
            shipped=(shipped.get(key) or {}).get("shipped") or ZERO,
            complained=(complained.get(key) or {}).get("quantity") or ZERO,
            returned=(shipped.get(key) or {}).get("returned") or ZERO,
            cases=(complained.get(key) or {}).get("cases") or 0,
        )
        for key in keys
    ]
    rows = [r for r in rows if r.complained or r.returned]
    rows.sort(key=lambda r: (-r.complained, -r.returned, r.label))
    return rows[:TOP]


@dataclass(frozen=True)
class TimeRow:
    priority: str
    label: str
    cases: int
    responded: int
    response_met: int
    response_hours: Decimal | None  # average, working hours
    resolved: int
    resolution_met: int
    resolution_hours: Decimal | None

    @property
    def response_met_pct(self):
        return (
            round(Decimal(self.response_met * 100) / self.responded, 1) if self.responded else None
        )

    @property
    def resolution_met_pct(self):
        return (
            round(Decimal(self.resolution_met * 100) / self.resolved, 1) if self.resolved else None
        )


def _hours(minutes: list[int]) -> Decimal | None:
    if not minutes:
        return None
    return (Decimal(sum(minutes)) / len(minutes) / 60).quantize(Decimal("0.1"))


def response_times(access: Access, period: Period) -> list[TimeRow]:
    """By priority, for cases opened in the period: how many were answered and resolved,
    within their SLA, and the average working hours it took (pauses not counted)."""
    access.require(Perm.REPORT_VIEW)
    company = access.company
    calendar = sla.calendar_for(company)
    begin, end = period.moments(company)
    rows = (
        case_list(access)
        .filter(created_at__gte=begin, created_at__lt=end)
        .values_list(
            "priority",
            "created_at",
            "first_response_at",
            "first_response_due",
            "resolved_at",
            "resolution_due",
            "paused_minutes",
            "response_breached",
            "resolution_breached",
        )
    )
    stats: dict[str, dict] = {
        p: {"n": 0, "r": [], "rm": 0, "s": [], "sm": 0} for p in CasePriority.values
    }
    for priority, created, responded, _rdue, resolved, _sdue, paused, r_breach, s_breach in rows:
        bucket = stats.setdefault(priority, {"n": 0, "r": [], "rm": 0, "s": [], "sm": 0})
        bucket["n"] += 1
        if responded:
            bucket["r"].append(calendar.minutes_between(created, responded))
            bucket["rm"] += 0 if r_breach or (_rdue and responded > _rdue) else 1
        if resolved:
            bucket["s"].append(max(0, calendar.minutes_between(created, resolved) - paused))
            bucket["sm"] += 0 if s_breach or (_sdue and resolved > _sdue) else 1
    labels = dict(CasePriority.choices)
    return [
        TimeRow(
            priority=p,
            label=str(labels.get(p, p)),
            cases=s["n"],
            responded=len(s["r"]),
            response_met=s["rm"],
            response_hours=_hours(s["r"]),
            resolved=len(s["s"]),
            resolution_met=s["sm"],
            resolution_hours=_hours(s["s"]),
        )
        for p, s in reversed(list(stats.items()))
        if s["n"]
    ]


def open_by_age(access: Access, now=None) -> list[dict]:
    """Open cases counted by age since they were opened (one query)."""
    now = now or timezone.now()
    counts = {}
    for key, _label, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - datetime.timedelta(days=high))
        counts[key] = Count("pk", filter=condition)
    totals = case_list(access).filter(status__in=workflow.OPEN).order_by().aggregate(**counts)
    return [
        {"key": key, "label": label, "count": totals.get(key) or 0}
        for key, label, _low, _high in AGE_BUCKETS
    ]
