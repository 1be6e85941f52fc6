"""Payment terms with schedules: chosen per customer and per order, carried to invoices as
instalments with their own due dates; payments settle the earliest first, credit notes
lower the last; aging and overdue by instalment. Refusals change nothing."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.billing import selectors, services
from ordercrm.billing.models import Invoice, InvoiceInstalment, InvoiceLine
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.customers import services as customer_services
from ordercrm.customers.models import Customer, PaymentTerm, PaymentTermLine
from ordercrm.customers.payment_terms import (
    StaleTerm,
    TermPercentTotal,
    payment_term_create,
    payment_term_update,
)
from ordercrm.customers.terms import TermLine, due_date
from ordercrm.sales import services as sales


def instalments(invoice):
    return list(
        InvoiceInstalment.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .order_by("position")
    )


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def terms_state(company):
    return (
        list(PaymentTerm.objects.for_company(company).values_list("name", "days", "version")),
        list(PaymentTermLine.objects.for_company(company).values_list("percent", "days")),
    )


@pytest.fixture
def thirty_seventy(company, admin):
    return payment_term_create(
        company=company,
        actor=admin,
        name="30 % on order / 70 % net 30",
        lines=[{"percent": "30", "base": "order"}, {"percent": "70", "days": 30}],
    )


def test_customer_terms_reach_the_invoice_as_instalments(
    company, admin, finance, customer, thirty_seventy, confirmed_order
):
    customer_services.customer_update(
        customer=customer, actor=finance, payment_terms=thirty_seventy
    )
    order = confirmed_order("on_order", (10, 4))  # 113.00 + 49.72
    invoice = Invoice.objects.for_company(company).get(order=order)
    first, second = instalments(invoice)
    assert (first.percent, first.amount, first.due_date) == (
        Decimal(30),
        Decimal("48.82"),
        invoice.issue_date,
    )
    assert (second.percent, second.amount) == (Decimal(70), Decimal("113.90"))
    assert second.due_date == invoice.issue_date + datetime.timedelta(days=30)
    assert first.amount + second.amount == invoice.gross_total == Decimal("162.72")
    assert invoice.due_date == second.due_date
    # the instalment keeps the terms' words in the customer's document language
    assert fresh(customer).language == "zh-hans"
    assert first.description == "30 % 订单日期当天"


def test_order_terms_override_the_customer_and_month_end_rules_apply(
    company, admin, rep, finance, customer, stocked, thirty_seventy
):
    end_of_month = payment_term_create(
        company=company,
        actor=admin,
        name="Net 30 EOM, 25th",
        lines=[
            {"percent": "50", "days": "30", "month_end": True},
            {"percent": "50", "months": "1", "day_of_month": "25"},
        ],
    )
    customer_services.customer_update(
        customer=customer, actor=finance, payment_terms=thirty_seventy
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="on_order",
        payment_terms=end_of_month,
        lines=[{"product": stocked[0], "quantity": 3}],
    )
    sales.order_submit(order=order, actor=rep)
    invoice = Invoice.objects.for_company(company).get(order=order)
    issued = invoice.issue_date
    expected = sorted(
        [
            due_date(TermLine(Decimal(50), days=30, month_end=True), invoice_date=issued),
            due_date(TermLine(Decimal(50), months=1, day_of_month=25), invoice_date=issued),
        ]
    )
    assert [x.due_date for x in instalments(invoice)] == expected
    assert [x.amount for x in instalments(invoice)] == [Decimal("16.95"), Decimal("16.95")]


def test_payments_settle_the_earliest_instalment_and_overdue_is_by_instalment(
    company, finance, customer, thirty_seventy, confirmed_order
):
    customer_services.customer_update(
        customer=customer, actor=finance, payment_terms=thirty_seventy
    )
    order = confirmed_order("on_order", (10,))  # 113.00: 33.90 + 79.10
    invoice = Invoice.objects.for_company(company).get(order=order)
    first, second = instalments(invoice)
    # the first instalment is 10 days late; the invoice as a whole is not yet due
    late = invoice.issue_date - datetime.timedelta(days=40)
    InvoiceInstalment.objects.for_company(company).filter(pk=first.pk).update(due_date=late)
    services.refresh_customer(Customer.objects.for_company(company).get(pk=customer.pk))
    assert fresh(customer).oldest_unpaid_due_date == late
    today = invoice.issue_date
    access = access_for(finance, company)
    assert [i.pk for i in selectors.overdue_invoices(access, today)] == [invoice.pk]
    report = selectors.customer_receivables(access, customer.pk, today)
    assert report.overdue_count == 1
    assert report.aging["31_60"] == Decimal("33.90")
    assert report.aging["0_30"] == Decimal("79.10")
    aging = selectors.aging_report(access, today)
    assert aging.rows(aging.customers)[0]["31_60"] == Decimal("33.90")
    assert aging.totals["31_60"] == Decimal("33.90")

    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="40.00",
        currency="CNY",
        method="bank_transfer",
        allocations=[{"invoice": invoice, "amount": "40.00"}],
    )
    first, second = instalments(invoice)
    assert (first.amount_paid, first.open_amount) == (Decimal("33.90"), 0)
    assert (second.amount_paid, second.open_amount) == (Decimal("6.10"), Decimal("73.00"))
    assert fresh(customer).oldest_unpaid_due_date == second.due_date
    assert list(selectors.overdue_invoices(access, today)) == []


def test_a_credit_note_lowers_the_last_instalment(
    company, finance, customer, thirty_seventy, confirmed_order
):
    customer_services.customer_update(
        customer=customer, actor=finance, payment_terms=thirty_seventy
    )
    order = confirmed_order("on_order", (10,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    [line] = InvoiceLine.objects.for_company(company).filter(invoice=invoice)
    services.credit_note_create(
        invoice=invoice, actor=finance, lines=[{"invoice_line_id": line.pk, "quantity": 2}]
    )  # 22.60 credited
    first, second = instalments(invoice)
    assert (first.amount_credited, first.open_amount) == (0, Decimal("33.90"))
    assert (second.amount_credited, second.open_amount) == (Decimal("22.60"), Decimal("56.50"))
    assert sum(x.open_amount for x in (first, second)) == fresh(invoice).open_amount


def test_an_invoice_without_terms_is_one_instalment_due_at_once(
    company, admin, finance, confirmed_order
):
    PaymentTerm.objects.for_company(company).update(is_default=False)
    order = confirmed_order("manual", (1,))
    sales_order = fresh(order)
    assert sales_order.payment_terms is not None  # the customer's, from before
    invoice = services.invoice_create(order=order, actor=finance, issue=True)
    [only] = instalments(invoice)
    assert only.percent == 100
    assert only.amount == invoice.gross_total


def test_term_create_update_and_audit(company, admin, thirty_seventy):
    assert thirty_seventy.describe() == (
        "30 % on the order date / 70 % 30 days after the invoice date"
    )
    changed = payment_term_update(
        term=thirty_seventy,
        actor=admin,
        version=thirty_seventy.version,
        lines=[{"percent": "100", "days": "60", "month_end": True}],
        is_default=True,
    )
    assert changed.version == 2
    assert changed.is_default
    assert PaymentTerm.objects.for_company(company).filter(is_default=True).count() == 1
    assert changed.describe() == "100 % 60 days after the invoice date, end of month"
    assert AuditEntry.all_objects.filter(entity_id=str(thirty_seventy.pk), action="update").exists()


@pytest.mark.parametrize(
    ("lines", "error", "code"),
    [
        ([{"percent": "30"}, {"percent": "60"}], TermPercentTotal, "customers.term_percent_total"),
        ([{"percent": "0"}, {"percent": "100"}], ValidationFailed, "core.validation_failed"),
        ([{"percent": "100", "day_of_month": "32"}], ValidationFailed, "core.validation_failed"),
        ([{"percent": "100", "days": "-1"}], ValidationFailed, "core.validation_failed"),
        ([{"percent": "100", "base": "ship"}], ValidationFailed, "core.validation_failed"),
        ([], ValidationFailed, "core.validation_failed"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_changes(company, admin, lines, error, code):
    before = terms_state(company)
    with pytest.raises(error) as refused:
        payment_term_create(company=company, actor=admin, name="Bad", lines=lines)
    assert refused.value.code == code
    assert terms_state(company) == before


def test_refusals_of_update(company, admin, rep, thirty_seventy):
    before = terms_state(company)
    with pytest.raises(PermissionDenied):
        payment_term_update(term=thirty_seventy, actor=rep, name="Mine")
    with pytest.raises(StaleTerm):
        payment_term_update(term=thirty_seventy, actor=admin, name="Late", version=0)
    taken = PaymentTerm.objects.for_company(company).exclude(pk=thirty_seventy.pk).first()
    with pytest.raises(ValidationFailed) as refused:
        payment_term_update(term=thirty_seventy, actor=admin, name=taken.name.upper())
    assert "name" in refused.value.details["fields"]
    with pytest.raises(TermPercentTotal):
        payment_term_update(term=thirty_seventy, actor=admin, lines=[{"percent": "99.9999"}])
    assert terms_state(company) == before
