"""The customer's "refund issued" email when the refund came off their advance (no credit
note): it names the RF- refund and its amount, in the customer's language."""

from decimal import Decimal

from ordercrm.accounts.access import access_for
from ordercrm.billing import services as billing
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory.models import Warehouse
from ordercrm.notifications import worker
from ordercrm.returns import services as returns
from ordercrm.sales import services as sales


def test_the_refund_email_names_the_advance_refund(
    company, admin, rep, keeper, finance, customer, stocked, smtp_server
):
    customer.email = "buyer@mingda.example"
    customer.language = "zh-hans"
    customer.save()
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="manual",
            lines=[{"product": stocked[0], "quantity": 3}],
        ),
        actor=rep,
    )
    billing.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=order.gross_total,
        currency=order.currency,
        method="bank_transfer",
        reference="ADV-1",
        order=order,
    )
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    line = order.lines.get()
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [{"order_line_id": str(line.pk), "quantity": "1", "decision": "refund"}],
    )
    rma = returns.rma_approve(rma=rma, actor=admin)
    rma = returns.rma_receive(
        rma=rma, actor=keeper, warehouse=Warehouse.objects.for_company(company).get(code="main")
    )
    rma = returns.rma_credit(rma=rma, actor=finance)
    for _ in range(3):
        worker.run_once()
    mails = {
        " ".join(str(m["message"]["Subject"]).split()): m["message"]
        .get_body(preferencelist=("plain",))
        .get_content()
        for m in smtp_server
        if "buyer@mingda.example" in m["to"]
    }
    refund = mails[f"退货 {rma.number}：已退款"]
    assert "RF-" in refund
    unit = (line.gross / line.quantity).quantize(Decimal("0.01"))
    assert f"{unit}" in refund
    assert "已退款" in refund
