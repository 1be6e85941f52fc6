"""Unrealised revaluation of the open foreign-currency receivables (#17).

On a day (usually a month end) finance revalues what customers still owe in foreign
currencies at that day's rates: for each open invoice in a currency other than the
company's, its open amount × the day's rate (rounded to the company currency's cent) less
its open base (what it is held at, at its own rate, ``Invoice.open_base``) is the unrealised
difference: a gain when the rate rose, a loss when it fell. The rate per currency is the one
finance enters for the run, else the company's rate table on or before the day
(``catalog.selectors.exchange_rate_on``).

A run is recorded (``RevaluationRun`` with a ``RevaluationLine`` per invoice, its rates,
totals, who and when) and is a report: it never changes an invoice, a payment or what is
realised; the next allocation still realises its difference against the invoice's own rate.
One run per company and day: a second is refused (``billing.revaluation_exists``) unless
``replace`` is given, when the earlier run and its lines give way to the new one and the
audit entry keeps the figures replaced (docs/decisions.md, "Unrealised revaluation").
It covers the company's open receivables, whoever's customers they are: finance's figure.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access, access_for
from ordercrm.billing.exceptions import RevaluationExists, RevaluationRateMissing
from ordercrm.billing.exchange import to_base
from ordercrm.billing.models import (
    INVOICE_IS_OPEN,
    Invoice,
    RevaluationLine,
    RevaluationRun,
)
from ordercrm.billing.selectors import FINANCE_FIGURES
from ordercrm.catalog.models import MAX_EXCHANGE_RATE
from ordercrm.catalog.selectors import exchange_rate_on
from ordercrm.core import audit, events
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.money import ZERO, plain
from ordercrm.core.validation import FieldErrors

RATE_QUANTUM = Decimal("0.00000001")


def _parse_date(value, errors: FieldErrors, today: datetime.date) -> datetime.date | None:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime.date):
        errors.add("date", _("Enter a date (YYYY-MM-DD)."))
        return None
    if value > today:
        errors.add("date", _("A revaluation is of what is open now: date it today or earlier."))
        return None
    return value


def _parse_rates(raw, base: str, errors: FieldErrors) -> dict[str, Decimal]:
    """Finance's rates, ``{"USD": "7.25"}``: each a number above 0 and at most
    ``MAX_EXCHANGE_RATE`` with at most 8 decimals, for a three-letter currency other than
    the company's; a blank rate is none entered (the rate table's is used)."""
    rates: dict[str, Decimal] = {}
    if raw in (None, ""):
        return rates
    if not isinstance(raw, dict):
        errors.add("rates", _('Give the rates per currency, such as {"USD": "7.25"}.'))
        return rates
    for key, value in raw.items():
        currency = str(key).strip().upper()
        field = f"rates.{currency or key}"
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            errors.add(field, _("Enter a three-letter currency code, such as USD."))
            continue
        if currency == base:
            errors.add(field, _("The company currency always has the rate 1."))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        number = errors.decimal(field, value.strip() if isinstance(value, str) else value)
        if number is None:
            continue
        if not ZERO < number <= MAX_EXCHANGE_RATE:
            errors.add(
                field,
                _("Enter a rate above 0 and at most %(maximum)s.") % {"maximum": MAX_EXCHANGE_RATE},
            )
        elif number != number.quantize(RATE_QUANTUM):
            errors.add(field, _("Use at most 8 decimals."))
        else:
            rates[currency] = number
    return rates


def open_foreign_invoices(company) -> QuerySet[Invoice]:
    """The company's open receivables in a currency other than its own (what a run
    revalues), by currency and number."""
    return (
        Invoice.objects.for_company(company)
        .filter(INVOICE_IS_OPEN)
        .exclude(currency=company.base_currency)
        .order_by("currency", "number")
    )


def revaluation_currencies(access: Access, date: datetime.date) -> list[dict]:
    """The currencies a run on ``date`` would revalue, each with the rate table's rate on or
    before that day (``None`` when it has none): what the run page offers to fill in."""
    access.require(FINANCE_FIGURES)
    codes = (
        open_foreign_invoices(access.company)
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )
    found = []
    for code in codes:
        stored = exchange_rate_on(access.company, code, date)
        found.append({"currency": code, "stored": stored.rate if stored else None})
    return found


@transaction.atomic
def revaluation_run(*, company, actor, date, rates=None, replace: bool = False) -> RevaluationRun:
    """Revalue the company's open foreign-currency invoices on ``date`` at ``rates`` (per
    currency, entered by finance) or, for a currency not entered, the rate table's on or
    before ``date``; record the run with one line per invoice and its totals.

    Refused, with nothing written: without ``FINANCE_FIGURES`` (``core.permission_denied``);
    a date that is not one or is after today, a rate that is not a number, ≤ 0, above
    ``MAX_EXCHANGE_RATE`` or with more than 8 decimals, for a bad currency code or the
    company's own (``core.validation_failed``, ``details.fields`` naming ``date`` or
    ``rates.<CUR>``); a currency to revalue with no rate (``billing.revaluation_rate_missing``);
    a run on that day already, unless ``replace`` (``billing.revaluation_exists``)."""
    access = access_for(actor, company)
    access.require(FINANCE_FIGURES)
    base, mode = company.base_currency, company.rounding_mode
    errors = FieldErrors()
    day = _parse_date(date, errors, company_today(company))
    entered = _parse_rates(rates, base, errors)
    errors.raise_if_any()
    invoices = list(open_foreign_invoices(company))
    used: dict[str, Decimal] = {}
    missing = []
    for currency in sorted({i.currency for i in invoices}):
        if currency in entered:
            used[currency] = entered[currency]
            continue
        stored = exchange_rate_on(company, currency, day)
        if stored is None:
            missing.append(currency)
        else:
            used[currency] = stored.rate
    if missing:
        raise RevaluationRateMissing(
            params={"currencies": ", ".join(missing), "date": day.isoformat()},
            details={"currencies": missing, "date": day.isoformat()},
        )
    # an entered rate of a currency with nothing open is kept with the run, as entered
    used.update({c: r for c, r in entered.items() if c not in used})
    earlier = (
        RevaluationRun.objects.for_company(company).select_for_update().filter(date=day).first()
    )
    replaced = None
    if earlier is not None:
        if not replace:
            raise RevaluationExists(
                params={"date": day.isoformat()},
                details={"revaluation_id": str(earlier.pk), "date": day.isoformat()},
            )
        replaced = {
            "id": str(earlier.pk),
            "rates": earlier.rates,
            "gain": plain(earlier.gain),
            "loss": plain(earlier.loss),
        }
        earlier.delete()
    run = RevaluationRun(
        company=company,
        date=day,
        rates={c: plain(r) for c, r in sorted(used.items())},
        entered=sorted(entered),
        run_by=actor if getattr(actor, "pk", None) else None,
    )
    lines = []
    for invoice in invoices:
        rate = used[invoice.currency]
        open_amount = invoice.open_amount
        revalued = to_base(open_amount, rate, base, mode)
        lines.append(
            RevaluationLine(
                company=company,
                run=run,
                invoice=invoice,
                currency=invoice.currency,
                open_amount=open_amount,
                invoice_rate=invoice.exchange_rate,
                open_base=invoice.open_base,
                rate=rate,
                revalued_base=revalued,
                difference=revalued - invoice.open_base,
            )
        )
    run.open_base = sum((x.open_base for x in lines), ZERO)
    run.revalued_base = sum((x.revalued_base for x in lines), ZERO)
    run.gain = sum((x.difference for x in lines if x.difference > 0), ZERO)
    run.loss = sum((x.difference for x in lines if x.difference < 0), ZERO)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:  # a twin run on the same day committed first
        raise RevaluationExists(
            params={"date": day.isoformat()}, details={"date": day.isoformat()}
        ) from None
    RevaluationLine.objects.bulk_create(lines)
    audit.record(
        actor=actor,
        entity=run,
        action="replace" if replaced else "create",
        label=day.isoformat(),
        changes={
            "date": [None, day.isoformat()],
            "rates": [replaced["rates"] if replaced else None, run.rates],
            "gain": [replaced["gain"] if replaced else None, plain(run.gain)],
            "loss": [replaced["loss"] if replaced else None, plain(run.loss)],
            "invoices": [None, len(lines)],
            **({"replaced": [replaced["id"], None]} if replaced else {}),
        },
    )
    events.emit(
        type="revaluation.recorded",
        entity=run,
        actor=actor,
        payload={
            "date": day.isoformat(),
            "rates": run.rates,
            "currency": base,
            "gain": run.gain,
            "loss": run.loss,
            "invoices": len(lines),
            "replaced_id": replaced["id"] if replaced else None,
        },
    )
    return run


def revaluation_list(access: Access) -> QuerySet[RevaluationRun]:
    """The company's revaluation runs, newest day first (finance's figures)."""
    access.require(FINANCE_FIGURES)
    return RevaluationRun.objects.for_company(access.company).select_related("run_by")


def revaluation_get(access: Access, run_id) -> RevaluationRun:
    run = revaluation_list(access).filter(pk=parse_id(run_id)).first()
    if run is None:
        raise NotFound(details={"revaluation_id": str(run_id)})
    return run


def revaluation_lines(run: RevaluationRun) -> QuerySet[RevaluationLine]:
    """A run's lines with their invoice and customer, by currency and invoice number."""
    return (
        RevaluationLine.objects.for_company(run.company_id)
        .filter(run=run)
        .select_related("invoice", "invoice__customer")
        .order_by("currency", "invoice__number")
    )
