"""API v1: invoices and credit notes, payments, their allocation, refunds and voids."""

from __future__ import annotations

from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.api.base import page, version_from
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import (
    Language,
    invoice_of,
    invoice_out,
    order_of,
    parse_date,
    payment_of,
    payment_out,
    with_errors,
)
from ordercrm.billing.filters import InvoiceListFilter, PaymentListFilter
from ordercrm.billing.selectors import (
    exchange_differences,
    invoice_list,
    invoice_pdf,
    payment_detail,
)
from ordercrm.billing.services import (
    credit_note_create,
    invoice_cancel,
    invoice_create,
    invoice_issue,
    invoice_lines_update,
    payment_allocate,
    payment_record,
    payment_refund,
    payment_void,
)
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import pdf_response
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.ids import parse_id

router = Router()

# ``GET /invoices`` parameter names → fields of the one invoice filter (billing.filters).
INVOICE_FILTERS = {"status": "status", "kind": "kind", "customer_id": "customer_id"}


@router.get(
    "/orders/{order_id}/invoices",
    response=with_errors({200: list[s.InvoiceOut]}),
    tags=["billing"],
)
def invoices_of_order(request, order_id: str):
    order = order_of(request, order_id)
    return [invoice_out(i) for i in invoice_list(request.access, order_id=order.pk)]


@router.post(
    "/orders/{order_id}/invoices", response=with_errors({201: s.InvoiceOut}), tags=["billing"]
)
def invoices_create(request, order_id: str, body: s.InvoiceIn):
    invoice = invoice_create(
        order=order_of(request, order_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines] if body.lines is not None else None,
        issue=body.issue,
    )
    return Status(201, invoice_out(invoice_of(request, invoice.pk)))


@router.get("/invoices", response=with_errors({200: s.InvoicePage}), tags=["billing"])
@decorate_view(reading_from_replica())
def invoices_list(
    request,
    status: str = "",
    kind: str = "",
    customer_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
):
    filters = InvoiceListFilter.parse(locals(), INVOICE_FILTERS)
    return page(filters.invoices(request.access), limit, cursor)


@router.get("/invoices/{invoice_id}", response=with_errors({200: s.InvoiceOut}), tags=["billing"])
def invoices_get(request, invoice_id: str):
    return invoice_out(invoice_of(request, invoice_id))


