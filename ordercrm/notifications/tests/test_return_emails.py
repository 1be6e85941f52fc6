"""Customer emails of a return (RMA) over real SMTP, in the customer's language: approved
with the return instructions, goods received, refund issued, replacement on its way."""

from ordercrm.accounts.access import access_for
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory.models import Warehouse
from ordercrm.notifications import worker
from ordercrm.returns import services as returns
from ordercrm.sales import services as sales


def test_the_customer_hears_at_each_step_of_a_return(
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
            invoicing_policy="on_shipment",
            lines=[{"product": stocked[0], "quantity": 3}, {"product": stocked[1], "quantity": 2}],
        ),
        actor=rep,
    )
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    first, second = order.lines.order_by("position")
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [
            {"order_line_id": str(first.pk), "quantity": "1", "decision": "refund"},
            {"order_line_id": str(second.pk), "quantity": "1", "decision": "replace"},
        ],
        return_instructions="宁波码头路9号 4号门",
    )
    rma = returns.rma_approve(rma=rma, actor=admin)
    rma = returns.rma_receive(
        rma=rma, actor=keeper, warehouse=Warehouse.objects.for_company(company).get(code="main")
    )
    rma = returns.rma_credit(rma=rma, actor=finance)
    rma = returns.rma_replace(rma=rma, actor=keeper)
    for _ in range(3):  # one pass sends a bounded batch
        worker.run_once()
    mails = {
        " ".join(str(m["message"]["Subject"]).split()): m["message"]
        .get_body(preferencelist=("plain",))
        .get_content()
        for m in smtp_server
        if "buyer@mingda.example" in m["to"]
    }
    approved = mails[f"退货 {rma.number} 已批准"]
    assert "宁波码头路9号 4号门" in approved
    assert "退款" in approved
    assert "换货" in approved
    assert f"退货 {rma.number}：货物已收到" in mails
    refund = mails[f"退货 {rma.number}：已退款"]
    assert "CN-" in refund
    assert "¥" in refund
    assert "SH-" in mails[f"退货 {rma.number}：换货正在发出"]
