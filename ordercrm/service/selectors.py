"""Reads of after-sales service, scoped to what the caller may see: cases of the customers
the caller may see (``customers.selectors.customer_list``), their lines with warranty, the
timeline, the actions the caller may take now, and the desk's queues."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case as When_
from django.db.models import F, IntegerField, Min, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.models import AuditEntry
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.fulfilment.models import ShipmentLine, ShipmentStatus
from ordercrm.service import workflow
from ordercrm.service.models import (
    CalendarDay,
    Case,
    CaseAttachment,
    CaseComment,
    CaseLine,
    SlaState,
    WarrantyTerm,
)

QUEUES = ("mine", "team", "unassigned", "all")


def case_list(
    access: Access,
    *,
    queue: str = "",
    status: str = "",
    open_only: bool = False,
    customer_id=None,
    order_id=None,
    case_type: str = "",
    priority: str = "",
    sla_state: str = "",
    search: str = "",
) -> QuerySet[Case]:
    """Cases of the customers the caller may see, SLA breached first, then the nearest due
    time, then the newest."""
    visible = customer_selectors.customer_list(access, include_inactive=True).values("pk")
    cases = (
        Case.objects.for_company(access.company)
        .filter(customer_id__in=visible)
        .select_related("customer", "order", "assignee", "team")
    )
    if queue == "mine":
        cases = cases.filter(assignee=access.user)
    elif queue == "team":
        cases = cases.filter(team_id__in=access.team_ids)
    elif queue == "unassigned":
        cases = cases.filter(assignee__isnull=True)
    if status:
        cases = cases.filter(status=status)
    elif open_only:
        cases = cases.filter(status__in=workflow.OPEN)
    if customer_id:
        cases = cases.filter(customer_id=parse_id(customer_id))
    if order_id:
        cases = cases.filter(order_id=parse_id(order_id))
    if case_type:
        cases = cases.filter(case_type=case_type)
    if priority:
        cases = cases.filter(priority=priority)
    if sla_state:
        cases = cases.filter(sla_state=sla_state)
    if search:
        cases = cases.filter(
            Q(number__icontains=search)
            | Q(subject__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(order__number__icontains=search)
        )
    return cases.annotate(
        breach_rank=When_(
            When(sla_state=SlaState.BREACHED, status__in=workflow.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("breach_rank", F("next_due").asc(nulls_last=True), "-created_at", "-id")


def case_get(access: Access, case_id) -> Case:
    """One visible case; ``core.not_found`` when missing or out of scope."""
    case = (
        case_list(access)
        .filter(pk=parse_id(case_id))
        .select_related("contact", "created_by")
        .first()
    )
    if case is None:
        raise NotFound(details={"case_id": str(case_id)})
    return case


def open_case_count(access: Access, *, customer_id=None, order_id=None) -> int:
    return case_list(access, open_only=True, customer_id=customer_id, order_id=order_id).count()


def case_actions(access: Access, case: Case) -> list[workflow.CaseAction]:
    """The actions the caller may take on the case now (the buttons), by the service's rule."""
    return [
        row for row in workflow.TABLE if row.allowed(case.status) and access.can(row.permission)
    ]


# ---------------------------------------------------------------- lines and warranty


@dataclass(frozen=True)
class CaseLineView:
    line: CaseLine
    order_line: object
    dispatched_on: datetime.date | None
    warranty_months: int | None
    warranty_until: datetime.date | None
    in_warranty: bool | None  # None: unknown (not shipped, or no warranty term)


