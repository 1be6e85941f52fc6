"""Billing pages: invoices and credit notes, one invoice with its actions (issue, cancel,
credit lines, record a payment), payments, receivables aging and the realised exchange
gains and losses."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ordercrm.billing import selectors as billing_selectors
from ordercrm.billing import services as billing
from ordercrm.billing.filters import InvoiceListFilter, PaymentListFilter
from ordercrm.billing.models import InvoiceKind, InvoiceStatus, PaymentMethod
from ordercrm.billing.selectors import AGING_BUCKETS
from ordercrm.catalog import selectors as catalog_selectors
from ordercrm.core.dates import company_today
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import pdf_response
from ordercrm.core.exceptions import DomainError, NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.imports import exports
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50
AGING_LABELS = {
    "0_30": "0–30",
    "31_60": "31–60",
    "61_90": "61–90",
    "90_plus": "> 90",
}


# The invoice list's query-string names → fields of the one invoice filter (billing.filters).
INVOICE_FILTERS = exports.INVOICES.params  # the same names as its export


@member_view
@reading_from_replica()
def invoice_list(request):
    """Invoices and credit notes; an unknown kind or status is said on the page (422)."""
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")
    error = None
    try:
        invoices = InvoiceListFilter.parse(request.GET, INVOICE_FILTERS).invoices(request.access)
    except ValidationFailed as exc:
        error = exc
        invoices = billing_selectors.invoice_list(request.access).none()
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/invoice_list.html",
        {
            "page": page,
            "q": search,
            "kind": kind,
            "status": status,
            "kinds": InvoiceKind.choices,
            "statuses": InvoiceStatus.choices,
            "query": query.urlencode(),
            "error": error,
        },
        status=422 if error else 200,
    )


def _invoice_page(request, invoice, errors=(), status=200):
    access = request.access
    allocations = list(billing_selectors.invoice_allocations(invoice))
    return render(
        request,
        "web/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": billing_selectors.invoice_lines(invoice),
            "instalments": billing_selectors.invoice_instalments(invoice),
            "today": company_today(access.company),
            "allocations": allocations,
            "exchange_total": billing_selectors.exchange_total(allocations),
            "credit_notes": billing_selectors.credit_notes_of(invoice),
            "actions": billing_selectors.invoice_actions(access, invoice),
            "methods": PaymentMethod.choices,
            "errors": errors,
        },
        status=status,
    )


@member_view
def invoice_detail(request, invoice_id):
    invoice = billing_selectors.invoice_get(request.access, invoice_id)
    return _invoice_page(request, invoice)


@require_POST
@member_view
def invoice_action(request, invoice_id, action: str):
    """``issue``, ``edit`` (a draft's quantities per line; 0 removes), ``cancel``, ``credit``
    (quantities per line) or ``pay`` one invoice."""
    invoice = billing_selectors.invoice_get(request.access, invoice_id)
    post = request.POST
    try:
        if action == "issue":
            billing.invoice_issue(invoice=invoice, actor=request.user)
            done = _("Invoice issued.")
        elif action == "edit":
            billing.invoice_lines_update(
                invoice=invoice,
                actor=request.user,
                version=post.get("version") or None,
                lines=[
                    {"invoice_line_id": key.removeprefix("qty_"), "quantity": value}
                    for key, value in post.items()
                    if key.startswith("qty_")
                ],
            )
            done = _("Invoice lines saved; what was taken off can be invoiced again.")
        elif action == "cancel":
            billing.invoice_cancel(
                invoice=invoice, actor=request.user, reason=post.get("reason", "")
            )
            done = _("Invoice cancelled.")
        elif action == "credit":
            lines = [
                {"invoice_line_id": key.removeprefix("credit_"), "quantity": value}
                for key, value in post.items()
                if key.startswith("credit_") and value.strip() not in ("", "0")
            ]
            note = billing.credit_note_create(
                invoice=invoice, actor=request.user, lines=lines, reason=post.get("reason", "")
            )
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return HttpResponseRedirect(reverse("invoice_detail", args=[note.pk]))
        elif action == "pay":
            billing.payment_record(
                company=request.access.company,
                actor=request.user,
                customer=invoice.customer_id,
                amount=post.get("amount", ""),
                currency=invoice.currency,
                method=post.get("method", PaymentMethod.BANK_TRANSFER),
                reference=post.get("reference", ""),
                # the rate it was received at (the invoice's unless given): another rate
                # records an exchange difference
                exchange_rate=post.get("exchange_rate", "").strip() or invoice.exchange_rate,
                allocations=[{"invoice": invoice, "amount": post.get("amount", "")}],
            )
            done = _("Payment recorded.")
        else:
            return HttpResponse(status=404)
    except DomainError as error:
        return _invoice_page(request, invoice, error_lines(error), status=409)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("invoice_detail", args=[invoice.pk]))


@member_view
def invoice_pdf(request, invoice_id):
    invoice = billing_selectors.invoice_get(request.access, invoice_id)
    pdf = billing_selectors.invoice_pdf(request.access, invoice.pk, request.GET.get("lang"))
    return pdf_response(pdf, invoice.number or invoice.pk)


@member_view
@reading_from_replica()
def payment_list(request):
    """Payments, by payment-date range (and customer, from the customer page); a date that
    cannot be read is said on the page (422)."""
    error = None
    try:
        payments = PaymentListFilter.parse(request.GET, exports.PAYMENTS.params).payments(
            request.access
        )
    except ValidationFailed as exc:
        error = exc
        payments = billing_selectors.payment_list(request.access).none()
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/payment_list.html",
        {
            "page": page,
            "filters": {name: request.GET.get(name, "") for name in exports.PAYMENTS.params},
            "query": query.urlencode(),
            "error": error,
        },
        status=422 if error else 200,
    )


@member_view
def payment_new(request):
    """Money from a customer (picked on their 360 page, or by code here), applied to their
    open invoices oldest due first unless it is kept as credit."""
    access = request.access
    access.require(Perm.PAYMENT_EDIT)
    form = {
        "customer": request.POST.get("customer", request.GET.get("customer", "")).strip(),
        "amount": request.POST.get("amount", ""),
        "currency": request.POST.get("currency", access.company.base_currency),
        "method": request.POST.get("method", PaymentMethod.BANK_TRANSFER),
        "reference": request.POST.get("reference", ""),
        "exchange_rate": request.POST.get("exchange_rate", ""),
        "keep_as_credit": bool(request.POST.get("keep_as_credit")),
    }
    customer, errors = None, []
    if form["customer"]:
        try:
            customer = customer_selectors.customer_find(access, form["customer"])
        except DomainError as error:
            errors = error_lines(error)
    if request.method == "POST" and customer is not None:
        try:
            payment = billing.payment_record(
                company=access.company,
                actor=request.user,
                customer=customer,
                amount=form["amount"],
                currency=form["currency"],
                method=form["method"],
                reference=form["reference"],
                exchange_rate=form["exchange_rate"] or None,
                auto_allocate=not form["keep_as_credit"],
            )
        except DomainError as error:
            errors = error_lines(error)
        else:
            messages.success(
                request, _("Payment %(number)s recorded.") % {"number": payment.number}
            )
            return HttpResponseRedirect(reverse("payment_list"))
    receivables = (
        billing_selectors.customer_receivables(access, customer.pk, timezone.localdate())
        if customer is not None
        else None
    )
    return render(
        request,
        "web/payment_new.html",
        {
            "form": form,
            "customer": customer,
            "receivables": receivables,
            "methods": PaymentMethod.choices,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


def _payment_page(request, payment, errors=(), status=200):
    access = request.access
    return render(
        request,
        "web/payment_detail.html",
        {
            "payment": payment,
            **billing_selectors.payment_detail(access, payment),
            "can_edit": access.can(Perm.PAYMENT_EDIT),
            "methods": PaymentMethod.choices,
            "errors": errors,
        },
        status=status,
    )


@member_view
def payment_detail(request, payment_id):
    """One payment: where it went (allocations), what was refunded, and for finance the
    forms to apply its credit to an open invoice, refund it, or void it."""
    payment = billing_selectors.payment_get(request.access, payment_id)
    return _payment_page(request, payment)


@require_POST
@member_view
def payment_action(request, payment_id, action: str):
    """``apply`` (credit to one open invoice), ``refund`` or ``void`` one payment."""
    payment = billing_selectors.payment_get(request.access, payment_id)
    post = request.POST
    try:
        if action == "apply":
            billing.payment_allocate(
                payment=payment,
                actor=request.user,
                allocations=[{"invoice_id": post.get("invoice", ""), "amount": post.get("amount")}],
            )
            done = _("Credit applied.")
        elif action == "refund":
            refund = billing.payment_refund(
                payment=payment,
                amount=post.get("amount", ""),
                reason=post.get("reason", ""),
                method=post.get("method", ""),
                actor=request.user,
            )
            done = _("Refund %(number)s recorded.") % {"number": refund.number}
        elif action == "void":
            billing.payment_void(payment=payment, reason=post.get("reason", ""), actor=request.user)
            done = _("Payment voided.")
        else:
            return HttpResponse(status=404)
    except (NotFound, PermissionDenied):
        raise  # 404 / 403 from member_view, not an inline refusal
    except DomainError as error:
        payment = billing_selectors.payment_get(request.access, payment_id)
        return _payment_page(request, payment, error_lines(error), status=409)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("payment_detail", args=[payment.pk]))


@member_view
@reading_from_replica()
def aging(request):
    """Open receivables per customer by days past due, in the company currency."""
    today = timezone.localdate()
    aging = billing_selectors.aging_report(request.access, today)
    buckets = [name for name, _low, _high in AGING_BUCKETS]
    totals = aging.totals
    page = Paginator(aging.customers, PAGE_SIZE).get_page(request.GET.get("page"))
    table = [
        {"customer": row["customer"], "amounts": [row[name] for name in buckets]}
        for row in aging.rows(page.object_list)
    ]
    return render(
        request,
        "web/aging.html",
        {
            "rows": table,
            "page": page,
            "headers": [AGING_LABELS[name] for name in buckets],
            "totals": [totals[name] for name in buckets],
            "today": today,
            "currency": request.access.company.base_currency,
        },
    )


@member_view
def exchange_differences(request):
    """Realised exchange gains and losses for finance: by day range, payment currency,
    customer and search, totals in the company currency over every matching row, 50 a
    page, with the CSV/XLSX export of the same filters; an unreadable filter is said on the
    page (422), a member without finance's right gets 403."""
    access = request.access
    access.require(billing_selectors.FINANCE_FIGURES)
    kind = exports.EXCHANGE_DIFFERENCES
    error = None
    try:
        rows = kind.filter.parse(request.GET, kind.params).differences(access)
    except ValidationFailed as exc:
        error = exc
        rows = billing_selectors.exchange_difference_list(access).none()
    totals = billing_selectors.exchange_difference_totals(access, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    customer = None
    if request.GET.get("customer") and not error:
        customer = customer_selectors.customer_get(access, request.GET["customer"])
    return render(
        request,
        "web/exchange_differences.html",
        {
            "page": page,
            "totals": totals,
            "currency": access.company.base_currency,
            # the currencies of the rate table, offered as suggestions
            "currencies": catalog_selectors.exchange_rate_list(access)
            .order_by("currency")
            .values_list("currency", flat=True)
            .distinct(),
            "filters": {name: request.GET.get(name, "") for name in kind.params},
            "customer": customer,
            "query": query.urlencode(),
            "error": error,
        },
        status=422 if error else 200,
    )


@member_view
def revaluations(request):
    """Unrealised revaluation (finance): the runs so far, and a form to run one on a day at
    rates per currency (blank: the company's rate table on or before that day). Refusals are
    said beside the form (422 bad input or a missing rate, 409 a run on that day already,
    unless *replace* is ticked); a run leads to its page."""
    from ordercrm.billing import revaluation

    access = request.access
    access.require(billing_selectors.FINANCE_FIGURES)
    data = request.POST if request.method == "POST" else request.GET
    day = (data.get("date") or "").strip() or company_today(access.company).isoformat()
    errors, status = [], 200
    try:
        on = datetime.date.fromisoformat(day)
    except ValueError:
        on = company_today(access.company)
    currencies = revaluation.revaluation_currencies(access, on)
    if request.method == "POST":
        rates = {
            key.removeprefix("rate_"): value
            for key, value in request.POST.items()
            if key.startswith("rate_")
        }
        try:
            run = revaluation.revaluation_run(
                company=access.company,
                actor=request.user,
                date=day,
                rates=rates,
                replace=bool(request.POST.get("replace")),
            )
        except DomainError as error:
            errors, status = error_lines(error), error.http_status
        else:
            messages.success(request, _("Revaluation recorded."))
            return HttpResponseRedirect(reverse("revaluation_detail", args=[run.pk]))
    for row in currencies:
        row["entered"] = data.get(f"rate_{row['currency']}", "")
    page = Paginator(revaluation.revaluation_list(access), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/revaluations.html",
        {
            "page": page,
            "date": day,
            "currencies": currencies,
            "replace": bool(data.get("replace")),
            "errors": errors,
            "currency": access.company.base_currency,
        },
        status=status,
    )


@member_view
def revaluation_detail(request, revaluation_id):
    """One revaluation run: its rates, totals and a line per invoice."""
    from ordercrm.billing import revaluation

    run = revaluation.revaluation_get(request.access, revaluation_id)
    return render(
        request,
        "web/revaluation_detail.html",
        {
            "run": run,
            "lines": revaluation.revaluation_lines(run),
            "currency": request.access.company.base_currency,
        },
    )
