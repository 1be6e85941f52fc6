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


# ---------------------------------------------------------------- exchange gains and losses


@pytest.fixture
def realised(company, staff, customer, usd_invoice):
    """Three realised differences: a USD invoice at 7.10 paid at 7.20 (+11.30), another
    paid at 7.05 (113.00 × 7.05 = 796.65 against 802.30: −5.65), a EUR invoice at 7.80 paid
    at 7.83 (884.79 against 881.40: +3.39); and a USD one paid at its own rate (none)."""
    made = {}
    for name, currency, rate, paid_at in (
        ("gain", "USD", "7.10", "7.20"),
        ("loss", "USD", "7.10", "7.05"),
        ("eur", "EUR", "7.80", "7.83"),
        ("none", "USD", "7.10", "7.10"),
    ):
        invoice = usd_invoice(rate, currency=currency)
        billing.payment_record(
            company=company,
            actor=staff["finance"],
            customer=customer,
            amount="113.00",
            currency=currency,
            method="bank_transfer",
            exchange_rate=paid_at,
            allocations=[{"invoice": invoice, "amount": "113.00"}],
        )
        made[name] = invoice
    return made


def _csv(content: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_exchange_gains_and_losses_page_lists_filters_and_totals(
    client, company, staff, customer, realised
):
    from ordercrm.core.dates import company_today

    client.force_login(staff["finance"])
    url = reverse("exchange_differences")
    page = client.get(url).content.decode()
    for invoice in ("gain", "loss", "eur"):
        assert realised[invoice].number in page
    assert realised["none"].number not in page  # at its own rate: nothing realised
    assert "CN¥14.69" in page  # gains 11.30 + 3.39
    assert "-CN¥5.65" in page  # the loss
    assert "CN¥9.04" in page  # net
    assert '<dd class="num">3</dd>' in page  # differences counted
    # by currency (typed in lower case), by search, by customer, by day
    page = client.get(url, {"currency": "eur"}).content.decode()
    assert realised["eur"].number in page
    assert realised["gain"].number not in page
    assert "CN¥3.39" in page
    page = client.get(url, {"q": realised["loss"].number}).content.decode()
    assert realised["loss"].number in page
    assert realised["gain"].number not in page
    today = company_today(company).isoformat()
    page = client.get(url, {"customer": str(customer.pk), "from": today, "to": today})
    assert page.status_code == 200
    assert "CN¥9.04" in page.content.decode()
    page = client.get(url, {"from": "2000-01-01", "to": "2000-01-31"}).content.decode()
    assert "No exchange gains or losses found." in page
    # the billing tabs link to it
    page = client.get(reverse("invoice_list")).content.decode()
    assert url in page


def test_exchange_gains_and_losses_refuses_bad_filters_on_the_page(client, staff, realised):
    client.force_login(staff["finance"])
    url = reverse("exchange_differences")
    response = client.get(url, {"from": "2026-13-45", "currency": "dollars"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a valid date." in page
    assert "Enter a three-letter currency code, such as USD." in page
    response = client.get(url, {"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url, {"currency": "dollars"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "三个字母" in page.content.decode()


def test_exchange_gains_and_losses_export_csv_and_xlsx(client, staff, realised):
    import io

    from openpyxl import load_workbook

    client.force_login(staff["finance"])
    response = client.get(
        reverse("export", args=["exchange_differences", "csv"]), {"currency": "USD"}
    )
    assert response.status_code == 200
    header, *rows = _csv(b"".join(response.streaming_content))
    assert header[-1] == "Exchange gain/loss (company currency)"
    by_invoice = {row[header.index("Invoice")]: row for row in rows}
    assert set(by_invoice) == {realised["gain"].number, realised["loss"].number}
    gain = by_invoice[realised["gain"].number]
    assert (gain[header.index("Currency")], gain[-3], gain[-2], gain[-1]) == (
        "USD",
        "802.30",
        "813.60",
        "11.30",
    )
    assert by_invoice[realised["loss"].number][-1] == "-5.65"
    response = client.get(reverse("export", args=["exchange_differences", "xlsx"]))
    sheet = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(sheet) == 4  # heading + 3
    assert sorted(str(row[-1]) for row in sheet[1:]) == ["-5.65", "11.3", "3.39"]


def test_exchange_gains_and_losses_are_finance_s(client, admin, staff, rep, realised):
    url = reverse("exchange_differences")
    for user in (staff["manager"], staff["viewer"], rep):
        client.force_login(user)
        assert client.get(url).status_code == 403
        response = client.get(reverse("export", args=["exchange_differences", "csv"]))
        assert response.status_code == 403
        assert url not in client.get(reverse("invoice_list")).content.decode()
    client.force_login(admin)
    assert client.get(url).status_code == 200


def test_exchange_gains_and_losses_in_chinese(client, staff, realised):
    client.force_login(staff["finance"])
    url = reverse("exchange_differences")
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "汇兑损益" in page
    client.cookies["django_language"] = "zh-hant"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "匯兌損益" in page


def test_exchange_gains_and_losses_page_costs_the_same_queries_for_3_or_60_rows(
    client, company, staff, realised
):
    """A page reads its 50 rows with their payment, invoice and customer in one query, the
    totals in one aggregate: the count does not grow with the rows."""
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff["finance"])
    url = reverse("exchange_differences")
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # more rows of the same shape (a read test: the amounts need not settle anything)
    one = PaymentAllocation.objects.for_company(company).filter(exchange_difference__gt=0)[0]
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(
                company=company,
                payment=one.payment,
                invoice=one.invoice,
                amount=Decimal("1.00"),
                base_amount=Decimal("7.20"),
                invoice_base_amount=Decimal("7.10"),
                exchange_difference=Decimal("0.10"),
            )
            for _ in range(57)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.status_code == 200
    assert "Page 1 of 2" in page.content.decode()
    assert len(many) == len(few)


# ---------------------------------------------------------------- unrealised revaluation


def test_revaluation_page_runs_refuses_and_shows_a_run(
    client, company, staff, customer, usd_invoice
):
    from ordercrm.billing.models import RevaluationRun
    from ordercrm.core.dates import company_today

    invoice = usd_invoice("7.10")  # 113.00 USD held at 802.30
    client.force_login(staff["finance"])
    url = reverse("revaluations")
    page = client.get(url).content.decode()
    assert 'name="rate_USD"' in page
    assert 'placeholder="7.1"' in page  # the rate table's rate of the day
    today = company_today(company).isoformat()
    response = client.post(url, {"date": today, "rate_USD": "-1"})
    assert response.status_code == 422
    assert "Enter a rate above 0" in response.content.decode()
    assert not RevaluationRun.objects.for_company(company).exists()
    response = client.post(url, {"date": today, "rate_USD": "7.25"})
    assert response.status_code == 302
    run = RevaluationRun.objects.for_company(company).get()
    page = client.get(response["Location"]).content.decode()
    assert invoice.number in page
    assert "CN¥819.25" in page  # 113.00 × 7.25
    assert "CN¥16.95" in page  # the unrealised gain
    response = client.post(url, {"date": today, "rate_USD": "7.00"})
    assert response.status_code == 409
    assert "already run" in response.content.decode()
    response = client.post(url, {"date": today, "rate_USD": "7.00", "replace": "1"})
    assert response.status_code == 302
    assert not RevaluationRun.objects.for_company(company).filter(pk=run.pk).exists()
    assert "-CN¥11.30" in client.get(url).content.decode()  # 791.00 − 802.30, listed
    client.cookies["django_language"] = "zh-hans"
    assert "汇兑重估" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.force_login(staff["manager"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("revaluation_detail", args=[run.pk])).status_code == 403
