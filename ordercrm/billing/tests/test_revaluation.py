"""Unrealised revaluation (#17): the open foreign-currency invoices at a day's rates against
their open base, recorded as a run; invoices never change.

The company currency is CNY. Open on the day: A, 113.00 USD at 7.10 less 50.00 paid at 7.20
(63.00 USD, held at 447.30); B, 226.00 USD at 7.10 (1,604.60); C, 113.00 EUR at 7.80
(881.40); and a CNY invoice, which is not revalued."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from ordercrm.accounts.roles import Role
from ordercrm.billing import services
from ordercrm.billing.exceptions import RevaluationExists, RevaluationRateMissing
from ordercrm.billing.models import Invoice, PaymentAllocation, RevaluationLine, RevaluationRun
from ordercrm.billing.revaluation import revaluation_run
from ordercrm.catalog.services import exchange_rate_set
from ordercrm.core.audit import AuditEntry
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed

D = Decimal


@pytest.fixture
def open_book(company, admin, finance, customer, usd_invoice, confirmed_order):
    a = usd_invoice("7.10")
    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="50.00",
        currency="USD",
        method="bank_transfer",
        exchange_rate="7.20",
        allocations=[{"invoice": a, "amount": "50.00"}],
    )
    b = usd_invoice("7.10", quantity=2)
    c = usd_invoice("7.80", currency="EUR")
    # the rate table says 7.70 for EUR today (C keeps its 7.80)
    exchange_rate_set(
        company=company, actor=admin, currency="EUR", date=company_today(company), rate="7.70"
    )
    services.invoice_create(order=confirmed_order("manual", (1,)), actor=finance, issue=True)
    return {"a": a, "b": b, "c": c}


def snapshot(company):
    """Every figure of the invoices and the realised differences."""
    return (
        sorted(
            (
                str(i.pk),
                i.status,
                i.version,
                i.amount_paid,
                i.amount_credited,
                i.company_gross_total,
                i.amount_paid_base,
                i.amount_credited_base,
            )
            for i in Invoice.objects.for_company(company)
        ),
        sorted(
            (str(a.pk), a.base_amount, a.invoice_base_amount, a.exchange_difference)
            for a in PaymentAllocation.objects.for_company(company)
        ),
    )


def test_open_invoices_at_entered_and_stored_rates(company, finance, open_book):
    before = snapshot(company)
    today = company_today(company)
    run = revaluation_run(company=company, actor=finance, date=today, rates={"usd": "7.25"})
    lines = {x.invoice_id: x for x in RevaluationLine.objects.for_company(company).filter(run=run)}
    assert set(lines) == {open_book[k].pk for k in "abc"}  # not the CNY invoice
    a, b, c = (lines[open_book[k].pk] for k in "abc")
    # A: 63.00 × 7.25 = 456.75 against 447.30
    assert (a.open_amount, a.open_base, a.rate, a.revalued_base, a.difference) == (
        D("63.00"),
        D("447.30"),
        D("7.25"),
        D("456.75"),
        D("9.45"),
    )
    # B: 226.00 × 7.25 = 1,638.50 against 1,604.60
    assert (b.revalued_base, b.difference) == (D("1638.50"), D("33.90"))
    # C at the table's 7.70: 870.10 against 881.40, a loss
    assert (c.rate, c.revalued_base, c.difference) == (D("7.70"), D("870.10"), D("-11.30"))
    run = RevaluationRun.objects.for_company(company).get()
    assert run.date == today
    assert run.rates == {"EUR": "7.7", "USD": "7.25"}
    assert run.entered == ["USD"]
    assert (run.open_base, run.revalued_base) == (D("2933.30"), D("2965.35"))
    assert (run.gain, run.loss, run.difference) == (D("43.35"), D("-11.30"), D("32.05"))
    assert run.run_by == finance
    # a report: no invoice, allocation or realised difference moved
    assert snapshot(company) == before
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(run.pk), action="create")
        .exists()
    )


def test_a_second_run_on_the_day_is_refused_unless_it_replaces(company, finance, open_book):
    today = company_today(company)
    first = revaluation_run(company=company, actor=finance, date=today, rates={"USD": "7.25"})
    with pytest.raises(RevaluationExists) as refused:
        revaluation_run(company=company, actor=finance, date=today, rates={"USD": "7.12345"})
    assert refused.value.code == "billing.revaluation_exists"
    assert refused.value.details["revaluation_id"] == str(first.pk)
    assert list(RevaluationRun.objects.for_company(company)) == [first]
    assert RevaluationRun.objects.for_company(company).get().gain == D("43.35")
    before = snapshot(company)
    second = revaluation_run(
        company=company, actor=finance, date=today, rates={"USD": "7.12345"}, replace=True
    )
    assert list(RevaluationRun.objects.for_company(company)) == [second]
    assert not RevaluationLine.objects.for_company(company).filter(run_id=first.pk).exists()
    # 63.00 × 7.12345 = 448.77735 → 448.78 (+1.48); 226.00 × 7.12345 = 1,609.8997 → 1,609.90
    # (+5.30); EUR still at the table's 7.70 (−11.30)
    assert (second.gain, second.loss) == (D("6.78"), D("-11.30"))
    entry = AuditEntry.objects.for_company(company).get(entity_id=str(second.pk), action="replace")
    assert entry.changes["replaced"][0] == str(first.pk)
    assert entry.changes["gain"] == ["43.35", "6.78"]
    assert snapshot(company) == before


@pytest.mark.parametrize(
    ("rate", "reason"),
    [
        ("0", "Enter a rate above 0 and at most 1000000."),
        ("-7.1", "Enter a rate above 0 and at most 1000000."),
        ("seven", "Enter a number."),
        ("NaN", None),
        ("7.123456789", "Use at most 8 decimals."),
    ],
)
def test_bad_rates_are_refused_and_nothing_changes(company, finance, open_book, rate, reason):
    before = snapshot(company)
    with pytest.raises(ValidationFailed) as refused:
        revaluation_run(
            company=company, actor=finance, date=company_today(company), rates={"USD": rate}
        )
    fields = refused.value.details["fields"]
    assert list(fields) == ["rates.USD"]
    if reason:
        assert fields["rates.USD"] == [reason]
    assert not RevaluationRun.objects.for_company(company).exists()
    assert snapshot(company) == before


def test_refusals_are_translated(company, finance, open_book):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        revaluation_run(
            company=company, actor=finance, date=company_today(company), rates={"USD": "0"}
        )
    assert "汇率" in refused.value.details["fields"]["rates.USD"][0]
    with translation.override("zh-hant"), pytest.raises(RevaluationRateMissing) as missing:
        revaluation_run(
            company=company,
            actor=finance,
            date=company_today(company) - datetime.timedelta(days=1),
        )
    with translation.override("zh-hant"):
        assert "匯率" in missing.value.text


def test_bad_dates_currencies_and_missing_rates(company, finance, open_book):
    today = company_today(company)
    for date, field in (("2026-13-45", "date"), (today + datetime.timedelta(days=1), "date")):
        with pytest.raises(ValidationFailed) as refused:
            revaluation_run(company=company, actor=finance, date=date)
        assert list(refused.value.details["fields"]) == [field]
    for rates, field in (({"US": "7"}, "rates.US"), ({"CNY": "1"}, "rates.CNY")):
        with pytest.raises(ValidationFailed) as refused:
            revaluation_run(company=company, actor=finance, date=today, rates=rates)
        assert list(refused.value.details["fields"]) == [field]
    # the day before any rate was set: the table has none for either currency
    with pytest.raises(RevaluationRateMissing) as missing:
        revaluation_run(company=company, actor=finance, date=today - datetime.timedelta(days=1))
    assert missing.value.details["currencies"] == ["EUR", "USD"]
    # entering both makes it: a blank entered rate is "use the table"
    yesterday = today - datetime.timedelta(days=1)
    with pytest.raises(RevaluationRateMissing) as missing:
        revaluation_run(
            company=company, actor=finance, date=yesterday, rates={"USD": "7.2", "EUR": " "}
        )
    assert missing.value.details["currencies"] == ["EUR"]
    assert not RevaluationRun.objects.for_company(company).exists()
    run = revaluation_run(
        company=company, actor=finance, date=yesterday, rates={"USD": "7.2", "EUR": "7.9"}
    )
    assert run.entered == ["EUR", "USD"]


def test_only_finance_and_admin_revalue(company, make_user, admin, open_book):
    manager = make_user(Role.SALES_MANAGER, company, username="mgr")
    with pytest.raises(PermissionDenied):
        revaluation_run(company=company, actor=manager, date=company_today(company))
    assert not RevaluationRun.objects.for_company(company).exists()
    revaluation_run(company=company, actor=admin, date=company_today(company))
    assert RevaluationRun.objects.for_company(company).count() == 1
