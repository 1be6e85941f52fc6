"""Payment refunds and voids: finance only, never beyond the unallocated credit, audited."""

from decimal import Decimal

import pytest

from ordercrm.billing import services
from ordercrm.billing.models import Invoice, PaymentRefund, RefundKind
from ordercrm.billing.tests.test_cancel_and_hold import fresh, pay, refused
from ordercrm.core.models import AuditEntry, Event


def test_a_refund_takes_unallocated_credit_back_to_the_cent(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(10,))  # 113.00
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = pay(
        company, finance, customer, "200.01", allocations=[{"invoice": invoice, "amount": "113.00"}]
    )
    assert fresh(customer).advance_balance == Decimal("87.01")

    refund = services.payment_refund(
        payment=payment, amount="50.01", reason="asked back", actor=finance, method="cash"
    )

    assert (refund.kind, refund.amount, refund.currency, refund.method) == (
        RefundKind.REFUND,
        Decimal("50.01"),
        "CNY",
        "cash",
    )
    payment = fresh(payment)
    assert payment.amount_refunded == Decimal("50.01")
    assert payment.unallocated == Decimal("37.00")
    assert fresh(customer).advance_balance == Decimal("37.00")
    assert fresh(invoice).amount_paid == Decimal("113.00")  # allocations untouched
    entry = AuditEntry.objects.for_company(company).get(action="refund")
    assert entry.changes["amount_refunded"] == ["0.00", "50.01"]
    assert entry.changes["reason"] == [None, "asked back"]
    event = Event.objects.for_company(company).get(type="payment.refunded")
    assert event.payload["amount"] == "50.01"
    assert event.payload["refund_number"] == refund.number
    # the rest, exactly
    services.payment_refund(payment=payment, amount="37.00", reason="rest", actor=finance)
    assert fresh(payment).unallocated == 0
    assert fresh(customer).advance_balance == 0


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        ("87.02", "too much", "billing.over_refund"),
        ("0", "zero", "core.validation_failed"),
        ("-1", "negative", "core.validation_failed"),
        ("1.001", "precision", "core.validation_failed"),
        ("abc", "not a number", "core.validation_failed"),
        ("1e30", "huge", "core.validation_failed"),  # more digits than the column holds
        ("NaN", "not finite", "core.validation_failed"),
        ("1.00", "   ", "core.validation_failed"),
    ],
)
def test_bad_refunds_change_nothing(
    company, finance, customer, confirmed_order, amount, reason, code
):
    order = confirmed_order("on_order", quantities=(10,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = pay(
        company, finance, customer, "200.01", allocations=[{"invoice": invoice, "amount": "113.00"}]
    )
    refused(
        code,
        company,
        lambda: services.payment_refund(
            payment=payment, amount=amount, reason=reason, actor=finance
        ),
    )


def test_only_finance_refunds_or_voids(company, manager, rep, finance, customer):
    payment = pay(company, finance, customer, "10.00")
    for who in (manager, rep):
        refused(
            "core.permission_denied",
            company,
            lambda who=who: services.payment_refund(
                payment=payment, amount="1.00", reason="x", actor=who
            ),
        )
        refused(
            "core.permission_denied",
            company,
            lambda who=who: services.payment_void(payment=payment, reason="x", actor=who),
        )


def test_a_void_writes_off_an_untouched_payment_and_only_that(
    company, finance, customer, confirmed_order
):
    mistake = pay(company, finance, customer, "99.99", reference="TYPO")
    assert fresh(customer).advance_balance == Decimal("99.99")
    void = services.payment_void(payment=mistake, reason="recorded twice", actor=finance)
    assert (void.kind, void.amount) == (RefundKind.VOID, Decimal("99.99"))
    mistake = fresh(mistake)
    assert mistake.voided_at is not None
    assert mistake.unallocated == 0
    assert fresh(customer).advance_balance == 0
    assert services.payment_void(payment=mistake, reason="again", actor=finance) == void
    assert PaymentRefund.objects.for_company(company).count() == 1
    assert Event.objects.for_company(company).filter(type="payment.voided").count() == 1
    refused(
        "billing.payment_voided",
        company,
        lambda: services.payment_refund(payment=mistake, amount="1", reason="x", actor=finance),
    )
    # an allocated or refunded payment is not voided: refund its credit instead
    order = confirmed_order("on_order", quantities=(10,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    used = pay(
        company, finance, customer, "20.00", allocations=[{"invoice": invoice, "amount": "1.00"}]
    )
    refused(
        "billing.payment_in_use",
        company,
        lambda: services.payment_void(payment=used, reason="x", actor=finance),
    )
    refunded = pay(company, finance, customer, "5.00")
    services.payment_refund(payment=refunded, amount="1.00", reason="part", actor=finance)
    refused(
        "billing.payment_in_use",
        company,
        lambda: services.payment_void(payment=refunded, reason="x", actor=finance),
    )
    fresh_one = pay(company, finance, customer, "1.00")
    refused(
        "core.validation_failed",
        company,
        lambda: services.payment_void(payment=fresh_one, reason=" ", actor=finance),
    )


def test_refunded_credit_is_not_applied_to_the_orders_next_invoice(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("manual", quantities=(10,))
    advance = pay(company, finance, customer, "100.00", order=order)
    services.payment_refund(payment=advance, amount="60.00", reason="part back", actor=finance)
    assert fresh(order).amount_paid == Decimal("40.00")
    invoice = services.invoice_create(order=order, actor=finance, issue=True)  # 113.00
    assert fresh(invoice).amount_paid == Decimal("40.00")
    assert fresh(advance).unallocated == 0
    assert fresh(customer).receivable_balance == Decimal("73.00")