def add_months(date: datetime.date, months: int) -> datetime.date:
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    for day in (date.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise ValueError(date)


def warranty_months(company, products) -> dict:
    """product id → warranty months: the product's term, else its category's, else the
    nearest parent category's (two queries, plus one per level of categories)."""
    products = [p for p in products if p is not None]
    terms = list(
        WarrantyTerm.objects.for_company(company).filter(
            Q(product__in=products) | Q(category__isnull=False)
        )
    )
    by_product = {t.product_id: t.months for t in terms if t.product_id}
    by_category = {t.category_id: t.months for t in terms if t.category_id}
    result = {}
    parents = _category_parents(company, [p.category_id for p in products if p.category_id])
    for product in products:
        if product.pk in by_product:
            result[product.pk] = by_product[product.pk]
            continue
        category = product.category_id
        for _level in range(32):
            if category is None:
                break
            if category in by_category:
                result[product.pk] = by_category[category]
                break
            category = parents.get(category)
    return result


def _category_parents(company, category_ids) -> dict:
    from ordercrm.catalog.models import Category

    parents: dict = {}
    todo = set(category_ids)
    for _level in range(32):
        todo -= parents.keys()
        if not todo:
            break
        found = dict(
            Category.objects.for_company(company).filter(pk__in=todo).values_list("pk", "parent_id")
        )
        parents.update(found)
        todo = {p for p in found.values() if p} | (todo - found.keys())
        todo -= parents.keys()
    return parents


def dispatch_dates(company, order_line_ids) -> dict:
    """order line id → the date (company time) its first shipment was dispatched."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(company.timezone)
    rows = (
        ShipmentLine.objects.for_company(company)
        .filter(order_line_id__in=order_line_ids, shipment__status=ShipmentStatus.DISPATCHED)
        .values("order_line_id")
        .annotate(first=Min("shipment__dispatched_at"))
    )
    return {r["order_line_id"]: r["first"].astimezone(zone).date() for r in rows if r["first"]}


def case_lines(case: Case) -> list[CaseLineView]:
    """The case's order lines with quantities and warranty (a fixed number of queries)."""
    lines = list(
        CaseLine.objects.for_company(case.company_id)
        .filter(case=case)
        .select_related("order_line__product", "order_line__unit")
        .order_by("order_line__position")
    )
    products = {line.order_line.product_id: line.order_line.product for line in lines}
    months = warranty_months(case.company, products.values())
    dispatched = dispatch_dates(case.company, [line.order_line_id for line in lines])
    opened = timezone.localtime(case.created_at).date()
    views = []
    for line in lines:
        order_line = line.order_line
        term = months.get(order_line.product_id)
        shipped_on = dispatched.get(order_line.pk)
        until = add_months(shipped_on, term) if term and shipped_on else None
        views.append(
            CaseLineView(
                line=line,
                order_line=order_line,
                dispatched_on=shipped_on,
                warranty_months=term,
                warranty_until=until,
                in_warranty=(opened <= until) if until else None,
            )
        )
    return views


def order_lines_for_case(order) -> list:
    """The product lines of an order a case may name, with what was shipped and returned."""
    from ordercrm.sales.selectors import order_lines

    return [line for line in order_lines(order) if line.kind == "product"]


# ---------------------------------------------------------------- comments and timeline


def case_comments(case: Case) -> list[CaseComment]:
    comments = list(
        CaseComment.objects.for_company(case.company_id)
        .filter(case=case)
        .select_related("author")
        .order_by("created_at", "id")
    )
    files: dict = {}
    for attachment in case_attachments(case):
        files.setdefault(attachment.comment_id, []).append(attachment)
    for comment in comments:
        comment.files = files.get(comment.pk, [])
    return comments


def case_attachments(case: Case) -> list[CaseAttachment]:
    return list(
        CaseAttachment.objects.for_company(case.company_id).filter(case=case).order_by("created_at")
    )


def attachment_get(access: Access, case: Case, attachment_id) -> CaseAttachment:
    found = (
        CaseAttachment.objects.for_company(access.company)
        .filter(case=case, pk=parse_id(attachment_id))
        .first()
    )
    if found is None:
        raise NotFound(details={"attachment_id": str(attachment_id)})
    return found


TIMELINE_TITLES = {
    "create": _("Case opened"),
    "update": _("Case changed"),
    "comment": _("Message added"),
    "attach": _("Files attached"),
    "sla_warning": _("SLA due soon"),
    "sla_breached": _("SLA breached"),
    **{row.name: row.done_title for row in workflow.TABLE},
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    actor: object
    title: str
    change: str  # "New → In progress", or the SLA clock


def case_timeline(case: Case) -> list[TimelineEntry]:
    """The case's audit entries, newest first, worded in the reader's language."""
    labels = dict(workflow.CaseStatus.choices)
    clocks = {"first_response": _("first response"), "resolution": _("resolution")}
    entries = []
    for entry in (
        AuditEntry.objects.for_company(case.company_id)
        .filter(entity_type="service.case", entity_id=str(case.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:200]
    ):
        change = ""
        status = entry.changes.get("status") if isinstance(entry.changes, dict) else None
        if isinstance(status, list) and len(status) == 2 and status[0]:
            change = f"{labels.get(status[0], status[0])} → {labels.get(status[1], status[1])}"
        elif isinstance(entry.changes, dict) and entry.changes.get("clock"):
            change = str(clocks.get(entry.changes["clock"], ""))
        entries.append(
            TimelineEntry(
                at=entry.created_at,
                actor=entry.actor,
                title=str(TIMELINE_TITLES.get(entry.action, entry.action)),
                change=change,
            )
        )
    return entries


def may_edit(access: Access) -> bool:
    return access.can(Perm.TICKET_EDIT)


ZERO = Decimal("0")


# The holiday names chinesecalendar gives, in the reader's language.
HOLIDAY_NAMES = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"),
}


@dataclass
class CalendarRow:
    """One date of the year the calendar treats apart from the weekly hours: what China's
    calendar says (``china``: True working, False day off, None not a China day) with the
    holiday's name, the company's own word on it (``override``), and the outcome."""

    date: datetime.date
    china: bool | None
    china_name: str
    override: CalendarDay | None

    @property
    def working(self) -> bool:
        return self.override.is_working if self.override else bool(self.china)


def calendar_year(company, year: int) -> tuple[list[CalendarRow], bool]:
    """The working-calendar editor's year: China's holidays and 调休 days (when the company
    follows China's calendar) and the company's own days, by date; and whether China's
    calendar knows the year. Two queries."""
    from ordercrm.service.sla import settings_for
    from ordercrm.service.working_time import china_special_days

    overrides = {
        day.date: day for day in CalendarDay.objects.for_company(company).filter(date__year=year)
    }
    china = china_special_days(year) if settings_for(company).use_china_calendar else []
    rows = {
        date: CalendarRow(date, working, str(HOLIDAY_NAMES.get(name, name)), overrides.get(date))
        for date, working, name in china or []
    }
    for date, day in overrides.items():
        rows.setdefault(date, CalendarRow(date, None, "", day))
    return [rows[d] for d in sorted(rows)], china is not None


def weekly_hours(company, posted=None, errors=None) -> list[dict]:
    """The weekly hours as the Service levels form shows them: each weekday (Monday first,
    in the reader's language) with its intervals as text (``"09:00-12:00, 13:00-18:00"``);
    ``posted`` (a refused form) puts back what was typed, ``errors`` (its ``day_N`` field
    errors) the reason beside each day."""
    from babel.dates import get_day_names
    from django.utils.translation import get_language, to_locale

    from ordercrm.service.models import WorkingHours

    names = get_day_names("wide", locale=to_locale(get_language() or "en"))
    found: dict[int, list[str]] = {}
    for row in WorkingHours.objects.for_company(company).order_by("weekday", "start"):
        found.setdefault(row.weekday, []).append(f"{row.start:%H:%M}-{row.end:%H:%M}")
    return [
        {
            "weekday": day,
            "name": names[day],
            "errors": (errors or {}).get(f"day_{day}", []),
            "text": posted.get(f"day_{day}", "")
            if posted is not None
            else ", ".join(found.get(day, [])),
        }
        for day in range(7)
    ]
