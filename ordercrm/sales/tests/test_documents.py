from decimal import Decimal

from ordercrm.accounts.access import access_for
from ordercrm.sales import services
from ordercrm.sales.documents import order_pdf
from tests.pdf import pdf_text


def test_quotation_then_confirmation_in_the_customers_language(
    company, rep, customer, make_product
):
    customer.language = "zh-hant"
    customer.save()
    pump = make_product(company, sku="PUMP-1", name="離心泵 3kW", list_price=Decimal("5000"))
    order = services.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": pump, "quantity": 1}]
    )
    access = access_for(rep, company)
    quotation = pdf_text(order_pdf(access, order.pk))
    assert "報價單" in quotation
    assert "離心泵 3kW" in quotation
    assert order.number in quotation
    assert "\ufffd" not in quotation
    services.order_submit(order=order, actor=rep)
    confirmation = pdf_text(order_pdf(access, order.pk, "en"))
    assert "Order confirmation" in confirmation
    assert "CN¥5,650.00" in confirmation  # 5,000 + 13 % VAT, en_US formatting of CNY
