"""Shipment pages: the to-ship queue, the shipment list, one shipment with its lines,
tracking, dispatch and cancel, and its delivery note. Shipping partial quantities happens on
the order page (it knows the open quantities); the queue links there."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ordercrm.billing import selectors as billing_selectors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import pdf_response
from ordercrm.core.exceptions import DomainError
from ordercrm.core.permissions import Perm
from ordercrm.fulfilment import selectors as fulfilment_selectors
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import DELIVERY_FAILURES, ExceptionKind, ShipmentStatus
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50


@member_view
@reading_from_replica()
def shipment_queue(request):
    """Confirmed orders with goods still to ship, the earliest requested date first."""
    request.access.require(Perm.SHIPMENT_EDIT)
    queue = fulfilment_selectors.to_ship_queue(request.access)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/shipment_queue.html", {"page": page})


@member_view
@reading_from_replica()
def shipment_list(request):
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")
    shipments = fulfilment_selectors.shipment_list(
        request.access,
        status=status if status in ShipmentStatus.values else "",
        search=search,
    )
    page = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/shipment_list.html",
        {
            "page": page,
            "q": search,
            "status": status,
            "statuses": ShipmentStatus.choices,
            "query": query.urlencode(),
        },
    )


def _shipment_page(request, shipment, errors=(), status=200):
    return render(
        request,
        "web/shipment_detail.html",
        {
            "shipment": shipment,
            "lines": fulfilment_selectors.shipment_lines(shipment),
            "can_edit": request.access.can(Perm.SHIPMENT_EDIT),
            "exceptions": list(shipment.exceptions.all()),
            # what of the goods is billed: only goods that left (a draft or a cancelled
            # shipment bills nothing and never will)
            "billing": billing_selectors.shipment_billing(shipment)
            if shipment.status == ShipmentStatus.DISPATCHED
            else None,
            "failure_kinds": [
                (k, label) for k, label in ExceptionKind.choices if k in DELIVERY_FAILURES
            ],
            "errors": errors,
        },
        status=status,
    )


@member_view
def shipment_detail(request, shipment_id):
    shipment = fulfilment_selectors.shipment_get(request.access, shipment_id)
    return _shipment_page(request, shipment)


@require_POST
@member_view
def shipment_action(request, shipment_id, action: str):
    """``track`` (carrier and tracking number), ``dispatch`` or ``cancel`` a shipment."""
    shipment = fulfilment_selectors.shipment_get(request.access, shipment_id)
    carrier = request.POST.get("carrier", "")
    tracking = request.POST.get("tracking_number", "")
    try:
        if action == "track":
            fulfilment.shipment_update(
                shipment=shipment, actor=request.user, carrier=carrier, tracking_number=tracking
            )
            done = _("Tracking saved.")
        elif action == "dispatch":
            fulfilment.shipment_dispatch(
                shipment=shipment,
                actor=request.user,
                carrier=carrier or None,
                tracking_number=tracking or None,
                decline_backorder=request.POST.get("decline_backorder") == "1",
            )
            done = _("Shipment dispatched.")
        elif action == "cancel":
            fulfilment.shipment_cancel(
                shipment=shipment, actor=request.user, reason=request.POST.get("reason", "")
            )
            done = _("Shipment cancelled.")
        else:
            return HttpResponse(status=404)
    except DomainError as error:
        return _shipment_page(request, shipment, error_lines(error), status=409)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("shipment_detail", args=[shipment.pk]))


@member_view
def delivery_note(request, shipment_id):
    shipment = fulfilment_selectors.shipment_get(request.access, shipment_id)
    pdf = fulfilment_selectors.delivery_note_pdf(
        request.access, shipment.pk, request.GET.get("lang")
    )
    return pdf_response(pdf, shipment.number)
