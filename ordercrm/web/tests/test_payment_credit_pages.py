"""The payment page (apply credit, refund, void) and cancelling an invoiced order from the
order page: forms call the services, refusals are shown inline and change nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, Payment, PaymentRefund
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder


@pytest.fixture
def invoiced(company, rep, customer, stocked):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="on_order",
        lines=[{"product": stocked[0], "quantity": 10}],
    )
    return sales.order_submit(order=order, actor=rep)  # INV 113.00


def pay(company, staff, customer, amount, **extra):
    return billing.payment_record(
        company=company,
        actor=staff["finance"],
        customer=customer,
        amount=amount,
        currency="CNY",
        method="bank_transfer",
        **extra,
    )


def test_cancel_from_the_order_page_refuses_then_credits(
    client, company, admin, staff, customer, invoiced
):
    pay(company, staff, customer, "200.00", order=invoiced)
    url = reverse("order_action", args=[invoiced.pk, "cancel"])
    client.force_login(staff["manager"])
    page = client.get(reverse("order_detail", args=[invoiced.pk])).content.decode()
    assert 'name="credit_invoices"' in page
    response = client.post(url, {"version": invoiced.version, "comment": "withdrawn"})
    assert response.status_code == 409
    invoice = Invoice.objects.for_company(company).get(order=invoiced)
    assert invoice.number in response.content.decode()
    assert SalesOrder.objects.for_company(company).get(pk=invoiced.pk).status == "confirmed"

    client.force_login(admin)
    response = client.post(
        url, {"version": invoiced.version, "comment": "withdrawn", "credit_invoices": "1"}
    )
    assert response.status_code == 302
    assert SalesOrder.objects.for_company(company).get(pk=invoiced.pk).status == "cancelled"
    payment = Payment.objects.for_company(company).get()
    assert payment.order_id is None
    assert payment.unallocated == Decimal("200.00")
    # the customer's 360 page shows the credit, linked to the payment
    client.force_login(staff["finance"])
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'id="customer-credit"' in page
    assert reverse("payment_detail", args=[payment.pk]) in page


def test_payment_page_applies_refunds_and_voids(client, company, rep, staff, customer, invoiced):
    credit = pay(company, staff, customer, "50.00")
    invoice = Invoice.objects.for_company(company).get(order=invoiced)
    detail = reverse("payment_detail", args=[credit.pk])
    client.force_login(staff["finance"])
    page = client.get(detail).content.decode()
    assert invoice.number in page  # offered to apply the credit to
    assert client.get(reverse("payment_list")).content.decode().count(detail) == 1

    response = client.post(
        reverse("payment_action", args=[credit.pk, "apply"]),
        {"invoice": str(invoice.pk), "amount": "20.00"},
    )
    assert response.status_code == 302
    assert Invoice.objects.for_company(company).get(pk=invoice.pk).amount_paid == Decimal("20.00")

    refund = reverse("payment_action", args=[credit.pk, "refund"])
    response = client.post(refund, {"amount": "30.01", "reason": "back", "method": "cash"})
    assert response.status_code == 409
    assert "30.00" in response.content.decode()  # says how much can be refunded
    assert not PaymentRefund.objects.for_company(company).exists()
    response = client.post(refund, {"amount": "30.00", "reason": "back", "method": "cash"})
    assert response.status_code == 302
    assert Payment.objects.for_company(company).get(pk=credit.pk).unallocated == 0

    mistake = pay(company, staff, customer, "9.99")
    response = client.post(reverse("payment_action", args=[mistake.pk, "void"]), {"reason": ""})
    assert response.status_code == 409
    response = client.post(reverse("payment_action", args=[mistake.pk, "void"]), {"reason": "x"})
    assert response.status_code == 302
    assert Payment.objects.for_company(company).get(pk=mistake.pk).voided_at is not None
    assert client.get(reverse("payment_action", args=[mistake.pk, "void"])).status_code == 405
    assert client.post(reverse("payment_action", args=[mistake.pk, "nope"])).status_code == 404

    client.force_login(staff["manager"])  # sees the payment, may not touch it
    page = client.get(detail).content.decode()
    assert "refund-amount" not in page
    other = pay(company, staff, customer, "1.00")
    response = client.post(
        reverse("payment_action", args=[other.pk, "refund"]), {"amount": "1", "reason": "x"}
    )
    assert response.status_code == 403
    assert Payment.objects.for_company(company).get(pk=other.pk).amount_refunded == 0
    client.force_login(rep)
    assert client.get(reverse("payment_detail", args=["not-an-id"])).status_code == 404
