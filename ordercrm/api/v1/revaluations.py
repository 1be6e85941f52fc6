"""API v1: unrealised revaluation of the open foreign-currency receivables (finance)."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from ordercrm.api.base import Amount, Date, DateTime, Id, Quantity, page
from ordercrm.api.v1.common import with_errors
from ordercrm.api.v1.fields import In
from ordercrm.api.v1.schemas import Page
from ordercrm.billing.revaluation import (
    revaluation_get,
    revaluation_lines,
    revaluation_list,
    revaluation_run,
)

router = Router()

LINE_EXAMPLE = {
    "invoice_id": "0192f3a4-5b6c-7d8e-9f00-665544332211",
    "invoice_number": "INV-2026-000017",
    "customer_id": "0192f3a4-5b6c-7d8e-9f00-aabbccddeeff",
    "customer_name": "Shanghai Mingda",
    "currency": "USD",
    "open_amount": "63.00",
    "invoice_rate": "7.1",
    "open_base": "447.30",
    "rate": "7.25",
    "revalued_base": "456.75",
    "difference": "9.45",
}
RUN_EXAMPLE = {
    "id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
    "date": "2026-11-30",
    "currency": "CNY",
    "rates": {"USD": "7.25"},
    "entered": ["USD"],
    "open_base": "447.30",
    "revalued_base": "456.75",
    "gain": "9.45",
    "loss": "0.00",
    "difference": "9.45",
    "run_by": "fin",
    "created_at": "2026-12-01T09:00:00+08:00",
    "lines": [LINE_EXAMPLE],
}


class RevaluationIn(In):
    """A revaluation on ``date`` (YYYY-MM-DD, today or earlier) at ``rates`` per currency
    (company currency per unit); a currency not given takes the company's rate table on or
    before that day. ``replace`` replaces a run already made on that day (else 409)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"date": "2026-11-30", "rates": {"USD": "7.25"}}]},
    )

    date: str = Field(max_length=10)
    rates: dict[str, str] | None = None
    replace: bool = False


class RevaluationLineOut(Schema):
    """One open invoice revalued: ``open_amount`` at ``rate`` is ``revalued_base``;
    ``difference`` = that − ``open_base`` (at the invoice's own ``invoice_rate``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [LINE_EXAMPLE]})

    invoice_id: Id
    invoice_number: str
    customer_id: Id
    customer_name: str
    currency: str
    open_amount: Amount
    invoice_rate: Quantity
    open_base: Amount
    rate: Quantity
    revalued_base: Amount
    difference: Amount


class RevaluationOut(Schema):
    """A revaluation run, in the company ``currency``: the rates used (``entered`` by
    finance, the others from the rate table), totals, who and when; ``lines`` on the
    detail only (``null`` in lists). It changes no invoice."""

    model_config = ConfigDict(json_schema_extra={"examples": [RUN_EXAMPLE]})

    id: Id
    date: Date
    currency: str
    rates: dict[str, str]
    entered: list[str]
    open_base: Amount
    revalued_base: Amount
    gain: Amount
    loss: Amount = Field(description="Negative (or 0): the sum of the losses.")
    difference: Amount
    run_by: str | None = None
    created_at: DateTime
    lines: list[RevaluationLineOut] | None = None


class RevaluationPage(Page):
    items: list[RevaluationOut]


def _summary(run) -> dict:
    return {
        **{f: getattr(run, f) for f in ("id", "date", "rates", "entered", "created_at")},
        **{f: getattr(run, f) for f in ("open_base", "revalued_base", "gain", "loss")},
        "difference": run.difference,
        "currency": run.company.base_currency,
        "run_by": run.run_by.username if run.run_by else None,
        "lines": None,
    }


def _detail(run) -> dict:
    lines = [
        {
            "invoice_id": x.invoice_id,
            "invoice_number": x.invoice.number,
            "customer_id": x.invoice.customer_id,
            "customer_name": x.invoice.customer.name,
            **{
                f: getattr(x, f)
                for f in (
                    "currency",
                    "open_amount",
                    "invoice_rate",
                    "open_base",
                    "rate",
                    "revalued_base",
                    "difference",
                )
            },
        }
        for x in revaluation_lines(run)
    ]
    return {**_summary(run), "lines": lines}


@router.post("/revaluations", response=with_errors({201: RevaluationOut}), tags=["billing"])
def revaluations_run(request, body: RevaluationIn):
    """Revalue the company's open foreign-currency invoices on a day (finance, admin)."""
    run = revaluation_run(
        company=request.access.company,
        actor=request.user,
        date=body.date,
        rates=body.rates,
        replace=body.replace,
    )
    return Status(201, _detail(revaluation_get(request.access, run.pk)))


@router.get("/revaluations", response=with_errors({200: RevaluationPage}), tags=["billing"])
def revaluations_list(request, limit: int = 50, cursor: str | None = None):
    """The company's revaluation runs, newest first (finance, admin)."""
    return page(
        revaluation_list(request.access).select_related("company"),
        limit,
        cursor,
        page_rows=lambda runs: [_summary(r) for r in runs],
    )


@router.get(
    "/revaluations/{revaluation_id}", response=with_errors({200: RevaluationOut}), tags=["billing"]
)
def revaluations_get(request, revaluation_id: str):
    """One revaluation run with a line per invoice."""
    return _detail(revaluation_get(request.access, revaluation_id))
