"""API v1: payment terms with schedules (instalments with their own due-date rules). Orders
and customers name their terms by ``payment_terms_id``; invoices carry ``instalments``."""

from __future__ import annotations

from ninja import Router, Status

from ordercrm.api.base import version_from
from ordercrm.api.v1 import terms_schemas as s
from ordercrm.api.v1.common import payment_term_of, with_errors
from ordercrm.customers.payment_terms import payment_term_create, payment_term_update
from ordercrm.customers.selectors import payment_term_list

router = Router()


def term_out(term) -> dict:
    return {
        "id": term.pk,
        "name": term.name,
        "days": term.days,
        "is_default": term.is_default,
        "advance_percent": term.advance_percent,
        "version": term.version,
        "description": term.describe(),
        "lines": [
            {
                "position": line.position,
                "percent": line.percent,
                "base": line.base,
                "months": line.months,
                "after_month_end": line.after_month_end,
                "days": line.days,
                "month_end": line.month_end,
                "day_of_month": line.day_of_month,
                "description": line.describe(),
            }
            for line in term.lines.all()
        ],
    }


@router.get("/payment-terms", response=with_errors({200: list[s.PaymentTermOut]}), tags=["terms"])
def terms_list(request):
    """The company's payment terms with their schedules, shortest first."""
    return [term_out(t) for t in payment_term_list(request.company)]


@router.get(
    "/payment-terms/{term_id}", response=with_errors({200: s.PaymentTermOut}), tags=["terms"]
)
def terms_get(request, term_id: str):
    return term_out(payment_term_of(request, term_id))


@router.post("/payment-terms", response=with_errors({201: s.PaymentTermOut}), tags=["terms"])
def terms_create(request, body: s.PaymentTermIn):
    """A payment term (settings): instalments whose shares add up to 100 %
    (``customers.term_percent_total``), each due by its rule."""
    term = payment_term_create(
        company=request.company,
        actor=request.user,
        name=body.name,
        lines=[line.dict() for line in body.lines],
        is_default=body.is_default,
        advance_percent=body.advance_percent,
    )
    return Status(201, term_out(payment_term_of(request, term.pk)))


@router.patch(
    "/payment-terms/{term_id}", response=with_errors({200: s.PaymentTermOut}), tags=["terms"]
)
def terms_update(request, term_id: str, body: s.PaymentTermPatch):
    """Rename, replace the instalments or make the default; invoices already issued keep
    their instalments."""
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    payment_term_update(
        term=payment_term_of(request, term_id),
        actor=request.user,
        version=version,
        name=values.get("name"),
        lines=[dict(line) for line in values["lines"]] if values.get("lines") else None,
        is_default=values.get("is_default"),
        advance_percent=values.get("advance_percent"),
    )
    return term_out(payment_term_of(request, term_id))
