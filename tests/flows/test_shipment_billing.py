"""Issue #17, terms and money: invoice lines name the shipment lines they bill, and each
shipment shows its billed amount and % (page and API), less credit notes of those lines."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceLine
from ordercrm.billing.selectors import shipment_billing
from ordercrm.fulfilment.models import Shipment
from tests.flows import test_fulfil_completion as base
from tests.flows.test_fulfil_completion import confirm, ship

# the fixtures of the completion flows
stock, keeper, clerk = base.stock, base.keeper, base.clerk

pytestmark = pytest.mark.django_db


def test_each_shipment_is_billed_by_its_own_invoice_less_its_credit_notes(
    client,
    company,
    rep,
    customer,
    products,
    stock,
    keeper,
    clerk,
    admin,
):
    stock(products[0], 50)
    order = confirm(company, rep, customer, products[0], 10)
    ship(order, keeper, 4)
    ship(order, keeper, 6)
    first, second = Shipment.objects.for_company(company).filter(order=order).order_by("number")
    invoice = Invoice.objects.for_company(company).get(shipment=first)

    # 4 × 10.00 + 13 % tax = 45.20 for the first, 67.80 for the second
    figures = shipment_billing(first)
    assert (figures.value, figures.billed, figures.percent) == (
        Decimal("45.20"),
        Decimal("45.20"),
        Decimal("100.0"),
    )
    assert [i.pk for i in figures.invoices] == [invoice.pk]
    assert shipment_billing(second).billed == Decimal("67.80")
    assert all(
        line.shipment_line.shipment_id == first.pk
        for line in InvoiceLine.objects.for_company(company)
        .filter(invoice=invoice)
        .select_related("shipment_line")
    )

    [line] = InvoiceLine.objects.for_company(company).filter(invoice=invoice)
    billing.credit_note_create(
        invoice=invoice, actor=clerk, lines=[{"invoice_line_id": str(line.pk), "quantity": "1"}]
    )
    figures = shipment_billing(first)
    assert (figures.credited, figures.billed, figures.percent) == (
        Decimal("11.30"),
        Decimal("33.90"),
        Decimal("75.0"),
    )
    assert shipment_billing(second).billed == Decimal("67.80")  # its own invoice only

    client.force_login(admin)
    page = client.get(reverse("shipment_detail", args=[first.pk])).content.decode()
    assert 'id="shipment-billing"' in page
    assert invoice.number in page
    assert "75%" in page


def test_the_api_gives_a_shipments_billing(
    client, company, rep, customer, products, stock, keeper, admin
):
    from ordercrm.accounts.tokens import token_create

    stock(products[0], 50)
    order = confirm(company, rep, customer, products[0], 2)
    ship(order, keeper, 2)
    shipment = Shipment.objects.for_company(company).get(order=order)
    _token, raw = token_create(user=admin, name="sync")

    response = client.get(
        f"/api/v1/shipments/{shipment.pk}/billing", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["value"], body["billed"], body["billed_percent"]) == ("22.60", "22.60", "100")
    assert [i["kind"] for i in body["invoices"]] == ["invoice"]
