"""Sales performance reads: attainment of targets on the company's basis, the leaderboard,
a salesperson's own figures and the appraisal table.

The basis (``PerformanceSettings``): **booked** = ordered − returned; **invoiced** = invoiced
− credit notes; **collected** = payments allocated (net). Quantity targets count booked
quantities net of returns, or invoiced quantities net of credit notes (invoiced and
collected bases). Figures are each salesperson's share (credit splits), from ``SalesFact``,
net of returns and credit notes in the month they happen.

Every read here is one grouped query of the facts by (salesperson, team, category, month)
plus label look-ups, however many targets or people it covers.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Trunc

from ordercrm.accounts.access import Access
from ordercrm.analytics import periods
from ordercrm.analytics.models import (
    Basis,
    CreditSplit,
    PerformanceSettings,
    SalesFact,
    SalesTarget,
    TargetMetric,
)
from ordercrm.analytics.selectors import labels
from ordercrm.core.dates import company_today
from ordercrm.core.permissions import Perm

ZERO = Decimal(0)

# basis → (amount expression, quantity expression) over the fact columns
BASIS_EXPRESSIONS = {
    Basis.BOOKED: (F("ordered_base") - F("returned_base"), F("ordered_qty") - F("returned_qty")),
    Basis.INVOICED: (
        F("invoiced_base") - F("credited_base"),
        F("invoiced_qty") - F("credited_qty"),
    ),
    Basis.COLLECTED: (F("collected_base"), F("invoiced_qty") - F("credited_qty")),
}


def basis_of(company) -> str:
    return (
        PerformanceSettings.objects.filter(company=company).values_list("basis", flat=True).first()
        or Basis.INVOICED
    )


def period_bounds(kind: str, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    period = periods.period_of(kind, start)
    return period.start, period.end


@dataclass
class Cube:
    """Monthly figures by (salesperson, team, category): ``amount`` and ``quantity``."""

    cells: dict  # (salesperson, team, category, month) → (amount, quantity)

    def total(self, *, first, last, salesperson=None, team=None, category=None, metric="amount"):
        index = 0 if metric == TargetMetric.AMOUNT else 1
        value = ZERO
        for (s, t, c, month), figures in self.cells.items():
            if not (first <= month <= last):
                continue
            if salesperson is not None and s != salesperson:
                continue
            if team is not None and t != team:
                continue
            if category is not None and c != category:
                continue
            value += figures[index]
        return value


def cube(rows: QuerySet, basis: str, first: datetime.date, last: datetime.date) -> Cube:
    amount, quantity = BASIS_EXPRESSIONS[basis]
    cells = {}
    for row in (
        rows.filter(day__gte=first, day__lte=last)
        .order_by()
        .values(
            "salesperson_id",
            "team_id",
            c=F("product__category_id"),
            m=Trunc("day", "month", output_field=DateField()),
        )
        .annotate(a=Sum(amount), q=Sum(quantity))
    ):
        key = (row["salesperson_id"], row["team_id"], row["c"], row["m"])
        a, q = cells.get(key, (ZERO, ZERO))
        cells[key] = (a + (row["a"] or ZERO), q + (row["q"] or ZERO))
    return Cube(cells)


def visible_targets(access: Access) -> QuerySet:
    """Targets of the salespeople and teams in the viewer's scope (own for a rep)."""
    access.require(Perm.ORDER_VIEW)
    targets = SalesTarget.objects.for_company(access.company).select_related(
        "salesperson", "team", "category"
    )
    if access.can(Perm.REPORT_VIEW) or access.can(Perm.TARGET_EDIT):
        return targets.filter(access.owner_filter("salesperson", "team"))
    return targets.filter(salesperson=access.user.pk)


@dataclass
class Attainment:
    target: SalesTarget
    owner: str
    first: datetime.date
    last: datetime.date
    actual: Decimal
    elapsed: Decimal | None  # share of the period gone by today (0–100), None if over

    @property
    def percent(self) -> Decimal:
        return (self.actual * 100 / self.target.value).quantize(Decimal("0.1"))

    @property
    def on_pace(self) -> bool:
        return self.elapsed is None or self.percent >= self.elapsed


def attainments(access: Access, targets, *, rows: QuerySet | None = None) -> list[Attainment]:
    targets = list(targets)
    if not targets:
        return []
    basis = basis_of(access.company)
    bounds = [period_bounds(t.period_kind, t.period_start) for t in targets]
    figures = cube(
        rows if rows is not None else SalesFact.objects.for_company(access.company),
        basis,
        min(b[0] for b in bounds),
        max(b[1] for b in bounds),
    )
    today = company_today(access.company)
    found = []
    for target, (first, last) in zip(targets, bounds, strict=True):
        actual = figures.total(
            first=first,
            last=last,
            salesperson=target.salesperson_id,
            team=target.team_id,
            category=target.category_id,
            metric=target.metric,
        )
        if today > last:
            elapsed = None
        elif today < first:
            elapsed = ZERO
        else:
            elapsed = Decimal(
                ((today - first).days + 1) * 100 / ((last - first).days + 1)
            ).quantize(Decimal("0.1"))
        owner = (
            (target.salesperson.get_full_name() or target.salesperson.username)
            if target.salesperson_id
            else target.team.name
        )
        found.append(Attainment(target, owner, first, last, actual, elapsed))
    return found


