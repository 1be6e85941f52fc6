"""Web pages: thin views over selectors and services."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ordercrm.accounts.access import companies_of
from ordercrm.accounts.middleware import SESSION_COMPANY_KEY
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.web.decorators import member_view

PAGE_SIZE = 50


def _back(request, fallback: str = "/") -> HttpResponseRedirect:
    target = request.POST.get("next") or request.headers.get("referer") or fallback
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = fallback
    return HttpResponseRedirect(target)


@member_view
def customer_list(request):
    search = request.GET.get("q", "")
    customers = customer_selectors.customer_list(request.access, search=search)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/customer_list.html", {"page": page, "q": search})


@member_view
def customer_detail(request, customer_id):
    customer = customer_selectors.customer_get(request.access, customer_id)
    return render(
        request,
        "web/customer_detail.html",
        {
            "customer": customer,
            "contacts": customer_selectors.customer_contacts(customer),
            "addresses": customer_selectors.customer_addresses(customer),
            "can_order": request.access.can(Perm.ORDER_EDIT),
            "can_pay": request.access.can(Perm.PAYMENT_EDIT),
            "can_view_orders": request.access.can(Perm.ORDER_VIEW),
            **_customer_360(request, customer),
        },
    )


def _customer_360(request, customer) -> dict:
    """Orders, top products, credit position and receivables, as far as the role may see."""
    import datetime

    from ordercrm.billing.selectors import customer_receivables
    from ordercrm.sales.selectors import customer_sales

    access = request.access
    context = {}
    if access.can(Perm.ORDER_VIEW):
        context.update(customer_sales(access, customer))
    if (
        access.can(Perm.INVOICE_EDIT)
        or access.can(Perm.CREDIT_CONTROL)
        or access.can(Perm.ORDER_APPROVE)
    ):
        context["receivables"] = customer_receivables(access, customer.pk, datetime.date.today())
    return context


@require_POST
def set_language(request):
    """Switch the interface language; a signed-in user keeps the choice across devices."""
    language = request.POST.get("language", "")
    response = _back(request)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


@require_POST
@member_view
def switch_company(request):
    wanted = request.POST.get("company", "")
    if any(str(c.pk) == wanted for c in companies_of(request.user)):
        request.session[SESSION_COMPANY_KEY] = wanted
    return _back(request)


@require_GET
def health(request):
    """Liveness with a database round trip, for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def health_worker(request):
    """The workers' pulse (see ``notifications.worker.queue_state``): "ok" (a live worker is
    idle) and "busy" (every live worker holds work, each named with how long it has held it)
    answer 200; "stuck" (an item held longer than its lease) and "stale" (no heartbeat for a
    30 s: no worker is running) answer 503, for monitoring to alert on."""
    from ordercrm.notifications.worker import queue_state

    state = queue_state()
    healthy = state["status"] in ("ok", "busy")
    return JsonResponse(state, status=200 if healthy else 503)


@member_view
def tokens(request):
    """Each user manages their own API tokens; a new token is shown once."""
    from ordercrm.accounts.models import ApiToken
    from ordercrm.accounts.tokens import token_create, token_revoke

    created = None
    if request.method == "POST":
        if request.POST.get("revoke"):
            token = ApiToken.objects.filter(user=request.user, pk=request.POST["revoke"]).first()
            if token is not None:
                token_revoke(token=token, actor=request.user)
        else:
            _token, created = token_create(
                user=request.user, name=request.POST.get("name", "API")[:100]
            )
    return render(
        request,
        "web/tokens.html",
        {"tokens": ApiToken.objects.filter(user=request.user), "created": created},
    )


@member_view
def notifications(request):
    from ordercrm.notifications.selectors import notification_list
    from ordercrm.notifications.services import notifications_mark_read

    if request.method == "POST":
        notifications_mark_read(user=request.user, company=request.company)
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "web/notifications.html",
        {"items": notification_list(request.user, request.company)[:100]},
    )
