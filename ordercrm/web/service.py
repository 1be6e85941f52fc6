"""After-sales pages: the support desk (queues, SLA breached and due first, filters, saved
filters), a new case from an order or a customer, the case page (lines with warranty, SLA,
actions, reply box with attachments, timeline), attachment downloads and the reports.
Thin: each POST calls one service of ``ordercrm.service``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ordercrm.accounts import selectors as account_selectors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import DomainError
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.returns import selectors as returns_selectors
from ordercrm.sales import selectors as sales_selectors
from ordercrm.service import reports, selectors, services, workflow
from ordercrm.service.models import (
    CaseChannel,
    CasePriority,
    CaseType,
    CommentKind,
    SlaState,
)
from ordercrm.service.workflow import CaseStatus
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50
SAVED_PAGE = "cases"
QUEUE_LABELS = (
    ("mine", gettext_lazy("My cases")),
    ("team", gettext_lazy("Team queue")),
    ("unassigned", gettext_lazy("Unassigned")),
    ("all", gettext_lazy("All cases")),
)


def _choice(value: str, choices) -> str:
    return value if value in choices.values else ""


@member_view
@reading_from_replica()
def desk(request):
    """The support desk: a queue, breached first, then the nearest due time."""
    get = request.GET
    queue = get.get("queue", "") or ("mine" if request.access.can(Perm.TICKET_EDIT) else "all")
    if queue not in selectors.QUEUES:
        queue = "all"
    status = get.get("status", "")
    filters = {
        "queue": queue,
        "status": status if status in CaseStatus.values or status == "open" else "",
        "case_type": _choice(get.get("type", ""), CaseType),
        "priority": _choice(get.get("priority", ""), CasePriority),
        "sla_state": _choice(get.get("sla", ""), SlaState),
        "q": get.get("q", "")[:100].replace("\x00", ""),
    }
    cases = selectors.case_list(
        request.access,
        queue=queue,
        status=filters["status"] if filters["status"] != "open" else "",
        open_only=filters["status"] in ("", "open"),
        case_type=filters["case_type"],
        priority=filters["priority"],
        sla_state=filters["sla_state"],
        search=filters["q"],
    )
    page = Paginator(cases, PAGE_SIZE).get_page(get.get("page"))
    query = get.copy()
    query.pop("page", None)
    return render(
        request,
        "web/service_desk.html",
        {
            "page": page,
            "filters": filters,
            "queues": [(key, label, key == queue) for key, label in QUEUE_LABELS],
            "statuses": CaseStatus.choices,
            "types": CaseType.choices,
            "priorities": CasePriority.choices,
            "sla_states": SlaState.choices,
            "can_edit": request.access.can(Perm.TICKET_EDIT),
            "saved_filters": account_selectors.saved_filter_list(
                request.user, request.access.company, SAVED_PAGE
            ),
            "query": query.urlencode(),
        },
    )


@require_POST
@member_view
def desk_filter(request):
    """Save the desk's current filter under a name, or delete one (``delete`` = its id)."""
    from ordercrm.accounts import services as account_services

    if request.POST.get("delete"):
        account_services.saved_filter_delete(
            user=request.user, company=request.access.company, filter_id=request.POST["delete"]
        )
    else:
        try:
            account_services.saved_filter_save(
                user=request.user,
                company=request.access.company,
                page=SAVED_PAGE,
                name=request.POST.get("name", ""),
                query=request.POST.get("query", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.text)
    return HttpResponseRedirect(reverse("service_desk") + "?" + request.POST.get("query", ""))


def _new_form_context(request, order, customer, values=None, errors=(), line_errors=None):
    lines = selectors.order_lines_for_case(order) if order is not None else []
    values = values or {}
    return {
        "order": order,
        "customer": customer,
        "lines": [
            {
                "line": line,
                "value": values.get(f"qty_{line.pk}", ""),
                "errors": (line_errors or {}).get(str(index), {}),
            }
            for index, line in enumerate(lines)
        ],
        "values": values,
        "errors": errors,
        "types": CaseType.choices,
        "priorities": CasePriority.choices,
        "channels": CaseChannel.choices,
        "members": account_selectors.member_list(request.access.company),
        "contacts": customer.contacts.filter(is_active=True).order_by("name") if customer else [],
    }


@member_view
def case_new(request):
    """A new case from an order (``?order=``) or a customer (``?customer=``)."""
    request.access.require(Perm.TICKET_EDIT)
    source = request.POST if request.method == "POST" else request.GET
    order = customer = None
    if source.get("order"):
        order = sales_selectors.order_get(request.access, source["order"])
        customer = order.customer
    elif source.get("customer"):
        customer = customer_selectors.customer_get(request.access, source["customer"])
    if customer is None:
        return render(
            request,
            "web/service_case_new.html",
            {"pick": True, "errors": [_("Open a new case from an order page or a customer page.")]},
            status=200 if request.method == "GET" else 422,
        )
    if request.method != "POST":
        return render(
            request, "web/service_case_new.html", _new_form_context(request, order, customer)
        )
    post = request.POST
    lines = []
    if order is not None:
        for line in selectors.order_lines_for_case(order):
            raw = post.get(f"qty_{line.pk}", "").strip()
            if raw:
                lines.append({"order_line_id": str(line.pk), "quantity": raw})
    try:
        case = services.case_create(
            company=request.access.company,
            actor=request.user,
            customer=customer,
            order=order,
            lines=lines,
            subject=post.get("subject", ""),
            description=post.get("description", ""),
            case_type=post.get("case_type", ""),
            priority=post.get("priority", ""),
            channel=post.get("channel", ""),
            contact=post.get("contact") or None,
            assignee=post.get("assignee") or None,
            files=request.FILES.getlist("files"),
        )
    except DomainError as exc:
        # line errors are keyed by the position among the lines that had a quantity
        keyed = {}
        given = (
            [
                ln
                for ln in selectors.order_lines_for_case(order)
                if post.get(f"qty_{ln.pk}", "").strip()
            ]
            if order
            else []
        )
        for index, fields in (exc.details.get("lines") or {}).items():
            if index.isdigit() and int(index) < len(given):
                all_lines = selectors.order_lines_for_case(order)
                keyed[str(all_lines.index(given[int(index)]))] = fields
        context = _new_form_context(request, order, customer, post, error_lines(exc), keyed)
        return render(request, "web/service_case_new.html", context, status=422)
    messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return HttpResponseRedirect(reverse("case_detail", args=[case.pk]))


def _case_page(request, case, errors=(), status=200, values=None):
    access = request.access
    rmas = (
        list(returns_selectors.rma_list(access, case_id=case.pk)[:20])
        if access.can(Perm.ORDER_VIEW)
        else []
    )
    return render(
        request,
        "web/service_case.html",
        {
            "case": case,
            "lines": selectors.case_lines(case),
            "comments": selectors.case_comments(case),
            "loose_files": [a for a in selectors.case_attachments(case) if a.comment_id is None],
            "timeline": selectors.case_timeline(case),
            "actions": selectors.case_actions(access, case),
            "can_edit": selectors.may_edit(access),
            "comment_kinds": CommentKind.choices,
            "priorities": CasePriority.choices,
            "members": account_selectors.member_list(access.company)
            if selectors.may_edit(access)
            else [],
            "errors": errors,
            "values": values or {},
            "open": case.status in workflow.OPEN,
            # the case's return authorisations (with where each repaired item is), and
            # whether this user may request one
            "rmas": rmas,
            "repair_lines": returns_selectors.repair_lines_of(rmas),
            "can_return": case.order_id is not None and access.can(Perm.RETURN_EDIT),
        },
        status=status,
    )


@member_view
def case_detail(request, case_id):
    return _case_page(request, selectors.case_get(request.access, case_id))


@require_POST
@member_view
def case_action(request, case_id, action):
    case = selectors.case_get(request.access, case_id)
    row = workflow.ACTIONS.get(action)
    if row is None:
        return _case_page(request, case, [_("Unknown action.")], status=404)
    try:
        case = services.case_action(
            case=case,
            actor=request.user,
            action=action,
            version=request.POST.get("version") or None,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return _case_page(
            request,
            selectors.case_get(request.access, case_id),
            error_lines(exc),
            status=422 if exc.http_status < 409 else 409,
        )
    messages.success(request, row.message % {"number": case.number})
    return HttpResponseRedirect(reverse("case_detail", args=[case.pk]))


@require_POST
@member_view
def case_comment(request, case_id):
    case = selectors.case_get(request.access, case_id)
    try:
        services.case_comment_add(
            case=case,
            actor=request.user,
            body=request.POST.get("body", ""),
            kind=request.POST.get("kind", CommentKind.REPLY),
            files=request.FILES.getlist("files"),
        )
    except DomainError as exc:
        return _case_page(request, case, error_lines(exc), status=422, values=request.POST)
    messages.success(
        request, _("Your message was added to case %(number)s.") % {"number": case.number}
    )
    return HttpResponseRedirect(reverse("case_detail", args=[case.pk]) + "#comments")


@require_POST
@member_view
def case_edit(request, case_id):
    """Priority and assignee from the case page."""
    case = selectors.case_get(request.access, case_id)
    values = {}
    if "priority" in request.POST:
        values["priority"] = request.POST["priority"]
    if "assignee" in request.POST:
        values["assignee"] = request.POST["assignee"] or None
    try:
        services.case_update(
            case=case, actor=request.user, version=request.POST.get("version") or None, **values
        )
    except DomainError as exc:
        return _case_page(
            request, case, error_lines(exc), status=409 if exc.http_status == 409 else 422
        )
    messages.success(request, _("Case %(number)s saved.") % {"number": case.number})
    return HttpResponseRedirect(reverse("case_detail", args=[case.pk]))


@member_view
def case_attachment(request, case_id, attachment_id):
    """The file, to members who may see the case; served as its sniffed type."""
    case = selectors.case_get(request.access, case_id)
    attachment = selectors.attachment_get(request.access, case, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    if attachment.content_type == "application/pdf":
        response["Content-Security-Policy"] = "sandbox"
    return response


@member_view
@reading_from_replica()
def service_reports(request):
    request.access.require(Perm.REPORT_VIEW)
    try:
        period = reports.Period.parse(
            request.GET.get("from", ""), request.GET.get("to", ""), request.access.company
        )
        error = None
    except DomainError as exc:
        period = reports.Period.default(request.access.company)
        error = exc
    return render(
        request,
        "web/service_reports.html",
        {
            "period": period,
            "error": error,
            "by_product": reports.complaint_rates(request.access, period, "product"),
            "by_category": reports.complaint_rates(request.access, period, "category"),
            "by_customer": reports.complaint_rates(request.access, period, "customer"),
            "times": reports.response_times(request.access, period),
            "ages": reports.open_by_age(request.access),
        },
        status=422 if error else 200,
    )


@member_view
def service_settings(request):
    """Service levels (``service_settings``): the SLA policy of each type × priority, the
    company's calendar days over the weekly hours and China's calendar, the reopen window
    and warning share, and warranty terms. Each form posts to one service."""
    from ordercrm.catalog.models import Category, Product
    from ordercrm.service import sla
    from ordercrm.service.models import SlaPolicy, WarrantyTerm

    access = request.access
    access.require(Perm.SERVICE_SETTINGS)
    company = access.company
    errors: list = []
    hours_errors: dict = {}
    status = 200
    if request.method == "POST":
        post = request.POST
        form = post.get("form", "")
        try:
            if form == "policy":
                services.sla_policy_set(
                    company=company,
                    actor=request.user,
                    case_type=post.get("case_type", ""),
                    priority=post.get("priority", ""),
                    response_hours=post.get("response_hours", ""),
                    resolution_hours=post.get("resolution_hours", ""),
                )
            elif form == "day":
                services.calendar_day_set(
                    company=company,
                    actor=request.user,
                    date=post.get("date", ""),
                    until=post.get("until", "").strip() or None,
                    is_working=post.get("is_working") == "1",
                    name=post.get("name", ""),
                )
            elif form == "day_remove":
                import datetime

                try:
                    day = datetime.date.fromisoformat(post.get("date", ""))
                except ValueError:
                    day = None
                if day is not None:
                    services.calendar_day_remove(company=company, actor=request.user, date=day)
            elif form == "hours":
                services.working_hours_set(
                    company=company,
                    actor=request.user,
                    week={day: post.get(f"day_{day}", "") for day in range(7)},
                )
            elif form == "settings":
                services.service_settings_update(
                    company=company,
                    actor=request.user,
                    reopen_days=post.get("reopen_days", ""),
                    warning_percent=post.get("warning_percent", ""),
                    **(
                        {"close_after_days": post["close_after_days"]}
                        if "close_after_days" in post
                        else {}
                    ),
                    use_china_calendar=post.get("use_china_calendar") == "1",
                )
            elif form == "warranty":
                code = post.get("target", "").strip()[:200]
                product = Product.objects.for_company(company).filter(sku=code).first()
                category = (
                    None
                    if product
                    else Category.objects.for_company(company).filter(name=code).first()
                )
                services.warranty_term_set(
                    company=company,
                    actor=request.user,
                    months=post.get("months", ""),
                    product=product,
                    category=category,
                )
            else:
                raise DomainError(_("Unknown action."))
        except DomainError as exc:
            errors, status = error_lines(exc), 422
            if form == "hours":
                # each weekday's reason goes beside its box, not as "day_2: …" at the top
                hours_errors = (exc.details or {}).get("fields") or {}
                errors = [exc.text] if hours_errors else errors
        else:
            messages.success(request, _("Saved."))
            back = reverse("service_settings")
            if form == "hours":
                back += "#weekly-hours"
            if form in ("day", "day_remove") and post.get("year", "").isdigit():
                back += f"?year={post['year']}#calendar"
            return HttpResponseRedirect(back)
    policies = {(p.case_type, p.priority): p for p in SlaPolicy.objects.for_company(company)}
    rows = []
    for case_type, type_label in CaseType.choices:
        for priority, priority_label in CasePriority.choices:
            policy = policies.get((case_type, priority))
            default = sla.DEFAULT_HOURS[priority]
            rows.append(
                {
                    "case_type": case_type,
                    "type_label": type_label,
                    "priority": priority,
                    "priority_label": priority_label,
                    "response": policy.response_hours if policy else default[0],
                    "resolution": policy.resolution_hours if policy else default[1],
                }
            )
    from ordercrm.core.dates import company_today

    year = request.GET.get("year", "")
    year = (
        int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else company_today(company).year
    )
    calendar_rows, china_knows = selectors.calendar_year(company, year)
    return render(
        request,
        "web/service_settings.html",
        {
            "year": year,
            "years": (year - 1, year + 1),
            "calendar_rows": calendar_rows,
            "china_knows": china_knows,
            "rows": rows,
            "settings_row": sla.settings_for(company),
            "week": selectors.weekly_hours(
                company, request.POST if hours_errors else None, hours_errors
            ),
            "terms": WarrantyTerm.objects.for_company(company)
            .select_related("product", "category")
            .order_by("product__sku", "category__name")[:200],
            "errors": errors,
        },
        status=status,
    )
