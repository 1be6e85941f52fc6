"""Payments: allocation, advances, overpayment, duplicates; receivables and aging."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.billing import selectors, services
from ordercrm.billing.exceptions import DuplicatePaymentReference, InvoiceState, OverAllocation
from ordercrm.billing.models import Invoice, InvoiceInstalment, InvoiceStatus, Payment
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import Event
from ordercrm.customers.models import Customer
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.selectors import order_progress


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def pay(company, finance, customer, amount, **extra):
    extra.setdefault("currency", "CNY")
    extra.setdefault("method", "bank_transfer")
    return services.payment_record(
        company=company, actor=finance, customer=customer, amount=amount, **extra
    )


def test_allocations_drive_invoice_and_order_payment_status(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(10,))  # 113.00
    invoice = Invoice.objects.for_company(company).get(order=order)
    pay(
        company,
        finance,
        customer,
        "50.00",
        allocations=[{"invoice_id": str(invoice.pk), "amount": "50.00"}],
    )
    assert fresh(invoice).status == InvoiceStatus.PARTIALLY_PAID
    assert fresh(order).amount_paid == Decimal("50.00")
    assert (
        order_progress(fresh(order), list(order.lines.all()), paid=fresh(order).amount_paid).payment
        == "partially_paid"
    )
    pay(
        company,
        finance,
        customer,
        "63.00",
        method="wechat_pay",
        allocations=[{"invoice": invoice, "amount": "63.00"}],
    )
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert fresh(invoice).open_amount == 0
    assert Event.objects.for_company(company).filter(type="payment.received").count() == 2
    assert fresh(customer).receivable_balance == 0


def test_an_advance_is_applied_to_the_orders_next_invoice(
    company, keeper, finance, customer, confirmed_order
):
    order = confirmed_order("on_shipment", quantities=(10,))
    advance = pay(company, finance, customer, "30.00", order=order, method="alipay")
    assert advance.amount_allocated == 0
    assert fresh(order).amount_paid == Decimal("30.00")
    assert fresh(customer).advance_balance == Decimal("30.00")
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order)
    assert invoice.amount_paid == Decimal("30.00")
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert fresh(advance).amount_allocated == Decimal("30.00")
    assert fresh(customer).advance_balance == 0
    assert fresh(customer).receivable_balance == Decimal("83.00")
    assert fresh(order).amount_paid == Decimal("30.00")


def test_an_overpayment_stays_as_customer_credit(company, finance, customer, confirmed_order):
    order = confirmed_order("on_order", quantities=(1,))  # 11.30
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = pay(
        company, finance, customer, "20.00", allocations=[{"invoice": invoice, "amount": "11.30"}]
    )
    assert payment.unallocated == Decimal("8.70")
    assert fresh(customer).advance_balance == Decimal("8.70")
    with pytest.raises(InvoiceState):  # a paid invoice takes nothing more
        pay(
            company, finance, customer, "5.00", allocations=[{"invoice": invoice, "amount": "5.00"}]
        )
    second = confirmed_order("on_order", quantities=(1,))
    other = Invoice.objects.for_company(company).get(order=second)
    services.payment_allocate(
        payment=payment, actor=finance, allocations=[{"invoice": other, "amount": "8.70"}]
    )
    assert fresh(other).amount_paid == Decimal("8.70")
    assert fresh(customer).advance_balance == 0


def test_bad_payments_change_nothing(company, finance, customer, confirmed_order):
    order = confirmed_order("on_order", quantities=(1,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    pay(company, finance, customer, "1.00", reference="BANK-001")
    with pytest.raises(DuplicatePaymentReference):
        pay(company, finance, customer, "2.00", reference="BANK-001")
    with pytest.raises(ValidationFailed):
        pay(company, finance, customer, "-1")
    with pytest.raises(ValidationFailed):
        pay(company, finance, customer, "1.001")
    with pytest.raises(ValidationFailed):
        pay(company, finance, customer, "1", method="barter")
    with pytest.raises(OverAllocation):  # more allocated than paid
        pay(
            company, finance, customer, "1.00", allocations=[{"invoice": invoice, "amount": "2.00"}]
        )
    with pytest.raises(OverAllocation):  # invoice in CNY, payment in USD
        pay(
            company,
            finance,
            customer,
            "1.00",
            currency="USD",
            exchange_rate="7.1",
            allocations=[{"invoice": invoice, "amount": "1.00"}],
        )
    assert Payment.objects.for_company(company).count() == 1
    assert fresh(invoice).amount_paid == 0


def test_only_finance_records_payments(company, rep, customer):
    with pytest.raises(PermissionDenied):
        pay(company, rep, customer, "1.00")


def test_a_credit_note_on_a_paid_invoice_returns_the_excess_as_credit(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(2,))  # 22.60
    invoice = Invoice.objects.for_company(company).get(order=order)
    pay(company, finance, customer, "22.60", allocations=[{"invoice": invoice, "amount": "22.60"}])
    line = selectors.invoice_lines(invoice)[0]
    services.credit_note_create(
        invoice=invoice, actor=finance, lines=[{"invoice_line_id": str(line.pk), "quantity": 1}]
    )
    invoice = fresh(invoice)
    assert (invoice.amount_credited, invoice.amount_paid, invoice.status) == (
        Decimal("11.30"),
        Decimal("11.30"),
        InvoiceStatus.PAID,
    )
    assert fresh(customer).advance_balance == Decimal("11.30")


def test_receivables_and_aging(company, finance, customer, confirmed_order):
    today = datetime.date(2026, 11, 27)
    invoices = []
    for days_late in (0, 45, 75, 120):
        order = confirmed_order("on_order", quantities=(1,))
        invoice = Invoice.objects.for_company(company).get(order=order)
        Invoice.objects.for_company(company).filter(pk=invoice.pk).update(
            due_date=today - datetime.timedelta(days=days_late)
        )
        InvoiceInstalment.objects.for_company(company).filter(invoice=invoice).update(
            due_date=today - datetime.timedelta(days=days_late)
        )
        invoices.append(invoice)
    pay(company, finance, customer, "5.00")  # unallocated credit
    report = selectors.customer_receivables(access_for(finance, company), customer.pk, today)
    assert report.aging == {
        "0_30": Decimal("11.30"),
        "31_60": Decimal("11.30"),
        "61_90": Decimal("11.30"),
        "90_plus": Decimal("11.30"),
    }
    assert report.overdue_count == 3
    assert report.unpaid == Decimal("45.20")
    assert report.credit == Decimal("5.00")
    assert report.balance == Decimal("40.20")
    aging = selectors.aging_report(access_for(finance, company), today)
    rows = aging.rows(aging.customers)
    assert rows[0]["90_plus"] == Decimal("11.30")


def test_overdue_invoices_feed_the_approval_rule(
    company, admin, rep, finance, customer, confirmed_order, stocked
):
    from ordercrm.sales import services as sales
    from ordercrm.sales.models import RuleKind

    order = confirmed_order("on_order", quantities=(1,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    Invoice.objects.for_company(company).filter(pk=invoice.pk).update(
        due_date=datetime.date(2020, 1, 1)
    )
    InvoiceInstalment.objects.for_company(company).filter(invoice=invoice).update(
        due_date=datetime.date(2020, 1, 1)
    )
    pay(company, finance, customer, "1.00", allocations=[{"invoice": invoice, "amount": "1.00"}])
    assert fresh(customer).oldest_unpaid_due_date == datetime.date(2020, 1, 1)
    sales.approval_rule_create(
        company=company, actor=admin, name="overdue", kind=RuleKind.OVERDUE_INVOICES, threshold=30
    )
    second = confirmed_order("manual", quantities=(1,))
    assert SalesOrder.objects.for_company(company).get(pk=second.pk).status == "pending_approval"


def test_credit_exposure_uses_billing_balances(
    company, admin, finance, rep, customer, confirmed_order
):
    from ordercrm.customers import services as customer_services
    from ordercrm.sales.approvals import credit_exposure

    order = confirmed_order("on_order", quantities=(10,))  # 113.00 invoiced at once
    invoice = Invoice.objects.for_company(company).get(order=order)
    order = (
        SalesOrder.objects.for_company(company)
        .select_related("customer", "company")
        .get(pk=order.pk)
    )
    assert credit_exposure(order) == Decimal("113.00")  # the invoice, not the order twice
    pay(
        company, finance, customer, "100.00", allocations=[{"invoice": invoice, "amount": "100.00"}]
    )
    order = (
        SalesOrder.objects.for_company(company)
        .select_related("customer", "company")
        .get(pk=order.pk)
    )
    assert credit_exposure(order) == Decimal("13.00")
    customer_services.customer_update(customer=customer, actor=admin, credit_limit=Decimal("0"))
    assert Customer.objects.for_company(company).get(pk=customer.pk).receivable_balance == Decimal(
        "13.00"
    )


def test_auto_allocation_pays_the_oldest_due_first_and_keeps_the_rest_as_credit(
    company, finance, customer, confirmed_order
):
    first = confirmed_order("on_order", quantities=(10,))  # 113.00
    second = confirmed_order("on_order", quantities=(10,))  # 113.00
    older = Invoice.objects.for_company(company).get(order=first)
    newer = Invoice.objects.for_company(company).get(order=second)
    # make the second order's invoice the one due first
    Invoice.objects.for_company(company).filter(pk=newer.pk).update(
        due_date=older.due_date - datetime.timedelta(days=10)
    )
    payment = pay(company, finance, customer, "150.00", auto_allocate=True)
    assert fresh(newer).status == InvoiceStatus.PAID
    assert fresh(older).amount_paid == Decimal("37.00")
    assert fresh(payment).unallocated == 0
    assert fresh(first).amount_paid == Decimal("37.00")
    # more than is open: the open invoice is settled, the rest stays as customer credit
    payment = pay(company, finance, customer, "100.00", auto_allocate=True)
    assert fresh(older).status == InvoiceStatus.PAID
    assert fresh(payment).unallocated == Decimal("24.00")
    assert Customer.objects.for_company(company).get(pk=customer.pk).advance_balance == Decimal(
        "24.00"
    )


def test_without_auto_allocation_a_payment_stays_as_credit(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(10,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = pay(company, finance, customer, "50.00")
    assert fresh(invoice).amount_paid == 0
    assert fresh(payment).unallocated == Decimal("50.00")


def test_aging_buckets_at_their_boundaries_in_sql(company, finance, customer, confirmed_order):
    """Each bucket's edges (30 days late is still 0–30, 31 is 31–60, …; not yet due is 0–30)
    for instalments and for an invoice without any, as the SQL of ``aging_report`` sums."""
    today = datetime.date(2026, 11, 27)
    expected = {"0_30": Decimal(0), "31_60": Decimal(0), "61_90": Decimal(0), "90_plus": Decimal(0)}
    for days_late, bucket, instalments in (
        (-5, "0_30", True),
        (30, "0_30", True),
        (31, "31_60", True),
        (60, "31_60", False),
        (61, "61_90", True),
        (90, "61_90", True),
        (91, "90_plus", False),
    ):
        order = confirmed_order("on_order", quantities=(1,))
        invoice = Invoice.objects.for_company(company).get(order=order)
        due = today - datetime.timedelta(days=days_late)
        Invoice.objects.for_company(company).filter(pk=invoice.pk).update(due_date=due)
        parts = InvoiceInstalment.objects.for_company(company).filter(invoice=invoice)
        if instalments:
            parts.update(due_date=due)
        else:
            parts.delete()  # the invoice counts whole at its due date
        expected[bucket] += invoice.gross_total
    aging = selectors.aging_report(access_for(finance, company), today)
    (row,) = aging.rows(aging.customers)
    assert (row["customer"].pk, row["customer"].name) == (customer.pk, customer.name)
    assert {name: row[name] for name in expected} == expected
    assert aging.totals == expected  # the totals over every customer, summed apart
