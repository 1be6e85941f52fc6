"""Multi-currency settlement on the invoice and payment pages (#17): a foreign-currency
document shows its company-currency amounts and each allocation's exchange difference, in
the project's money format and the viewer's language; a company-currency one does not."""

import pytest
from django.urls import reverse

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, Payment, PaymentAllocation
from ordercrm.sales import services as sales


def test_invoice_and_payment_pages_show_the_exchange_difference(
    client, company, staff, customer, usd_invoice
):
    usd_invoice = usd_invoice()  # 113.00 USD at 7.10: CN¥802.30
    client.force_login(staff["finance"])
    # paid from the invoice page at the rate the money came in at
    response = client.post(
        reverse("invoice_action", args=[usd_invoice.pk, "pay"]),
        {"amount": "113.00", "method": "bank_transfer", "exchange_rate": "7.20"},
    )
    assert response.status_code == 302
    payment = Payment.objects.for_company(company).get()
    allocation = PaymentAllocation.objects.for_company(company).get()
    assert str(allocation.exchange_difference) == "11.30"

    page = client.get(reverse("invoice_detail", args=[usd_invoice.pk])).content.decode()
    assert "Exchange difference" in page
    assert "CN¥802.30" in page  # the total in the company currency, at 7.10
    assert "CN¥813.60" in page  # what the payment was worth, at 7.20
    assert "CN¥11.30" in page  # the gain
    assert reverse("payment_detail", args=[payment.pk]) in page

    page = client.get(reverse("payment_detail", args=[payment.pk])).content.decode()
    assert "Exchange difference" in page
    assert "$113.00" in page  # the payment in its own currency
    assert "CN¥813.60" in page
    assert "CN¥11.30" in page
    assert usd_invoice.number in page

    client.cookies["django_language"] = "zh-hans"
    page = client.get(
        reverse("invoice_detail", args=[usd_invoice.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "汇兑差额" in page
    client.cookies["django_language"] = "zh-hant"
    page = client.get(
        reverse("payment_detail", args=[payment.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "匯兌差額" in page


def test_a_loss_shows_negative_and_a_company_currency_invoice_shows_none(
    client, company, staff, customer, usd_invoice, invoiced_cny
):
    usd_invoice = usd_invoice()
    billing.payment_record(
        company=company,
        actor=staff["finance"],
        customer=customer,
        amount="113.00",
        currency="USD",
        method="cash",
        exchange_rate="7.00",
        allocations=[{"invoice": usd_invoice, "amount": "113.00"}],
    )
    client.force_login(staff["finance"])
    page = client.get(reverse("invoice_detail", args=[usd_invoice.pk])).content.decode()
    assert "-CN¥11.30" in page
    assert "exchange-difference loss" in page
    cny = Invoice.objects.for_company(company).get(order=invoiced_cny)
    page = client.get(reverse("invoice_detail", args=[cny.pk])).content.decode()
    assert "Exchange difference" not in page
    assert "(company currency)" not in page


@pytest.fixture
def invoiced_cny(company, rep, customer, stocked):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="on_order",
        lines=[{"product": stocked[0], "quantity": 10}],
    )
    return sales.order_submit(order=order, actor=rep)
