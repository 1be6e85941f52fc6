"""The outbox to real receivers: emails over SMTP, signed webhooks with retries, in-app
notifications, replay, health."""

import datetime
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from ordercrm.core.models import Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.notifications import selectors, services, worker
from ordercrm.notifications.models import Delivery, DeliveryStatus, EmailKind, Notification
from ordercrm.sales import services as sales


@pytest.fixture
def ordering(company, rep, customer, stocked):
    customer.email = "buyer@mingda.example"
    customer.save()

    def make(quantity=2, **header):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": quantity}],
            **header,
        )
        return sales.order_submit(order=order, actor=rep)

    return make


def test_order_confirmation_email_in_the_customers_language_with_pdf(
    company, customer, ordering, smtp_server
):
    customer.language = "zh-hans"
    customer.save()
    order = ordering()
    worker.run_once()
    [mail] = [m for m in smtp_server if "buyer@mingda.example" in m["to"]]
    message = mail["message"]
    assert message["Subject"] == f"订单确认书 {order.number}"
    assert message["X-OrderCRM-Event-Id"]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{order.number}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    assert "感谢" in message.get_body(preferencelist=("plain",)).get_content()
    delivery = Delivery.objects.for_company(company).get(kind=EmailKind.ORDER_CONFIRMATION)
    assert (delivery.status, delivery.attempts, delivery.subject) == (
        DeliveryStatus.SENT,
        1,
        f"订单确认书 {order.number}",
    )


def test_shipping_notice_invoice_and_receipt(
    company, keeper, finance, customer, ordering, smtp_server
):
    customer.language = "en"
    customer.save()
    order = ordering(invoicing_policy="on_shipment")
    fulfilment.shipment_create(
        order=order, actor=keeper, carrier="SF Express", tracking_number="SF0001", dispatch=True
    )
    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice

    invoice = Invoice.objects.for_company(company).get(order=order)
    billing.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=invoice.gross_total,
        currency="CNY",
        method="bank_transfer",
        allocations=[{"invoice": invoice, "amount": invoice.gross_total}],
    )
    worker.run_once()
    subjects = {m["message"]["Subject"] for m in smtp_server}
    assert f"Shipping notice for order {order.number}" in subjects
    assert f"Invoice {invoice.number}" in subjects
    assert any(s.startswith("Payment received: PAY-") for s in subjects)
    notice = next(
        m["message"] for m in smtp_server if m["message"]["Subject"].startswith("Shipping")
    )
    assert "SF0001" in notice.get_body(preferencelist=("plain",)).get_content()
    invoice_mail = next(
        m["message"] for m in smtp_server if m["message"]["Subject"].startswith("Invoice")
    )
    assert [a.get_filename() for a in invoice_mail.iter_attachments()] == [f"{invoice.number}.pdf"]


def test_a_company_template_replaces_the_default(company, admin, customer, ordering, smtp_server):
    customer.language = "en"
    customer.save()
    services.email_template_set(
        company=company,
        actor=admin,
        kind=EmailKind.ORDER_CONFIRMATION,
        language="en",
        subject="We got it: {{ order.number }}",
        body="Hello {{ customer.name }}, total {{ total }}.",
    )
    order = ordering()
    worker.run_once()
    assert any(m["message"]["Subject"] == f"We got it: {order.number}" for m in smtp_server)