@router.patch("/invoices/{invoice_id}", response=with_errors({200: s.InvoiceOut}), tags=["billing"])
def invoices_update(request, invoice_id: str, body: s.InvoiceLinesPatch):
    """Edit a draft before it is issued: lower a line, or remove it with quantity 0 (at least
    one line stays: ``billing.invoice_empty``). What is taken off is invoiceable again on
    the order. ``If-Match`` or ``version`` guards against a stale edit."""
    invoice_lines_update(
        invoice=invoice_of(request, invoice_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines],
        version=version_from(request, body.version),
    )
    return invoice_out(invoice_of(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/issue", response=with_errors({200: s.InvoiceOut}), tags=["billing"]
)
def invoices_issue(request, invoice_id: str):
    invoice_issue(invoice=invoice_of(request, invoice_id), actor=request.user)
    return invoice_out(invoice_of(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/cancel", response=with_errors({200: s.InvoiceOut}), tags=["billing"]
)
def invoices_cancel(request, invoice_id: str, body: s.ActionIn | None = None):
    body = body or s.ActionIn()
    invoice_cancel(invoice=invoice_of(request, invoice_id), actor=request.user, reason=body.reason)
    return invoice_out(invoice_of(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response=with_errors({201: s.InvoiceOut}),
    tags=["billing"],
)
def invoices_credit(request, invoice_id: str, body: s.CreditNoteIn):
    note = credit_note_create(
        invoice=invoice_of(request, invoice_id),
        actor=request.user,
        lines=[line.dict() for line in body.lines],
        reason=body.reason,
    )
    return Status(201, invoice_out(invoice_of(request, note.pk)))


@router.get("/invoices/{invoice_id}/pdf", tags=["billing"], response=with_errors({200: None}))
def invoices_pdf(request, invoice_id: str, language: Language | None = None):
    invoice = invoice_of(request, invoice_id)
    pdf = invoice_pdf(request.access, invoice.pk, language)
    return pdf_response(pdf, invoice.number or invoice.pk)


# ---------------------------------------------------------------- payments


@router.get("/payments", response=with_errors({200: s.PaymentPage}), tags=["billing"])
@decorate_view(reading_from_replica())
def payments_list(
    request, customer_id: str | None = None, limit: int = 50, cursor: str | None = None
):
    filters = PaymentListFilter.parse(locals(), {"customer_id": "customer_id"})
    return page(filters.payments(request.access), limit, cursor)


@router.post("/payments", response=with_errors({201: s.PaymentOut}), tags=["billing"])
def payments_create(request, body: s.PaymentIn):
    order = order_of(request, body.order_id) if body.order_id else None
    payment = payment_record(
        company=request.company,
        actor=request.user,
        customer=parse_id(body.customer_id),
        amount=body.amount,
        currency=body.currency,
        method=body.method,
        reference=body.reference,
        received_on=parse_date(body.received_on, "received_on"),
        exchange_rate=body.exchange_rate,
        order=order,
        allocations=[a.dict() for a in body.allocations],
        auto_allocate=body.auto_allocate,
    )
    return Status(201, payment_out(request, payment))


@router.get("/payments/{payment_id}", response=with_errors({200: s.PaymentOut}), tags=["billing"])
def payments_get(request, payment_id: str):
    """One payment with the invoices it was applied to and each one's exchange difference."""
    return payment_out(request, payment_of(request, payment_id))


@router.get(
    "/exchange-differences",
    response=with_errors({200: s.ExchangeDifferencesOut}),
    tags=["billing"],
)
def exchange_differences_get(request, first: str, last: str, customer_id: str | None = None):
    """The exchange differences realised from ``first`` to ``last`` (YYYY-MM-DD, the
    company's dates, both included), of the customers the caller may see or of one: one
    item per allocation whose payment's rate differed from its invoice's."""
    start, end = parse_date(first, "first"), parse_date(last, "last")
    if start is None or end is None:
        raise ValidationFailed(
            details={"fields": {"first" if start is None else "last": ["YYYY-MM-DD"]}}
        )
    result = exchange_differences(request.access, start, end, customer_id=customer_id or None)
    return {
        "currency": result.currency,
        "first": start,
        "last": end,
        "gain": result.gain,
        "loss": result.loss,
        "net": result.net,
        "items": result.rows,
    }


# ---------------------------------------------------------------- payment credit: apply, refund, void


def _refund_out(refund, payment) -> dict:
    """A refund with the payment it came from, for ``RefundOut`` to write."""
    return {
        "id": refund.pk,
        "number": refund.number,
        "kind": refund.kind,
        "payment_id": payment.pk,
        "payment_number": payment.number,
        "amount": refund.amount,
        "currency": refund.currency,
        "method": refund.method,
        "reason": refund.reason,
        "refunded_on": refund.refunded_on,
        "payment_unallocated": payment.unallocated,
        "created_at": refund.created_at,
    }


@router.post(
    "/payments/{payment_id}/allocate", response=with_errors({200: s.PaymentOut}), tags=["billing"]
)
def payments_allocate(request, payment_id: str, body: s.PaymentAllocateIn):
    """Apply a payment's unallocated credit (e.g. the advance of a cancelled order) to open
    invoices of the same customer and currency."""
    payment = payment_allocate(
        payment=payment_of(request, payment_id),
        actor=request.user,
        allocations=[a.dict() for a in body.allocations],
    )
    return payment_out(request, payment)


@router.post(
    "/payments/{payment_id}/refund", response=with_errors({201: s.RefundOut}), tags=["billing"]
)
def payments_refund(request, payment_id: str, body: s.PaymentRefundIn):
    """Pay back part or all of a payment's unallocated credit (finance). Never more than is
    unallocated (``billing.over_refund``); a void payment refunds nothing."""
    refund = payment_refund(
        payment=payment_of(request, payment_id),
        actor=request.user,
        amount=body.amount,
        reason=body.reason,
        method=body.method,
    )
    return Status(201, _refund_out(refund, payment_of(request, payment_id)))


@router.post(
    "/payments/{payment_id}/void", response=with_errors({200: s.RefundOut}), tags=["billing"]
)
def payments_void(request, payment_id: str, body: s.PaymentVoidIn):
    """Void a payment recorded in error (finance): only with nothing allocated or refunded
    (``billing.payment_in_use``). Repeating it returns the same void."""
    refund = payment_void(
        payment=payment_of(request, payment_id), actor=request.user, reason=body.reason
    )
    return _refund_out(refund, payment_of(request, payment_id))


@router.get(
    "/payments/{payment_id}/refunds",
    response=with_errors({200: list[s.RefundOut]}),
    tags=["billing"],
)
def payments_refunds(request, payment_id: str):
    payment = payment_of(request, payment_id)
    return [_refund_out(r, payment) for r in payment_detail(request.access, payment)["refunds"]]
