"""An expired quotation (issue #17): the customer is emailed over SMTP, in their language,
only when the company tells customers."""

import datetime

from ordercrm.core.dates import company_today
from ordercrm.notifications import worker
from ordercrm.notifications.models import Delivery, DeliveryStatus, EmailKind
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder


def _expired_quotation(company, rep, customer, products):
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": products[0]}]
    )
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
        valid_until=company_today(company) - datetime.timedelta(days=1)
    )
    assert sales.quotations_expire(company=company) == 1
    return order


def test_the_customer_is_told_in_their_language(company, rep, customer, products, smtp_server):
    company.quotation_expiry_notify = True
    company.save()
    customer.email = "buyer@mingda.example"
    customer.language = "zh-hans"
    customer.save()
    order = _expired_quotation(company, rep, customer, products)
    worker.run_once()
    [mail] = [m for m in smtp_server if "buyer@mingda.example" in m["to"]]
    assert mail["message"]["Subject"] == f"报价单 {order.number} 已过期"
    assert "有效期至" in mail["message"].get_body(preferencelist=("plain",)).get_content()
    delivery = Delivery.objects.for_company(company).get(kind=EmailKind.QUOTATION_EXPIRED)
    assert delivery.status == DeliveryStatus.SENT


def test_no_email_unless_the_company_says_so(company, rep, customer, products, smtp_server):
    customer.email = "buyer@mingda.example"
    customer.save()
    _expired_quotation(company, rep, customer, products)
    worker.run_once()
    assert not Delivery.objects.for_company(company).filter(kind=EmailKind.QUOTATION_EXPIRED)
    assert not [m for m in smtp_server if "buyer@mingda.example" in m["to"]]
