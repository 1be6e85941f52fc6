"""Invoice PDFs in the customer's language with locale formatting; the finance export."""

import datetime
import io
from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.billing import selectors, services
from ordercrm.billing.models import Invoice
from tests.pdf import pdf_fonts, pdf_text


@pytest.fixture
def chinese_invoice(company, rep, finance, customer, make_product, stocked):
    from ordercrm.sales import services as sales

    customer.language = "zh-hans"
    customer.name = "上海明达机电设备有限公司"
    customer.save()
    valve = make_product(company, sku="QF-50", name="不锈钢球阀 DN50", list_price=Decimal("1234.5"))
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="on_order",
            lines=[{"product": valve, "quantity": 2}],
        ),
        actor=rep,
    )
    return Invoice.objects.for_company(company).get(order=order)


def test_a_chinese_invoice_extracts_back_with_every_glyph(company, finance, chinese_invoice):
    data = selectors.invoice_pdf(access_for(finance, company), chinese_invoice.pk)
    text = pdf_text(data)
    for expected in (
        "发票",
        chinese_invoice.number,
        "上海明达机电设备有限公司",
        "不锈钢球阀 DN50",
        "¥2,789.97",  # 2 × 1,234.50 = 2,469.00 + 13 % VAT = 2,789.97, CLDR zh_Hans_CN style
        "到期日",
    ):
        assert expected in text, expected
    assert "\ufffd" not in text
    embedded = pdf_fonts(data)
    assert "Noto-Sans-CJK-SC" in embedded
    assert "DejaVu" not in embedded


@pytest.mark.parametrize(
    ("language", "title", "font"),
    [("zh-hant", "發票", "Noto-Sans-CJK-TC"), ("en", "Invoice", "Noto")],
)
def test_invoice_in_other_languages(company, finance, chinese_invoice, language, title, font):
    data = selectors.invoice_pdf(access_for(finance, company), chinese_invoice.pk, language)
    assert title in pdf_text(data)
    assert font in pdf_fonts(data)


def test_finance_export_csv_and_xlsx(company, finance, customer, chinese_invoice):
    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="100.00",
        currency="CNY",
        method="cash",
        reference="R-1",
        allocations=[{"invoice": chinese_invoice, "amount": "100.00"}],
    )
    today = chinese_invoice.issue_date
    access = access_for(finance, company)
    name, content, content_type = selectors.finance_export(access, today, today, "csv")
    assert name.endswith(".csv")
    assert content_type.startswith("text/csv")
    text = content.decode("utf-8-sig")
    assert chinese_invoice.number in text
    assert "上海明达机电设备有限公司" in text
    assert "payment" in text
    assert "2789.97" in text
    name, content, _type = selectors.finance_export(access, today, today, "xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "type"
    assert {row[0] for row in rows[1:]} == {"invoice", "payment"}
    invoice_row = next(row for row in rows if row[1] == chinese_invoice.number)
    assert Decimal(str(invoice_row[13])) == Decimal("2789.97")
    empty = selectors.finance_rows(
        access, today - datetime.timedelta(days=10), today - datetime.timedelta(days=1)
    )
    assert empty == []


def test_a_foreign_currency_invoice_states_its_rate_and_company_currency_total(
    company, finance, customer, usd_invoice
):
    """113.00 USD at 7.10 is CN¥802.30; 50.00 paid at 7.20 leaves 63.00 USD, CN¥447.30 open
    at the invoice's rate. The real PDF, read back with pdftotext."""
    invoice = usd_invoice("7.10")
    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="50.00",
        currency="USD",
        method="bank_transfer",
        exchange_rate="7.20",
        allocations=[{"invoice": invoice, "amount": "50.00"}],
    )
    access = access_for(finance, company)
    text = " ".join(pdf_text(selectors.invoice_pdf(access, invoice.pk, "en")).split())
    assert "Exchange rate: 1 USD = 7.1 CNY" in text
    assert "Total (company currency) CN¥802.30" in text
    assert "Amount due (company currency) CN¥447.30" in text
    assert "US$113.00" in text or "$113.00" in text
    text = " ".join(pdf_text(selectors.invoice_pdf(access, invoice.pk, "zh-hans")).split())
    assert "汇率：1 USD = 7.1 CNY" in text
    assert "合计（公司本位币） ¥802.30" in text


def test_a_company_currency_invoice_states_no_rate(company, finance, chinese_invoice):
    text = pdf_text(selectors.invoice_pdf(access_for(finance, company), chinese_invoice.pk, "en"))
    assert "Exchange rate" not in text
    assert "company currency" not in text