@dataclass
class Standing:
    rank: int
    salesperson_id: object
    name: str
    actual: Decimal
    target: Decimal | None
    booked: Decimal = ZERO
    invoiced: Decimal = ZERO
    collected: Decimal = ZERO
    returned: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def percent(self) -> Decimal | None:
        if not self.target:
            return None
        return (self.actual * 100 / self.target).quantize(Decimal("0.1"))


def leaderboard(access: Access, kind: str, start: datetime.date) -> tuple[list[Standing], str]:
    """Salespeople in the viewer's scope ranked by attainment of their amount target for the
    period (those without a target after, by figure). ``report_view``. Returns the standings
    and the basis."""
    access.require(Perm.REPORT_VIEW)
    first, last = period_bounds(kind, start)
    basis = basis_of(access.company)
    rows = (
        SalesFact.objects.for_company(access.company)
        .filter(access.owner_filter("salesperson", "team"), day__gte=first, day__lte=last)
        .exclude(salesperson__isnull=True)
        .order_by()
        .values("salesperson_id")
        .annotate(
            booked=Sum(F("ordered_base") - F("returned_base")),
            invoiced=Sum(F("invoiced_base") - F("credited_base")),
            collected=Sum("collected_base"),
            returned=Sum("returned_base"),
            credited=Sum("credited_base"),
        )
    )
    figures = {row["salesperson_id"]: row for row in rows}
    targets = {
        t.salesperson_id: t.value
        for t in visible_targets(access).filter(
            salesperson__isnull=False,
            category__isnull=True,
            metric=TargetMetric.AMOUNT,
            period_kind=kind,
            period_start=first,
        )
    }
    people = figures.keys() | targets.keys()
    names = labels(access.company, "salesperson", people)
    measure = {"booked": "booked", "invoiced": "invoiced", "collected": "collected"}[basis]
    standings = []
    for person in people:
        row = figures.get(person, {})
        standings.append(
            Standing(
                0,
                person,
                names.get(person, str(person)),
                row.get(measure) or ZERO,
                targets.get(person),
                booked=row.get("booked") or ZERO,
                invoiced=row.get("invoiced") or ZERO,
                collected=row.get("collected") or ZERO,
                returned=row.get("returned") or ZERO,
                credited=row.get("credited") or ZERO,
            )
        )
    standings.sort(key=lambda s: (s.percent is None, -(s.percent or 0), -s.actual, s.name))
    for rank, standing in enumerate(standings, 1):
        standing.rank = rank
    return standings, basis


def my_months(access: Access, months: int = 12) -> list[tuple]:
    """The viewer's own figure on the company's basis per month, the last ``months``."""
    access.require(Perm.ORDER_VIEW)
    today = company_today(access.company)
    last = periods.period_of("month", today).end
    first = periods.shift("month", periods.start_of("month", today), -months + 1)
    basis = basis_of(access.company)
    figures = cube(
        SalesFact.objects.for_company(access.company).filter(salesperson=access.user.pk),
        basis,
        first,
        last,
    )
    by_month = defaultdict(lambda: ZERO)
    for (_s, _t, _c, month), (amount, _q) in figures.cells.items():
        by_month[month] += amount
    return [(p.start, by_month[p.start]) for p in periods.span("month", first, last)]


def own_targets(access: Access):
    """The viewer's targets (and their teams') of the periods running today."""
    today = company_today(access.company)
    starts = Q()
    for kind in ("month", "quarter", "year"):
        starts |= Q(period_kind=kind, period_start=periods.start_of(kind, today))
    mine = Q(salesperson=access.user.pk)
    if access.team_ids:
        mine |= Q(team__in=access.team_ids)
    return (
        SalesTarget.objects.for_company(access.company)
        .filter(mine)
        .filter(starts)
        .select_related("salesperson", "team", "category")
    )


def order_credit_splits(access: Access, order) -> list[CreditSplit]:
    """An order's shares of sales credit (largest first); empty when its salesperson has
    all of it. The order must be one the viewer may see (``sales.selectors.order_get``)."""
    access.require(Perm.ORDER_VIEW)
    return list(
        CreditSplit.objects.for_company(access.company)
        .filter(order_id=order.pk)
        .select_related("salesperson", "team")
        .order_by("-percent", "salesperson__username")
    )


def split_candidates(access: Access, order, splits) -> list:
    """Who may be given a share, for the form: the active members in the viewer's scope,
    plus the order's salesperson and those already sharing it."""
    from ordercrm.accounts.models import Membership

    keep = {s.salesperson_id for s in splits} | ({order.salesperson_id} - {None})
    scope = access.owner_filter("user")
    if scope:  # an empty Q is the whole company; OR-ing it would narrow it to ``keep``
        scope |= Q(user_id__in=keep)
    return list(
        Membership.objects.filter(company=access.company, is_active=True)
        .filter(scope)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