def test_smtp_down_is_retried_and_the_error_kept(company, ordering, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    ordering()
    worker.run_once()
    delivery = Delivery.objects.for_company(company).get(kind=EmailKind.ORDER_CONFIRMATION)
    assert delivery.status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


def test_webhook_signed_and_retried_until_it_succeeds(company, admin, ordering, receiver):
    endpoint = receiver(statuses=[500, 503])
    hook = services.webhook_create(
        company=company, actor=admin, url=endpoint.url, event_types=["order.confirmed"]
    )
    order = ordering()
    worker.run_once()
    delivery = Delivery.objects.for_company(company).get(webhook=hook)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 500)
    for _ in range(2):  # the clock moves past each backoff
        later = Delivery.objects.for_company(company).get(pk=delivery.pk).next_attempt_at
        worker.run_once(now=later + datetime.timedelta(seconds=1))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 3, 200)
    bodies = endpoint.payloads()
    assert len(bodies) == 3
    event = Event.objects.for_company(company).get(type="order.confirmed", entity_id=str(order.pk))
    assert {b["id"] for b in bodies} == {str(event.pk)}  # retries carry the same event id
    assert bodies[0]["type"] == "order.confirmed"
    assert bodies[0]["data"]["number"] == order.number
    request = endpoint.requests[-1]
    signature = dict(
        part.split("=", 1) for part in request["headers"]["x-ordercrm-signature"].split(",")
    )
    expected = hmac.new(
        hook.secret.encode(), f"{signature['t']}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature["v1"], expected)


def test_dead_after_max_attempts_then_replayed(company, admin, ordering, receiver):
    endpoint = receiver(statuses=[500] * 100)
    services.webhook_create(company=company, actor=admin, url=endpoint.url, event_types=["*"])
    ordering()
    now = timezone.now()
    worker.fan_out()
    for _ in range(worker.MAX_ATTEMPTS + 1):  # fan-out stamps "due now", a moment after `now`
        worker.run_once(now=now)
        now += datetime.timedelta(hours=2)
    dead = Delivery.objects.for_company(company).filter(status=DeliveryStatus.DEAD)
    assert dead.exists()
    assert worker.queue_state()["dead"] == dead.count()
    event = dead.first().event
    assert worker.replay(event) >= 1
    worker.run_once()
    assert (
        not Delivery.objects.for_company(company)
        .filter(event=event, status=DeliveryStatus.DEAD)
        .exists()
    )


def test_in_app_notifications_for_approvals_and_payments(
    company, admin, rep, manager, ordering, finance
):
    from ordercrm.sales.models import RuleKind

    sales.approval_rule_create(
        company=company, actor=admin, name="all", kind=RuleKind.ORDER_TOTAL, threshold=1
    )
    order = ordering()
    worker.run_once()
    [note] = selectors.notification_list(manager, company)
    assert note.kind == "approval_requested"
    assert order.number in note.title
    assert selectors.unread_count(manager, company) == 1
    sales.order_approve(order=order, actor=manager)
    worker.run_once()
    assert selectors.notification_list(rep, company).filter(kind="approval_decided").exists()
    assert services.notifications_mark_read(user=manager, company=company) == 1
    assert selectors.unread_count(manager, company) == 0
    # finance may approve too (the rule names no role), so it was asked, but not told the outcome
    kinds = set(
        Notification.objects.for_company(company)
        .filter(user=finance)
        .values_list("kind", flat=True)
    )
    assert kinds == {"approval_requested"}


def test_each_event_is_fanned_out_once(company, admin, ordering, receiver):
    endpoint = receiver()
    services.webhook_create(
        company=company, actor=admin, url=endpoint.url, event_types=["order.created"]
    )
    ordering()
    worker.run_once()
    worker.run_once()
    assert len(endpoint.requests) == 1
    assert not Event.objects.for_company(company).filter(dispatched_at__isnull=True).exists()


def test_health_worker_reports_heartbeat_and_queue(client, company, admin, ordering):
    ordering()
    response = client.get("/health/worker")
    assert response.status_code == 503  # no worker has ever beaten
    worker.run_once()
    state = client.get("/health/worker").json()
    assert state["status"] == "ok"
    assert state["queue_depth"] == 0
    assert state["heartbeat_age_s"] < 5
    ordering()
    state = client.get("/health/worker").json()
    assert state["queue_depth"] > 0
    assert state["oldest_pending_age_s"] >= 0
    json.dumps(state)
