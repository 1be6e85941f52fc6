"""Return authorisation pages: the RMA list, one RMA with the actions the user may take now
(approve, reject, cancel, receive into a warehouse, credit, replace), and "New return" from
an order page. Every rule is the returns services'; a refusal is shown inline."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import DomainError, NotFound
from ordercrm.core.ids import parse_id
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import selectors, services, workflow
from ordercrm.returns.models import Condition
from ordercrm.returns.workflow import Decision, Status
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import LineKind
from ordercrm.service import selectors as service_selectors
from ordercrm.service import services as service_services
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50


@member_view
@reading_from_replica()
def rma_list(request):
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")[:100]
    rmas = selectors.rma_list(
        request.access, status=status if status in Status.values else None, search=search
    )
    page = Paginator(rmas, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/rma_list.html",
        {
            "page": page,
            "q": search,
            "status": status,
            "statuses": Status.choices,
            "query": query.urlencode(),
        },
    )


def _new_page(request, order, errors=(), values=None, status=200, case=None):
    lines = sales_selectors.order_lines(order)
    room = selectors.returnable(order, lines)
    rows = [
        {
            "line": line,
            "returnable": room.get(line.pk),
            "quantity": (values or {}).get(f"qty_{line.pk}", ""),
            "decision": (values or {}).get(f"decision_{line.pk}", Decision.REFUND),
            "reason": (values or {}).get(f"reason_{line.pk}", ""),
        }
        for line in lines
        if line.kind == LineKind.PRODUCT and room.get(line.pk)
    ]
    return render(
        request,
        "web/rma_new.html",
        {
            "order": order,
            "rows": rows,
            "decisions": Decision.choices,
            "errors": errors,
            "notes": (values or {}).get("notes", ""),
            "instructions": (values or {}).get("return_instructions", ""),
            "case": case,
        },
        status=status,
    )


@member_view
def rma_new(request, order_id):
    """The lines that can still be returned, a quantity, decision and reason for each."""
    order = sales_selectors.order_get(request.access, order_id)
    # from a case's page (?case=…): the RMA is linked to that case, of this order
    case_id = request.POST.get("case") or request.GET.get("case") or ""
    case = service_selectors.case_get(request.access, case_id) if case_id else None
    if case is not None and case.order_id != order.pk:
        case = None
    if request.method != "POST":
        return _new_page(request, order, case=case)
    lines = []
    for line in sales_selectors.order_lines(order):
        quantity = request.POST.get(f"qty_{line.pk}", "").strip()
        if quantity and quantity not in ("0", "0.0"):
            lines.append(
                {
                    "order_line_id": str(line.pk),
                    "quantity": quantity,
                    "decision": request.POST.get(f"decision_{line.pk}", ""),
                    "reason": request.POST.get(f"reason_{line.pk}", ""),
                }
            )
    texts = {
        "notes": request.POST.get("notes", ""),
        "return_instructions": request.POST.get("return_instructions", ""),
    }
    try:
        if case is not None:
            rma = service_services.case_return_create(request.access, case, lines, **texts)
        else:
            rma = services.rma_create(request.access, order, lines, **texts)
    except DomainError as error:
        return _new_page(request, order, error_lines(error), request.POST, status=422, case=case)
    messages.success(request, _("Return %(number)s was requested.") % {"number": rma.number})
    return HttpResponseRedirect(reverse("rma_detail", args=[rma.pk]))


def _detail_page(request, rma, errors=(), status=200):
    lines = selectors.rma_lines(rma)
    actions = selectors.rma_actions(request.access, rma, lines)
    return render(
        request,
        "web/rma_detail.html",
        {
            "rma": rma,
            "lines": lines,
            "receipts": selectors.rma_receipts(rma),
            "settlements": selectors.rma_settlements(rma),
            "actions": [workflow.BY_NAME[name] for name in actions],
            "warehouses": Warehouse.objects.for_company(request.company)
            .filter(is_active=True)
            .order_by("sequence", "code"),
            "conditions": Condition.choices,
            "errors": errors,
        },
        status=status,
    )


@member_view
def rma_detail(request, rma_id):
    return _detail_page(request, selectors.rma_get(request.access, rma_id))


@require_POST
@member_view
def rma_action(request, rma_id, action: str):
    rma = selectors.rma_get(request.access, rma_id)
    row = workflow.BY_NAME.get(action)
    if row is None:
        return HttpResponse(status=404)
    values = {}
    version = request.POST.get("version", "")
    if version.isdigit():
        values["version"] = int(version)
    if row in (workflow.REJECT, workflow.CANCEL):
        values["reason"] = request.POST.get("reason", "")
    try:
        if row is workflow.RECEIVE:
            try:
                warehouse = (
                    Warehouse.objects.for_company(request.company)
                    .filter(pk=parse_id(request.POST.get("warehouse", "")))
                    .first()
                )
            except NotFound:
                warehouse = None
            values["warehouse"] = warehouse
            values["condition"] = request.POST.get("condition", "")
        services.rma_action(rma=rma, actor=request.user, action=row.name, **values)
    except DomainError as error:
        return _detail_page(request, rma, error_lines(error), status=409)
    messages.success(request, str(row.message) % {"number": rma.number})
    return HttpResponseRedirect(reverse("rma_detail", args=[rma.pk]))
