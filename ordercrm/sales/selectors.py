"""Reads of sales orders, scoped by company and record scope (salesperson / team)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.models import AuditEntry, Event
from ordercrm.core.money import ZERO
from ordercrm.core.permissions import Perm
from ordercrm.sales import workflow
from ordercrm.sales.models import LineKind, OrderComment, OrderRevision, SalesOrder, SalesOrderLine

# The progress rule is ``sales.progress``'s (pure); its names are read through here too.
from ordercrm.sales.progress import (
    PROGRESS_VALUES,
    OrderState,
    Progress,
    order_progress,
    state_of,
)
from ordercrm.sales.progress import line_invoiceable as line_invoiceable
from ordercrm.sales.progress import line_to_invoice as line_to_invoice


def order_list(
    access: Access,
    *,
    status: str | None = None,
    customer_id=None,
    salesperson_id=None,
    date_from=None,
    date_to=None,
    search: str = "",
    fulfilment: str | None = None,
    invoicing: str | None = None,
    payment: str | None = None,
) -> QuerySet[SalesOrder]:
    """Orders the user may see, newest first, narrowed by any of the given filters.

    ``fulfilment``, ``invoicing`` and ``payment`` filter on the progress axes with exactly
    the rule ``order_progress`` applies in Python (tested against it), as SQL."""
    access.require(Perm.ORDER_VIEW)
    orders = (
        SalesOrder.objects.for_company(access.company)
        .filter(access.owner_filter("salesperson", "team"))
        .select_related("customer", "salesperson", "payment_terms")
    )
    if status:
        orders = orders.filter(status=status)
    if customer_id:
        orders = orders.filter(customer_id=customer_id)
    if salesperson_id:
        orders = orders.filter(salesperson_id=salesperson_id)
    if date_from:
        orders = orders.filter(order_date__gte=date_from)
    if date_to:
        orders = orders.filter(order_date__lte=date_to)
    if search.strip():
        orders = orders.filter(pk__in=_matching(access.company, search.strip()))
    orders = _filter_progress(orders, fulfilment, invoicing, payment)
    return orders.order_by("-created_at", "-id")


def _matching(company, term: str):
    """Ids of the orders whose number, customer name or PO reference contains ``term``
    (case-insensitive): a union of three lookups rather than one OR across the customer
    join, so each can use its trigram index on PostgreSQL (``sales`` migration 0017) and
    a search costs what it finds, not a scan of every order."""
    from ordercrm.customers.models import Customer

    orders = SalesOrder.objects.for_company(company).order_by()
    customers = Customer.objects.for_company(company).filter(name__icontains=term)
    return (
        orders.filter(number__icontains=term)
        .values("pk")
        .union(
            orders.filter(customer_reference__icontains=term).values("pk"),
            orders.filter(customer__in=customers.values("pk")).values("pk"),
        )
    )


def _unknown_progress(axis: str, value: str) -> ValidationFailed:
    return ValidationFailed(
        _("Unknown status “%(value)s”; use one of: %(choices)s."),
        params={"value": value, "choices": ", ".join(PROGRESS_VALUES[axis])},
        details={"fields": {axis: [value]}},
    )


def _filter_progress(orders, fulfilment, invoicing, payment):
    """The progress axes, on the columns the services store (``sales.progress_sql``, the
    rule of ``order_progress``): each filter is an index range in the lists' order, so a
    page of a rare state costs the same at 10k orders as at 1M."""
    for axis, value in (("fulfilment", fulfilment), ("invoicing", invoicing), ("payment", payment)):
        if not value:
            continue
        if value not in PROGRESS_VALUES[axis]:
            raise _unknown_progress(axis, value)
        orders = orders.filter(**{f"{axis}_progress": value})
    return orders


def order_get(access: Access, order_id) -> SalesOrder:
    """One visible order; ``core.not_found`` when missing or out of scope."""
    order = order_list(access).filter(pk=parse_id(order_id)).first()
    if order is None:
        raise NotFound(details={"order_id": str(order_id)})
    return order


def order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    """The order's lines in position order, products, units and price rules loaded, each kit line with
    its copied ``kit_components`` (one more query only when the order has a kit line)."""
    from ordercrm.sales import kits

    lines = list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .select_related("product", "unit", "price_rule")
        .order_by("position")
    )
    return kits.attach(order.company_id, lines)


def order_revisions(order: SalesOrder) -> QuerySet[OrderRevision]:
    return (
        OrderRevision.objects.for_company(order.company_id).filter(order=order).order_by("revision")
    )


@dataclass(frozen=True)
class OrderSummary:
    """What a list shows of an order: the order's own fields (read through), its line count,
    progress and approval steps. ``lines`` is set on the detail only (``order_detail``)."""

    order: SalesOrder
    line_count: int
    progress: Progress
    approvals: list
    lines: list[SalesOrderLine] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.order, name)


def order_summaries(orders: list[SalesOrder]) -> list[OrderSummary]:
    """Line count, progress and approval steps of each order in two queries, whatever the
    number of orders and of their lines (no line is loaded): progress is what the services
    stored on the order (``sales.progress_sql``)."""
    from django.db.models import Count

    from ordercrm.sales.models import OrderApproval

    if not orders:
        return []
    ids = [o.pk for o in orders]
    counts = dict(
        SalesOrderLine.all_objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(lines=Count("id"))
        .order_by()
        .values_list("order_id", "lines")
    )
    steps: dict = {}
    for approval in (
        OrderApproval.objects.for_company(orders[0].company_id)
        .filter(order_id__in=ids)
        .order_by("created_at", "level")
    ):
        steps.setdefault(approval.order_id, []).append(approval)
    return [
        OrderSummary(
            order,
            counts.get(order.pk, 0),
            Progress(order.fulfilment_progress, order.invoicing_progress, order.payment_progress),
            steps.get(order.pk, []),
        )
        for order in orders
    ]


@dataclass(frozen=True)
class LineStock:
    """Free stock for one product line at quoting: ``free`` = on hand − reserved in the
    warehouses the order draws from (− what other open quotations ask, when the company counts
    them), shared between lines of one product in position order; ``wanted`` = what the line
    still needs (open − reserved); ``short`` = how much of it the free stock does not cover."""

    free: Any
    wanted: Any
    short: Any


def _line_parts(order: SalesOrder, lines: list[SalesOrderLine]) -> dict[int, dict]:
    """``{index: {component product id: per kit}}`` for the kit lines among ``lines``: a
    saved line's copied components, an unsaved one's (a preview) the kit's current ones.
    One query each, none without kit lines."""
    from ordercrm.catalog.selectors import kit_components_of
    from ordercrm.sales import kits

    saved = [line for line in lines if line.is_kit and not line._state.adding]
    fresh = [line for line in lines if line.is_kit and line._state.adding and line.product_id]
    copied = kits.components_of(order.company_id, saved)
    current = kit_components_of(order.company_id, {line.product_id for line in fresh})
    parts: dict[int, dict] = {}
    for index, line in enumerate(lines):
        if not line.is_kit:
            continue
        if line._state.adding:
            parts[index] = {c.component_id: c.quantity for c in current.get(line.product_id, [])}
        else:
            parts[index] = {c.product_id: c.quantity for c in copied.get(line.pk, [])}
    return parts


def lines_stock(order: SalesOrder, lines: list[SalesOrderLine]) -> list[LineStock | None]:
    """Per line (aligned with ``lines``): its :class:`LineStock`, or None for a section, a note
    or a product that is not stock-tracked. Four queries whatever the number of lines (tracked
    products, warehouses, stock levels, other quotations), and with kit lines one or two for
    their components and one for other quotations' kits; ``lines`` may be unsaved (a preview).

    A kit's free stock is the whole kits its components' free stock makes (Odoo's rule,
    ``sales.kits.kits_from``); what a kit line wants is taken from its components' free
    stock for the lines after it."""
    from django.db.models import F, Sum

    from ordercrm.catalog.models import Product
    from ordercrm.inventory import selectors as inventory_selectors
    from ordercrm.inventory.services import warehouses_in_order
    from ordercrm.sales import kits
    from ordercrm.sales.models import OrderLineComponent

    goods = {line.product_id for line in lines if line.kind == LineKind.PRODUCT and line.product_id}
    if not goods:
        return [None] * len(lines)
    tracked = set(
        Product.objects.for_company(order.company_id)
        .filter(pk__in=goods, is_stock_tracked=True)
        .values_list("pk", flat=True)
    )
    if not tracked:
        return [None] * len(lines)
    parts = _line_parts(order, lines)
    counted = tracked | {pid for per_kit in parts.values() for pid in per_kit}
    levels = inventory_selectors.availability(
        order.company_id, counted, warehouses_in_order(order.company, order.warehouse_id)
    )
    left = {pid: levels[pid].available if pid in levels else ZERO for pid in counted}
    if order.company.availability_counts_quotations:
        quoted = (
            SalesOrderLine.objects.for_company(order.company_id)
            .filter(
                product_id__in=counted,
                kind=LineKind.PRODUCT,
                order__status__in=workflow.QUOTATION,
            )
            .exclude(order_id=order.pk)
            .values("product_id")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        for row in quoted:
            left[row["product_id"]] -= row["quantity"] or ZERO
        if parts:
            in_kits = (
                OrderLineComponent.objects.for_company(order.company_id)
                .filter(
                    product_id__in=counted,
                    line__order__status__in=workflow.QUOTATION,
                )
                .exclude(line__order_id=order.pk)
                .values("product_id")
                .annotate(quantity=Sum(F("quantity") * F("line__quantity")))
                .order_by()
            )
            for row in in_kits:
                left[row["product_id"]] -= row["quantity"] or ZERO
    result: list[LineStock | None] = [None] * len(lines)
    for index in sorted(range(len(lines)), key=lambda i: lines[i].position):
        line = lines[index]
        if line.kind != LineKind.PRODUCT or line.product_id not in tracked:
            continue
        wanted = max(line.quantity - line.qty_shipped - line.qty_closed - line.qty_reserved, ZERO)
        if index in parts:
            per_kit = parts[index]
            free = kits.kits_from(left, per_kit)
            for pid, quantity in per_kit.items():
                left[pid] -= min(kits.scaled(wanted, quantity), max(left[pid], ZERO))
        else:
            free = max(left[line.product_id], ZERO)
            left[line.product_id] = free - min(wanted, free)
        result[index] = LineStock(free=free, wanted=wanted, short=max(wanted - free, ZERO))
    return result


def stock_warning(lines: list[SalesOrderLine], stock: list[LineStock | None]) -> list[dict]:
    """The order's warning when a line asks for more than the free stock (empty if none):
    ``{"code": "sales.stock_short", "lines": [{position, sku, wanted, free}]}``."""
    from ordercrm.core.money import plain

    short = [
        {
            "position": line.position,
            "sku": line.product.sku if line.product_id else "",
            "wanted": plain(figures.wanted),
            "free": plain(figures.free),
        }
        for line, figures in zip(lines, stock, strict=True)
        if figures is not None and figures.short > 0
    ]
    return [{"code": "sales.stock_short", "lines": short}] if short else []


def with_stock(order: SalesOrder, lines: list[SalesOrderLine]) -> list[dict]:
    """Give each line its ``stock`` (:class:`LineStock` or None) and return the order's stock
    warning; a quotation only (a confirmed order's stock is its reservations and backorders)."""
    if order.status not in workflow.QUOTATION:
        for line in lines:
            line.stock = None
        return []
    stock = lines_stock(order, lines)
    for line, figures in zip(lines, stock, strict=True):
        line.stock = figures
    return stock_warning(lines, stock)


def order_discount_of(order: SalesOrder, lines: list[SalesOrderLine]):
    """The order discount as amounts (``calculations.OrderDiscount``), or None without one."""
    from ordercrm.sales.calculations import LineInput, order_discount

    if not order.discount_percent:
        return None
    return order_discount(
        [
            LineInput(line.quantity, line.unit_price, line.discount_percent, line.tax_percent)
            for line in lines
            if line.kind == LineKind.PRODUCT
        ],
        currency=order.currency,
        order_discount_percent=order.discount_percent,
        rounding_mode=order.company.rounding_mode,
    )


def line_amount_before_discount(order: SalesOrder, line: SalesOrderLine):
    """A line's amount before the order discount (net, or gross with tax-inclusive prices)."""
    from ordercrm.core.money import round_money
    from ordercrm.sales.calculations import LineInput, line_base

    base = line_base(LineInput(line.quantity, line.unit_price, line.discount_percent))
    return round_money(base, order.currency, order.company.rounding_mode)


def order_detail(order: SalesOrder) -> OrderSummary:
    """An order with all its lines (in position order), progress and approval steps; a
    quotation's lines carry their free stock (``with_stock``) and the order its warning."""
    lines = order_lines(order)
    warnings = [w for w in getattr(order, "warnings", []) if w.get("code") != "sales.stock_short"]
    order.warnings = warnings + with_stock(order, lines)
    return OrderSummary(
        order,
        len(lines),
        order_progress(order, lines, paid=order.amount_paid),
        list(order_approvals(order)),
        lines,
    )


def order_state(order: SalesOrder, lines: list[SalesOrderLine] | None = None) -> OrderState:
    """The :class:`~ordercrm.sales.progress.OrderState` of an order (its lines are read when
    not given)."""
    return state_of(order, order_lines(order) if lines is None else lines)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # audit | event | comment
    actor: Any
    title: str
    details: Any


def order_timeline(access: Access, order_id, *, events: bool = True) -> list[TimelineItem]:
    """Audit entries, outbox events and comments of one order, oldest first. Each event
    mirrors an audit entry of the same change, so a reader's timeline asks for
    ``events=False`` (each fact once); the API's raw trail keeps both."""
    order = order_get(access, order_id)
    key = {"entity_type": SalesOrder._meta.label_lower, "entity_id": str(order.pk)}
    items = [
        TimelineItem(e.created_at, "audit", e.actor, e.action, e.changes)
        for e in AuditEntry.objects.for_company(order.company_id)
        .filter(**key)
        .select_related("actor")
    ]
    if events:
        items += [
            TimelineItem(e.created_at, "event", e.actor, e.type, e.payload)
            for e in Event.objects.for_company(order.company_id)
            .filter(**key)
            .select_related("actor")
        ]
    items += [
        TimelineItem(c.created_at, "comment", c.author, "comment", c.text)
        for c in OrderComment.objects.for_company(order.company_id)
        .filter(order=order)
        .select_related("author")
    ]
    rank = {"audit": 0, "event": 1, "comment": 2}
    return sorted(items, key=lambda item: (item.at, rank[item.kind]))


@dataclass(frozen=True)
class InboxItem:
    """An order waiting for the user's approval, with what the approver needs to decide."""

    order: SalesOrder
    approvals: list  # the pending approvals of the current level this user may give
    reasons: list[dict[str, Any]]
    margin_percent: Any
    credit_exposure: Any
    credit_limit: Any
    stock_shortfall: list[dict[str, str]]
    lines: list = ()  # the order's lines
    line_figures: list = ()  # LineFigures of each product line


def approval_inbox(access: Access, *, limit: int = 50) -> list[InboxItem]:
    """Orders waiting for this user at their current approval level, oldest first, among the
    orders the user may see (an approver outside an order's scope never sees it)."""

    from ordercrm.sales import approvals
    from ordercrm.sales.models import ApprovalStatus, OrderApproval
    from ordercrm.sales.workflow import Status

    if not access.can(Perm.ORDER_APPROVE):
        return []
    visible = order_list(access, status=Status.PENDING_APPROVAL).values("pk")
    pending = (
        OrderApproval.objects.for_company(access.company)
        .filter(status=ApprovalStatus.PENDING, order_id__in=visible)
        .select_related("order", "order__customer", "order__company")
        .order_by("order__submitted_at", "order_id", "level")
    )
    by_order: dict = {}
    for approval in pending:
        by_order.setdefault(approval.order_id, []).append(approval)
    items = []
    for group in by_order.values():
        mine = approvals.decidable(access, [a for a in group if a.level == group[0].level])
        if not mine:
            continue
        order = mine[0].order
        lines = order_lines(order)
        items.append(
            InboxItem(
                order=order,
                approvals=mine,
                reasons=order.approval_reasons,
                margin_percent=approvals.margin_percent(order, lines),
                credit_exposure=approvals.credit_exposure(order),
                credit_limit=order.customer.credit_limit,
                stock_shortfall=approvals.stock_shortfall(order, lines),
                lines=lines,
                line_figures=order_line_figures(order, lines),
            )
        )
        if len(items) >= limit:
            break
    return items


def order_approvals(order: SalesOrder):
    """Every approval asked for this order, all submissions, in order."""
    from ordercrm.sales.models import OrderApproval

    return (
        OrderApproval.objects.for_company(order.company_id)
        .filter(order=order)
        .select_related("decided_by")
        .order_by("created_at", "level")
    )


def customer_sales(access: Access, customer, *, top: int = 10) -> dict:
    """The sales side of a customer 360: open orders, purchase history (booked orders, newest
    first), top products (by quantity, across confirmed and finished orders) and the credit
    position."""
    from django.db.models import Count, Sum

    from ordercrm.sales import approvals

    orders = order_list(access, customer_id=customer.pk)
    sold = (
        SalesOrderLine.objects.for_company(access.company)
        .filter(
            order__in=orders.booked(),
            kind=LineKind.PRODUCT,
            product__isnull=False,
        )
        .values("product_id", "product__sku", "product__name")
        .annotate(quantity=Sum("quantity"), amount=Sum("net"), orders=Count("order", distinct=True))
        .order_by("-quantity")[:top]
    )
    return {
        "open_orders": list(orders.open()[:20]),
        # what the customer bought: every booked order (confirmed or later, not cancelled),
        # the ones still being delivered included
        "history": list(orders.booked()[:20]),
        "top_products": list(sold),
        "exposure": approvals.customer_exposure(customer),
    }


@dataclass(frozen=True)
class MonthFigures:
    month: Any  # the first day of the month
    orders: int
    revenue: Any  # Decimal, company currency


def monthly_sales(access: Access, *, today, months: int = 6) -> list[MonthFigures]:
    """Booked orders (confirmed or later, not cancelled) per month of order date, with their
    gross total in the company currency, for the ``months`` up to ``today``'s month; months
    without orders count as zero. Scoped like the order list: a rep sees their own."""
    from datetime import date
    from decimal import Decimal

    from django.db.models import Count, Sum
    from django.db.models.functions import TruncMonth

    first = date(today.year, today.month, 1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(year, month + 1, 1))
    rows = (
        order_list(access, date_from=starts[0])
        .booked()
        .order_by()
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(orders=Count("id"), revenue=Sum("company_gross_total"))
    )
    found = {
        (row["month"].year, row["month"].month): (row["orders"], row["revenue"]) for row in rows
    }
    return [
        MonthFigures(
            start,
            found.get((start.year, start.month), (0, None))[0],
            Decimal(found.get((start.year, start.month), (0, None))[1] or 0),
        )
        for start in starts
    ]


def my_open_orders(access: Access, *, limit: int = 10) -> QuerySet[SalesOrder]:
    """The user's own orders still in progress, most recently changed first."""
    return (
        order_list(access)
        .open()
        .filter(salesperson=access.user)
        .order_by("-updated_at", "-id")[:limit]
    )


def recent_orders(access: Access, *, limit: int = 10) -> QuerySet[SalesOrder]:
    """Visible orders whose status changed last: the dashboard's recent activity."""
    return order_list(access).exclude(status_changed_at=None).order_by("-status_changed_at")[:limit]


def product_recent_lines(access: Access, product_id, *, limit: int = 10) -> list[SalesOrderLine]:
    """The latest lines selling a product, on orders the caller may see (the product page):
    a rep sees their own orders' lines only."""
    visible = order_list(access).values("pk")
    return list(
        SalesOrderLine.objects.for_company(access.company)
        .filter(product_id=product_id, order_id__in=visible)
        .select_related("order", "order__customer", "unit")
        .order_by("-order__order_date", "-order__created_at")[:limit]
    )


def may_decide(access: Access, order: SalesOrder) -> bool:
    """Whether the user can approve, reject or request changes on this order now: it waits
    for approval and one of the steps at its current level is theirs. The services enforce
    the same rule; this is for showing only the buttons that will work."""
    from ordercrm.sales import approvals
    from ordercrm.sales.workflow import Status

    if order.status != Status.PENDING_APPROVAL or not access.can(Perm.ORDER_APPROVE):
        return False
    own = access.user.pk in (order.submitted_by_id, order.salesperson_id)
    if own and not access.company.allow_self_approval:
        return False
    return bool(approvals.decidable(access, approvals.current_level(order)))


def _visible_templates(access: Access):
    """Company-wide templates and those of customers the caller may see."""
    from ordercrm.customers.selectors import customer_list
    from ordercrm.sales.models import OrderTemplate

    access.require(Perm.ORDER_EDIT)
    visible_customers = customer_list(access, include_inactive=True).values("pk")
    return (
        OrderTemplate.objects.for_company(access.company)
        .filter(Q(customer__isnull=True) | Q(customer__in=visible_customers))
        .select_related("customer", "created_by")
    )


def order_templates(access: Access, customer_id=None):
    """Templates for order entry: the active company-wide ones and, given a customer, that
    customer's own (another customer's template is never offered)."""
    condition = Q(customer__isnull=True)
    if customer_id:
        condition |= Q(customer_id=customer_id)
    return _visible_templates(access).filter(condition, is_active=True).order_by("name")


def template_list(access: Access, *, customer_id=None, status: str = "active", search: str = ""):
    """The template management list: ``status`` active / inactive / all; with
    ``customer_id`` only that customer's and the company-wide ones."""
    templates = _visible_templates(access)
    if status in ("active", "inactive"):
        templates = templates.filter(is_active=status == "active")
    if customer_id:
        templates = templates.filter(Q(customer__isnull=True) | Q(customer_id=customer_id))
    if search.strip():
        templates = templates.filter(name__icontains=search.strip())
    return templates.order_by("name", "pk")


def template_get(access: Access, template_id, *, include_inactive: bool = True):
    """One template the caller may see; ``core.not_found`` otherwise."""
    template = _visible_templates(access).filter(pk=parse_id(template_id)).first()
    if template is None or (not include_inactive and not template.is_active):
        raise NotFound(details={"template_id": str(template_id)})
    return template


def template_lines(template) -> list[dict]:
    """A template's lines with their products (SKU, name), looked up at once."""
    from ordercrm.catalog.models import Product

    ids = [line.get("product_id") for line in template.lines if line.get("product_id")]
    products = Product.objects.for_company(template.company_id).in_bulk([parse_id(i) for i in ids])
    return [
        {
            **line,
            "product": products.get(parse_id(line["product_id"]))
            if line.get("product_id")
            else None,
        }
        for line in template.lines
    ]


def template_entry_lines(access: Access, template_id) -> list[dict]:
    """A template's lines as entry rows (``sku``, ``quantity``), products looked up at once."""
    from ordercrm.catalog.models import Product

    template = template_get(access, template_id, include_inactive=False)
    ids = [line.get("product_id") for line in template.lines if line.get("product_id")]
    skus = dict(
        Product.objects.for_company(access.company).filter(pk__in=ids).values_list("pk", "sku")
    )
    return [
        {
            "sku": skus.get(parse_id(line["product_id"]), ""),
            "quantity": str(line.get("quantity", "")),
            "discount_percent": "0",
        }
        for line in template.lines
        if line.get("product_id")
    ]


def order_actions(access: Access, order: SalesOrder, state: OrderState | None = None) -> list[str]:
    """What this user can do with the order now, for showing only buttons that will work:
    the workflow table's buttons its status allows and the table's permission grants
    (approval ones only when a step is theirs), then ``ship`` (something still open), ``invoice`` (something
    left to invoice, credited quantities excluded), ``pay`` (something still owed),
    ``amend``, ``email``, ``reorder``, ``edit`` (a draft) and ``rate`` (override a foreign
    draft's exchange rate) by the same rules the services apply."""
    from ordercrm.sales import workflow
    from ordercrm.sales.workflow import Status

    actions = [
        row.name
        for row in workflow.BUTTONS
        if row.allowed(order.status) and access.can(row.permission_in(order.status))
    ]
    if workflow.APPROVE.name in actions and not may_decide(access, order):
        actions = [a for a in actions if a not in workflow.DECISIONS]
    edit = access.can(Perm.ORDER_EDIT)
    ship = order.status in workflow.SHIPPABLE and access.can(Perm.SHIPMENT_EDIT)
    invoice = order.status in workflow.INVOICEABLE and access.can(Perm.INVOICE_EDIT)
    pay = access.can(Perm.PAYMENT_EDIT) and order.status != Status.CANCELLED
    if (ship or invoice or pay) and state is None:
        state = order_state(order)
    extra = {
        "ship": ship and state.anything_to_ship,
        "invoice": invoice and state.anything_to_invoice,
        "pay": pay and state.progress.payment in ("unpaid", "partially_paid"),
        "amend": edit and workflow.allowed("amend", order.status),
        "email": edit and order.status in workflow.SENDABLE,
        "reorder": edit,
        "edit": edit and order.status in workflow.EDITABLE,
        "rate": edit
        and order.status in workflow.EDITABLE
        and order.currency != order.company.base_currency
        and access.can(Perm.EXCHANGE_RATE_OVERRIDE),
    }
    return actions + [name for name, ok in extra.items() if ok]


# ---------------------------------------------------------------- the approver's view


@dataclass(frozen=True)
class LineFigures:
    """What an approver weighs on one line: discount, price against the price list, margin
    (company currency, after the order discount), and stock for what is not reserved yet."""

    line: SalesOrderLine
    discount_percent: Any
    unit_price: Any
    list_price: Any
    below_list_percent: Any  # how far the price is under the price list (None if not under)
    margin_percent: Any  # None when the line has no net amount
    tracked: bool
    available: Any  # free stock of the product (None for untracked products)
    shortfall: Any  # what would go on backorder if confirmed now (0 when none)


def order_line_figures(order: SalesOrder, lines: list[SalesOrderLine]) -> list[LineFigures]:
    """Each product line's figures for the approval view, in a fixed number of queries
    whatever the line count. Stock is ``lines_stock``'s (shared between lines of the same
    product in position order, the way confirmation reserves it, so two lines of one product
    never both count the same units)."""
    from decimal import Decimal

    goods = [line for line in lines if line.kind == LineKind.PRODUCT]
    stock = dict(zip((id(line) for line in goods), lines_stock(order, goods), strict=True))
    rate = order.exchange_rate or (
        Decimal(1) if order.currency == order.company.base_currency else None
    )
    if rate is None:
        from ordercrm.catalog.selectors import exchange_rate_on

        table = exchange_rate_on(order.company, order.currency, order.order_date)
        rate = table.rate if table is not None else None
    result = []
    for line in sorted(goods, key=lambda ln: ln.position):
        below = None
        if line.list_unit_price and line.unit_price < line.list_unit_price:
            below = (
                (line.list_unit_price - line.unit_price) / line.list_unit_price * 100
            ).quantize(Decimal("0.01"))
        margin = None
        net = line.net  # after the order discount already (sales.calculations.line_base)
        if net > 0 and rate is not None:
            net_company = net * rate
            margin = ((net_company - line.unit_cost * line.quantity) / net_company * 100).quantize(
                Decimal("0.01")
            )
        figures = stock[id(line)]
        result.append(
            LineFigures(
                line=line,
                discount_percent=line.discount_percent,
                unit_price=line.unit_price,
                list_price=line.list_unit_price,
                below_list_percent=below,
                margin_percent=margin,
                tracked=figures is not None,
                available=figures.free if figures is not None else None,
                shortfall=figures.short if figures is not None else ZERO,
            )
        )
    return result


@dataclass(frozen=True)
class OrderRate:
    """The exchange rate an order uses and where it comes from."""

    currency: str
    base_currency: str
    rate: Any  # None: the table has no rate for the order date
    source: str  # company (same currency) | fixed (confirmed) | manual | table | missing
    table_rate: Any
    table_date: Any
    company_net_total: Any
    company_tax_total: Any
    company_gross_total: Any

    @property
    def foreign(self) -> bool:
        return self.currency != self.base_currency


def order_exchange_rate(order: SalesOrder) -> OrderRate:
    """The rate the order uses: fixed at confirmation, set by hand, or else the company rate
    table's rate on the order date (what submission will take), with the company-currency
    totals it gives. One query at most."""
    from decimal import Decimal

    from ordercrm.catalog.selectors import exchange_rate_on
    from ordercrm.core.money import round_money

    company = order.company
    base = company.base_currency
    if order.currency == base:
        return OrderRate(
            order.currency, base, Decimal(1), "company", None, None,
            order.net_total, order.tax_total, order.gross_total,
        )  # fmt: skip
    table = exchange_rate_on(company, order.currency, order.order_date)
    table_rate, table_date = (table.rate, table.date) if table is not None else (None, None)
    from ordercrm.sales.workflow import QUOTATION

    fixed = order.status not in QUOTATION
    if order.exchange_rate and (fixed or order.exchange_rate_overridden):
        source, rate = ("fixed" if fixed else "manual"), order.exchange_rate
    elif table is not None:
        source, rate = "table", table.rate
    else:
        source, rate = "missing", None
    if rate is not None and order.exchange_rate == rate and order.company_gross_total is not None:
        totals = (order.company_net_total, order.company_tax_total, order.company_gross_total)
    elif rate is not None:
        totals = tuple(
            round_money(amount * rate, base)
            for amount in (order.net_total, order.tax_total, order.gross_total)
        )
    else:
        totals = (None, None, None)
    return OrderRate(order.currency, base, rate, source, table_rate, table_date, *totals)


@dataclass(frozen=True)
class Decision:
    """An approver's decision on the order, with the comment they wrote."""

    at: Any
    by: Any
    status: str  # approved | rejected | void (changes requested)
    comment: str


def order_decisions(order: SalesOrder) -> list[Decision]:
    """Every decision taken on the order's approvals, newest first, once each (a rejection
    closes every pending step at once: it is one decision)."""
    from ordercrm.sales.models import OrderApproval

    seen, result = set(), []
    for approval in (
        OrderApproval.objects.for_company(order.company_id)
        .filter(order=order)
        .exclude(decided_at=None)
        .select_related("decided_by")
        .order_by("-decided_at")
    ):
        key = (approval.decided_at, approval.decided_by_id, approval.status, approval.comment)
        if key in seen:
            continue
        seen.add(key)
        result.append(
            Decision(approval.decided_at, approval.decided_by, approval.status, approval.comment)
        )
    return result


def orders_with_stale_progress() -> QuerySet[SalesOrder]:
    """Orders (of every company) whose stored progress differs from what their lines say
    now: always none when every write goes through the services. The test suite checks it
    after each test; the bench generator, which writes rows by ``COPY``, stores it once."""
    from django.db.models import F

    from ordercrm.sales.progress_sql import progress_columns

    expected = {f"expected_{column}": value for column, value in progress_columns().items()}
    stale = Q()
    for column in SalesOrder.PROGRESS_COLUMNS:
        stale |= ~Q(**{column: F(f"expected_{column}")})
    return SalesOrder.all_objects.annotate(**expected).filter(stale)
