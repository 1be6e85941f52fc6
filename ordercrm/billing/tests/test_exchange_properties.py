"""Property test (#17): invoices in USD and EUR at random rates, paid in random parts at
other random rates, credited (which takes allocations back) and refunded, reconcile to the
cent in both currencies after every step.

Each example runs in a savepoint that is rolled back. The company currency is CNY.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from ordercrm.billing import services
from ordercrm.billing.exchange import to_base
from ordercrm.billing.models import (
    Invoice,
    InvoiceInstalment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentRefund,
)
from ordercrm.catalog.services import exchange_rate_set
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import DomainError
from ordercrm.customers.models import Customer
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder

ZERO = Decimal(0)
CENT = Decimal("0.01")
# random rates, and now and then the invoice's own (no difference but a rounding cent)
rates = st.one_of(
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal("9.9"), places=5),
    st.sampled_from([Decimal("7.1"), Decimal("0.9")]),
)
invoices = st.lists(
    st.tuples(
        st.sampled_from(["USD", "EUR"]),
        rates,
        st.integers(1, 4),  # quantity
        st.integers(1, 99999),  # unit price in cents
    ),
    min_size=1,
    max_size=3,
)
steps = st.lists(
    st.one_of(
        # pay part of an invoice (per mille of its open amount), or more than it (credit)
        st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 1200), rates),
        st.tuples(st.just("credit"), st.integers(0, 2), st.integers(1, 4), st.just(ZERO)),
        st.tuples(st.just("apply"), st.integers(0, 2), st.integers(1, 1000), st.just(ZERO)),
        st.tuples(st.just("refund"), st.integers(0, 2), st.integers(1, 1000), st.just(ZERO)),
    ),
    min_size=1,
    max_size=10,
)


def near(value: Decimal, exact: Decimal, cents: int) -> bool:
    return abs(value - exact) <= cents * CENT


def check(company, customer) -> None:
    docs = list(Invoice.objects.for_company(company).filter(customer=customer))
    allocations = list(PaymentAllocation.objects.for_company(company).filter(invoice__in=docs))
    payments = list(Payment.objects.for_company(company).filter(customer=customer))
    receivable = ZERO
    for invoice in (d for d in docs if d.kind == InvoiceKind.INVOICE):
        mine = [a for a in allocations if a.invoice_id == invoice.pk]
        notes = [d for d in docs if d.credited_invoice_id == invoice.pk]
        # what the invoice says it has been paid and credited, in base, is its documents'
        assert sum((a.amount for a in mine), ZERO) == invoice.amount_paid
        assert sum((a.invoice_base_amount for a in mine), ZERO) == invoice.amount_paid_base
        assert sum((n.company_gross_total for n in notes), ZERO) == invoice.amount_credited_base
        rate = invoice.exchange_rate
        # at its rate; the invoice completing its order takes the order's rest (a cent off)
        assert near(invoice.company_gross_total, invoice.gross_total * rate, 1)
        if invoice.open_amount == 0:  # settled (paid and/or credited): nothing left in base
            assert invoice.open_base == 0
        else:  # what is open is worth its amount at the invoice's rate (a cent a payment)
            assert near(invoice.open_base, invoice.open_amount * rate, 2 + len(mine))
        if invoice.amount_paid == 0:
            assert invoice.amount_paid_base == 0
        if invoice.amount_credited == invoice.gross_total:
            assert invoice.amount_credited_base == invoice.company_gross_total
        if invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
            receivable += invoice.open_base
        # its instalments share its open base to the cent (what aging sums), nothing on a
        # settled one
        instalments = InvoiceInstalment.objects.for_company(company).filter(invoice=invoice)
        assert sum((x.open_base for x in instalments), ZERO) == invoice.open_base
        assert all(x.open_base == 0 for x in instalments if x.open_amount == 0)
    credit = ZERO
    for payment in payments:
        mine = [a for a in allocations if a.payment_id == payment.pk]
        refunds = PaymentRefund.objects.for_company(company).filter(payment=payment)
        rate = payment.exchange_rate
        assert payment.amount_base == to_base(payment.amount, rate, "CNY")
        assert sum((a.amount for a in mine), ZERO) == payment.amount_allocated
        assert sum((a.base_amount for a in mine), ZERO) == payment.amount_allocated_base
        assert (refunds.aggregate(t=Sum("base_amount"))["t"] or ZERO) == (
            payment.amount_refunded_base
        )
        # payment base = its allocations' base + its refunds' base + its unallocated base
        assert payment.amount_base == (
            payment.amount_allocated_base + payment.amount_refunded_base + payment.unallocated_base
        )
        if payment.unallocated == 0:
            assert payment.unallocated_base == 0
        else:
            assert near(payment.unallocated_base, payment.unallocated * rate, 1 + len(mine))
        credit += payment.unallocated_base
    invoice_rates = {d.pk: d.exchange_rate for d in docs}
    payment_rates = {p.pk: p.exchange_rate for p in payments}
    for a in allocations:
        # the difference is the gap of the two base amounts, exact to the cent
        assert a.exchange_difference == a.base_amount - a.invoice_base_amount
        assert near(a.base_amount, a.amount * payment_rates[a.payment_id], 2)
        assert near(a.invoice_base_amount, a.amount * invoice_rates[a.invoice_id], 3)
        if payment_rates[a.payment_id] == invoice_rates[a.invoice_id]:
            assert abs(a.exchange_difference) <= CENT  # the rounding cent at most
    # in total: what the payments gave in base less what the invoices took = the differences
    given_base = sum((p.amount_allocated_base for p in payments), ZERO)
    settled_base = sum((d.amount_paid_base for d in docs if d.kind == InvoiceKind.INVOICE), ZERO)
    assert given_base - settled_base == sum((a.exchange_difference for a in allocations), ZERO)
    customer = Customer.objects.for_company(company).get(pk=customer.pk)
    assert customer.receivable_balance == receivable
    assert customer.advance_balance == credit
    # each order and its invoices agree in both currencies once it is billed in full
    for order in SalesOrder.objects.for_company(company).filter(customer=customer):
        mine = [d for d in docs if d.order_id == order.pk and d.status != InvoiceStatus.CANCELLED]
        sign = {InvoiceKind.INVOICE: 1, InvoiceKind.CREDIT_NOTE: -1}
        billed = sum((sign[d.kind] * d.gross_total for d in mine), ZERO)
        billed_base = sum((sign[d.kind] * d.company_gross_total for d in mine), ZERO)
        if billed == order.gross_total:
            assert billed_base == order.company_gross_total


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents=invoices, sequence=steps)
def test_foreign_settlement_reconciles_in_both_currencies(
    company, rep, finance, customer, stocked, documents, sequence
):
    today = company_today(company)
    with transaction.atomic():
        issued = []
        for currency, rate, quantity, cents in documents:
            exchange_rate_set(
                company=company, actor=finance, currency=currency, date=today, rate=rate
            )
            order = sales.order_submit(
                order=sales.order_create(
                    company=company,
                    actor=rep,
                    customer=customer,
                    currency=currency,
                    invoicing_policy="manual",
                    lines=[
                        {
                            "product": stocked[0],
                            "quantity": quantity,
                            "unit_price": Decimal(cents) / 100,
                        }
                    ],
                ),
                actor=rep,
            )
            issued.append(services.invoice_create(order=order, actor=finance, issue=True))
        check(company, customer)
        released = 0
        for action, index, amount, rate in sequence:
            invoice = Invoice.objects.for_company(company).get(pk=issued[index % len(issued)].pk)
            try:
                if action == "pay":
                    # a part of what is open (beyond it: the rest stays as credit)
                    money = max((invoice.gross_total * amount / 1000).quantize(CENT), CENT)
                    allocations = []
                    if invoice.open_amount > 0:
                        allocations = [
                            {"invoice": invoice, "amount": min(money, invoice.open_amount)}
                        ]
                    services.payment_record(
                        company=company,
                        actor=finance,
                        customer=customer,
                        amount=money,
                        currency=invoice.currency,
                        method="bank_transfer",
                        exchange_rate=rate,
                        allocations=allocations,
                    )
                elif action == "credit":
                    line = InvoiceLine.objects.for_company(company).get(invoice=invoice)
                    quantity = min(Decimal(amount), line.quantity - line.qty_credited)
                    if quantity > 0:
                        before = invoice.amount_paid
                        services.credit_note_create(
                            invoice=invoice,
                            actor=finance,
                            lines=[{"invoice_line_id": str(line.pk), "quantity": quantity}],
                        )
                        released += (
                            before
                            > Invoice.objects.for_company(company).get(pk=invoice.pk).amount_paid
                        )
                elif action == "apply":  # a payment's credit to the invoice, in part
                    held = [
                        p
                        for p in Payment.objects.for_company(company).filter(
                            customer=customer, currency=invoice.currency
                        )
                        if p.unallocated > 0
                    ]
                    if held and invoice.open_amount > 0:
                        payment = held[amount % len(held)]
                        part = max((payment.unallocated * amount / 1000).quantize(CENT), CENT)
                        services.payment_allocate(
                            payment=payment,
                            actor=finance,
                            allocations=[
                                {
                                    "invoice_id": str(invoice.pk),
                                    "amount": min(part, payment.unallocated, invoice.open_amount),
                                }
                            ],
                        )
                elif action == "refund":
                    held = [
                        p
                        for p in Payment.objects.for_company(company).filter(customer=customer)
                        if p.unallocated > 0
                    ]
                    if held:
                        payment = held[amount % len(held)]
                        part = max((payment.unallocated * amount / 1000).quantize(CENT), CENT)
                        services.payment_refund(
                            payment=payment,
                            amount=min(part, payment.unallocated),
                            reason="property",
                            actor=finance,
                        )
            except DomainError:
                pass  # a refused step changes nothing, which check() verifies
            check(company, customer)
        event(f"releases: {bool(released)}")
        transaction.set_rollback(True)
