"""A refund line on units never invoiced, on an order paid in advance (款到发货, the fapiao
issued later): settled against the advance — a refund (RF-) of the units' gross price off
the order's payment, the order line's ``qty_refunded`` — so the later invoice bills only what
the customer kept, and the order's progress and the customer's receivables end exact."""

from decimal import Decimal

import pytest

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind, Payment, PaymentRefund
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import Event
from ordercrm.customers.models import Customer
from ordercrm.fulfilment import services as fulfilment
from ordercrm.returns import services
from ordercrm.returns.models import ReturnAuthorization, RmaSettlement
from ordercrm.returns.workflow import Status
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine

D = Decimal


@pytest.fixture
def prepaid(company, rep, customer, stocked, keeper, finance):
    """A manual-invoicing order of 5 × P0 (10.00) and 2 × P1 (11.00) with 13 % tax —
    56.50 + 24.86 = 81.36 — paid in full in advance, shipped, not invoiced."""

    def make(pay=True):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="manual",
            lines=[
                {"product": stocked[0], "quantity": D(5)},
                {"product": stocked[1], "quantity": D(2)},
            ],
        )
        order = sales.order_submit(order=order, actor=rep)
        if pay:
            billing.payment_record(
                company=company,
                actor=finance,
                customer=customer,
                amount=order.gross_total,
                currency=order.currency,
                method="bank_transfer",
                reference=f"ADV-{order.number}",
                order=order,
            )
        fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
        return SalesOrder.objects.for_company(company).get(pk=order.pk)

    return make


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def refund_two(access, order):
    first = lines_of(order)[0]
    return services.rma_create(
        access,
        order,
        [
            {
                "order_line_id": str(first.pk),
                "quantity": "2",
                "decision": "refund",
                "reason": "cracked",
            }
        ],
    )


def test_uninvoiced_units_are_refunded_from_the_advance(
    client, company, access_of, support, manager, keeper, finance, prepaid, main_warehouse
):
    order = prepaid()
    assert order.gross_total == D("81.36")
    customer = Customer.objects.for_company(company).get(pk=order.customer_id)
    assert (customer.receivable_balance, customer.advance_balance) == (D(0), D("81.36"))
    rma = refund_two(access_of(support, company), order)
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    rma = services.rma_credit(rma=rma, actor=finance)
    assert rma.status == Status.CLOSED
    # no credit note: nothing was invoiced; 2 × 11.30 paid back off the advance
    assert not Invoice.objects.for_company(company).filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    refund = PaymentRefund.objects.for_company(company).get()
    assert (refund.amount, refund.kind, refund.payment.order_id) == (D("22.60"), "refund", order.pk)
    settlement = RmaSettlement.objects.for_company(company).get(rma=rma)
    assert (settlement.kind, settlement.refund_id, settlement.number) == (
        "advance_refund",
        refund.pk,
        refund.number,
    )
    first, second = lines_of(order)
    assert (first.qty_shipped, first.qty_returned, first.qty_refunded) == (D(5), D(2), D(2))
    assert (first.qty_invoiced, first.qty_credited) == (D(0), D(0))
    customer.refresh_from_db()
    assert customer.advance_balance == D("58.76")
    # the RMA page and the order page say so
    client.force_login(finance)
    page = client.get(f"/returns/{rma.pk}/").content.decode()
    assert refund.number in page
    assert "Refund of an advance" in page
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "refunded from advance" in page
    event = Event.objects.for_company(company).get(type="rma.credited")
    assert event.payload["advance_refunds"] == [refund.number]
    assert event.payload["advance_refunded"] == "22.60"

    # the fapiao, issued later, bills only what the customer kept; the advance pays it
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    assert sales_selectors.line_to_invoice(order, first) == D(3)
    invoice = billing.invoice_create(order=order, actor=finance, issue=True)
    assert invoice.gross_total == D("58.76")
    first, second = lines_of(order)
    assert (first.qty_invoiced, second.qty_invoiced) == (D(3), D(2))
    order = SalesOrder.objects.for_company(company).get(pk=order.pk)
    progress = sales_selectors.order_state(order).progress
    assert (progress.fulfilment, progress.invoicing, progress.payment) == (
        "shipped",
        "invoiced",
        "paid",
    )
    assert order.status == "completed"
    # the SQL filters agree with the page
    visible = sales_selectors.order_list(access_of(finance, company), invoicing="invoiced")
    assert order.pk in set(visible.values_list("pk", flat=True))
    customer.refresh_from_db()
    assert (customer.receivable_balance, customer.advance_balance) == (D(0), D(0))


def test_without_an_advance_an_uninvoiced_refund_is_refused(company, access_of, support, prepaid):
    order = prepaid(pay=False)
    with pytest.raises(DomainError) as refused:
        refund_two(access_of(support, company), order)
    assert refused.value.code == "returns.refund_not_invoiced"
    assert not ReturnAuthorization.objects.for_company(company).exists()


def test_an_advance_spent_in_the_meantime_refuses_the_credit_and_changes_nothing(
    company, access_of, support, manager, keeper, finance, prepaid, main_warehouse
):
    order = prepaid()
    rma = refund_two(access_of(support, company), order)
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    payment = Payment.objects.for_company(company).get(order=order)
    billing.payment_refund(payment=payment, amount="70.00", reason="paid back", actor=finance)
    with pytest.raises(DomainError) as refused:
        services.rma_credit(rma=rma, actor=finance)
    assert refused.value.code == "returns.refund_not_invoiced"
    assert refused.value.details["advance_short"] == "11.24"
    first = lines_of(order)[0]
    assert first.qty_refunded == 0
    payment.refresh_from_db()
    assert payment.amount_refunded == D("70.00")
    assert PaymentRefund.objects.for_company(company).count() == 1
    assert ReturnAuthorization.objects.for_company(company).get(pk=rma.pk).status == "received"


def test_the_api_settles_against_the_advance(
    client, company, support, manager, keeper, finance, prepaid, main_warehouse
):
    import json

    from ordercrm.accounts.tokens import token_create

    order = prepaid()
    first = lines_of(order)[0]

    def call(user, path, body=None):
        token = token_create(user=user, name="t")[1]
        response = client.post(
            f"/api/v1{path}",
            data=json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.status_code, response.json()

    status, rma = call(
        support,
        f"/orders/{order.pk}/returns",
        {"lines": [{"order_line_id": str(first.pk), "quantity": "2", "decision": "refund"}]},
    )
    assert status == 201, rma
    assert call(manager, f"/returns/{rma['id']}/approve")[0] == 200
    status, rma = call(
        keeper,
        f"/returns/{rma['id']}/receive",
        {"warehouse_id": str(main_warehouse.pk), "condition": "saleable"},
    )
    assert status == 200, rma
    status, rma = call(finance, f"/returns/{rma['id']}/credit")
    assert status == 200, rma
    assert rma["status"] == "closed"
    refund = PaymentRefund.objects.for_company(company).get()
    assert rma["settlements"] == [
        {
            "kind": "advance_refund",
            "number": refund.number,
            "invoice_id": None,
            "shipment_id": None,
            "refund_id": str(refund.pk),
        }
    ]
