"""Deliveries for admins: every email and webhook with its status (queued, sent, failed with
the error, retried), resend, and the local outbox where mail lands outside production."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ordercrm.notifications import selectors
from ordercrm.notifications import services as notification_services
from ordercrm.notifications.models import DeliveryStatus
from ordercrm.web.decorators import member_view

PAGE_SIZE = 50


@member_view
def delivery_list(request):
    status = request.GET.get("status", "")
    deliveries = selectors.delivery_list(request.access, status=status)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(d, selectors.order_id_of(d.event)) for d in page]
    return render(
        request,
        "web/deliveries.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "outbox": selectors.outbox_messages(request.access),
            "outbox_enabled": selectors.outbox_enabled(),
        },
    )


@member_view
def outbox_message(request, name: str):
    return render(
        request,
        "web/outbox_message.html",
        {"name": name, "messages_in_file": selectors.outbox_message(request.access, name)},
    )


@require_POST
@member_view
def delivery_resend(request, delivery_id):
    notification_services.delivery_resend(
        company=request.company, actor=request.user, delivery_id=delivery_id
    )
    messages.success(request, _("Queued again; the worker sends it on its next round."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("delivery_list")
    return HttpResponseRedirect(target)
