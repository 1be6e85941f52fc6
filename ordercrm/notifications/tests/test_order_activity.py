"""An order's activity (``order_activity``): each fact once, in the reader's language, with
billing and email facts, in a number of queries that does not grow with the documents; and
resending a delivery."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from ordercrm.accounts.access import access_for
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceLine
from ordercrm.core.exceptions import NotFound, PermissionDenied
from ordercrm.core.models import AuditEntry
from ordercrm.fulfilment.services import shipment_create
from ordercrm.notifications import worker
from ordercrm.notifications.models import Delivery, DeliveryStatus
from ordercrm.notifications.selectors import order_activity
from ordercrm.notifications.services import delivery_resend
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine


@pytest.fixture
def buyer(customer):
    customer.email = "buyer@example.com"
    customer.save(update_fields=["email"])
    return customer


def _order_with(company, rep, buyer, products, keeper, finance, shipments: int):
    """A confirmed order shipped in ``shipments`` parts (each invoiced), each invoice paid,
    one credit note, and the emails sent."""
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=buyer,
        lines=[{"product": products[0], "quantity": Decimal(shipments * 2)}],
    )
    order = sales.order_submit(order=order, actor=rep)
    sales.order_comment_add(order=order, actor=rep, text="call first")
    line = SalesOrderLine.objects.for_company(company).get(order=order)
    for _ in range(shipments):
        shipment_create(
            order=order,
            actor=keeper,
            lines=[{"order_line_id": str(line.pk), "quantity": "2"}],
            dispatch=True,
        )
    invoices = list(Invoice.objects.for_company(company).filter(order=order).order_by("created_at"))
    for invoice in invoices:
        billing.payment_record(
            company=company,
            actor=finance,
            customer=buyer,
            amount="1.00",
            currency="CNY",
            method="alipay",
            allocations=[{"invoice": invoice, "amount": "1.00"}],
        )
    first_line = InvoiceLine.objects.for_company(company).filter(invoice=invoices[0]).get()
    billing.credit_note_create(
        invoice=invoices[0],
        actor=finance,
        lines=[{"invoice_line_id": str(first_line.pk), "quantity": "1"}],
        reason="dented",
    )
    worker.run_once()
    return order


def test_each_fact_once_in_the_readers_language(
    company, admin, rep, buyer, stocked, keeper, finance
):
    order = _order_with(company, rep, buyer, stocked, keeper, finance, shipments=2)
    facts = order_activity(access_for(admin, company), order.pk)
    kinds = [f.kind for f in facts]
    assert kinds.count("invoice") == 2
    assert kinds.count("credit_note") == 1
    assert kinds.count("payment") == 2
    assert kinds.count("comment") == 1
    # confirmation, two shipping notices, two invoices, two payment receipts
    emails = [f for f in facts if f.kind == "email"]
    assert len(emails) == 7
    assert {f.status for f in emails} == {DeliveryStatus.SENT}
    titles = [f.title for f in facts if f.kind == "order"]
    assert titles.count("Created") == 1
    assert titles.count("Submitted and confirmed") == 1
    assert sum(t.startswith("Shipped SH-") for t in titles) == 2
    assert "ship" not in titles
    assert [f.at for f in facts] == sorted(f.at for f in facts)
    with translation.override("zh-hans"):
        facts = order_activity(access_for(admin, company), order.pk)
    titles = [f.title for f in facts]
    assert "已创建" in titles
    assert "已提交并确认" in titles
    assert any(t.startswith("已发货 SH-") for t in titles)
    assert any(t.startswith("红字发票 CN-") for t in titles)
    assert all("ship" not in t for t in titles)


def test_queries_do_not_grow_with_shipments_invoices_payments_and_emails(
    company, admin, rep, buyer, stocked, keeper, finance
):
    small = _order_with(company, rep, buyer, stocked, keeper, finance, shipments=1)
    large = _order_with(company, rep, buyer, stocked, keeper, finance, shipments=5)
    access = access_for(admin, company)
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            facts = order_activity(access, order.pk)
        counts.append(len(queries))
        assert facts
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12, counts


def test_failed_email_error_is_for_admins_and_resend_queues_it_again(
    company, admin, rep, buyer, stocked, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    order = sales.order_create(
        company=company, actor=rep, customer=buyer, lines=[{"product": stocked[0], "quantity": 1}]
    )
    order = sales.order_submit(order=order, actor=rep)
    worker.run_once()
    [email] = [f for f in order_activity(access_for(admin, company), order.pk) if f.delivery_id]
    assert email.status == DeliveryStatus.FAILED
    assert email.error  # "connection refused" or the like
    [seen_by_rep] = [f for f in order_activity(access_for(rep, company), order.pk) if f.delivery_id]
    assert seen_by_rep.status == DeliveryStatus.FAILED
    assert seen_by_rep.error == ""
    # a rep may not resend; nothing changes
    with pytest.raises(PermissionDenied):
        delivery_resend(company=company, actor=rep, delivery_id=email.delivery_id)
    assert Delivery.objects.for_company(company).get(pk=email.delivery_id).attempts == 1
    with pytest.raises(NotFound):
        delivery_resend(company=company, actor=admin, delivery_id="not-an-id")
    delivery = delivery_resend(company=company, actor=admin, delivery_id=email.delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(delivery.pk), action="resend")
        .exists()
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    worker.run_once()
    assert Delivery.objects.for_company(company).get(pk=delivery.pk).status == DeliveryStatus.SENT


def test_credited_quantities_are_settled_for_progress_and_never_offered(
    company, rep, buyer, stocked, keeper, finance
):
    from ordercrm.sales.selectors import order_actions, order_state

    order = _order_with(company, rep, buyer, stocked, keeper, finance, shipments=1)
    order.refresh_from_db()
    state = order_state(order)
    assert state.progress.invoicing == "invoiced"  # one unit credited: settled, not open
    assert not state.anything_to_invoice
    assert "invoice" not in order_actions(access_for(finance, company), order, state)
    assert (
        Invoice.objects.for_company(company)
        .filter(order=order, kind=InvoiceKind.CREDIT_NOTE)
        .count()
        == 1
    )
