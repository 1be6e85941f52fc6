"""Order-page fulfilment decisions (#17): decline a backorder, and the fulfilment exceptions
raised by a cancelled shipment or a failed delivery, with their "recreate" / "do not
recreate" choice. Thin: every rule is ``fulfilment.services``'."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ordercrm.core.exceptions import DomainError
from ordercrm.fulfilment import selectors as fulfilment_selectors
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales import selectors as sales_selectors
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines


def _back_with(request, order, error: DomainError):
    from ordercrm.web.orders import _redisplay

    return _redisplay(request, order, error_lines(error))


@require_POST
@member_view
def order_decline_backorder(request, order_id):
    """Close what stays open on the order's lines (all, or the ticked ones) with a reason."""
    order = sales_selectors.order_get(request.access, order_id)
    line_ids = request.POST.getlist("line_id") or None
    try:
        fulfilment.backorder_decline(
            order=order,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            line_ids=line_ids,
        )
    except DomainError as error:
        return _back_with(request, order, error)
    messages.success(request, _("The backorder was declined; what stayed open will not ship."))
    return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))


@require_POST
@member_view
def shipment_exception(request, shipment_id):
    """Record a failed delivery of a dispatched shipment (refused, lost, …)."""
    from ordercrm.web.shipping import _shipment_page

    shipment = fulfilment_selectors.shipment_get(request.access, shipment_id)
    try:
        fulfilment.shipment_exception_record(
            shipment=shipment,
            actor=request.user,
            kind=request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        return _shipment_page(request, shipment, error_lines(error), status=409)
    messages.success(
        request, _("The delivery exception was recorded; the order awaits a decision.")
    )
    return HttpResponseRedirect(reverse("shipment_detail", args=[shipment.pk]))


@require_POST
@member_view
def exception_resolve(request, exception_id):
    """Recreate the shipment (ship what is open again) or not (close the rest)."""
    exception = fulfilment_selectors.exception_get(request.access, exception_id)
    order = sales_selectors.order_get(request.access, exception.order_id)
    try:
        fulfilment.fulfilment_exception_resolve(
            exception=exception, actor=request.user, choice=request.POST.get("choice", "")
        )
    except DomainError as error:
        return _back_with(request, order, error)
    messages.success(request, _("Decision recorded."))
    return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))


@require_POST
@member_view
def customer_block(request, customer_id, action: str):
    """``block`` a customer until a date (with a reason) or ``unblock`` it."""
    import datetime

    from ordercrm.customers import selectors as customer_selectors
    from ordercrm.customers import services as customers
    from ordercrm.web.customers import _detail

    customer = customer_selectors.customer_get(request.access, customer_id)
    try:
        if action == "block":
            try:
                until = datetime.date.fromisoformat(request.POST.get("until", ""))
            except ValueError:
                until = None
            customers.customer_block(
                customer=customer,
                actor=request.user,
                until=until,
                reason=request.POST.get("reason", ""),
            )
            done = _("The customer is blocked: quotations only until that date.")
        else:
            customers.customer_unblock(customer=customer, actor=request.user)
            done = _("The block was lifted.")
    except DomainError as error:
        return _detail(request, customer, errors=error_lines(error), status=409)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("customer_detail", args=[customer.pk]))
