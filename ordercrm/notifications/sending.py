"""Sending one delivery: a customer email over SMTP, or a signed webhook POST.

Both raise :class:`SendFailed` (with the response code when there is one) so the worker can
retry; both carry the event id (``X-OrderCRM-Event-Id`` header, webhook ``id``) so receivers
can de-duplicate an at-least-once delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext as _

from ordercrm.core.audit import json_value
from ordercrm.core.documents import Formatter
from ordercrm.core.models import Event
from ordercrm.notifications.models import Channel, Delivery, EmailKind, EmailTemplate

SIGNATURE_HEADER = "X-OrderCRM-Signature"
WEBHOOK_TIMEOUT_S = 10


class SendFailed(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- webhooks


def webhook_body(event: Event) -> bytes:
    return json.dumps(
        {
            "id": str(event.pk),
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "company": event.company.code,
            "entity": {"type": event.entity_type, "id": event.entity_id},
            "data": json_value(event.payload),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``; receivers recompute it and
    reject old timestamps to stop replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def send_webhook(delivery: Delivery, event: Event) -> int:
    hook = delivery.webhook
    body = webhook_body(event)
    request = urllib.request.Request(  # noqa: S310 - the admin configured an http(s) URL
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "OrderCRM-Webhooks/1",
            "X-OrderCRM-Event-Id": str(event.pk),
            "X-OrderCRM-Event-Type": event.type,
            "X-OrderCRM-Delivery-Id": str(delivery.pk),
            SIGNATURE_HEADER: sign(hook.secret, int(time.time()), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        raise SendFailed(f"HTTP {error.code}", code=error.code) from error
    except (urllib.error.URLError, OSError) as error:
        raise SendFailed(str(getattr(error, "reason", error))) from error


# ---------------------------------------------------------------- email


def _translated_defaults() -> dict:
    """The built-in subject and body of each email (Django template syntax), in the active
    language; a company's ``EmailTemplate`` replaces them."""
    return {
        EmailKind.ORDER_CONFIRMATION: (
            _("Order confirmation {{ order.number }}"),
            _(
                "Dear {{ customer.name }},\n\nThank you for your order {{ order.number }} of "
                "{{ total }}. The order confirmation is attached.\n\nKind regards,\n"
                "{{ company.name }}"
            ),
        ),
        EmailKind.SHIPPING_NOTICE: (
            _("Shipping notice for order {{ order.number }}"),
            _(
                "Dear {{ customer.name }},\n\nPart or all of your order {{ order.number }} has "
                "shipped ({{ shipment.number }}).\nCarrier: {{ shipment.carrier }}\nTracking "
                "number: {{ shipment.tracking_number }}\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.INVOICE: (
            _("Invoice {{ invoice.number }}"),
            _(
                "Dear {{ customer.name }},\n\nPlease find attached invoice {{ invoice.number }} "
                "for order {{ order.number }}, {{ total }}, due on {{ due_date }}.\n\nKind "
                "regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.PAYMENT_RECEIPT: (
            _("Payment received: {{ payment.number }}"),
            _(
                "Dear {{ customer.name }},\n\nWe have received your payment of {{ total }} on "
                "{{ received_on }} (reference {{ payment.reference }}). Thank you.\n\nKind "
                "regards,\n{{ company.name }}"
            ),
        ),
    }


def _context(delivery: Delivery, event: Event) -> tuple[dict, list[tuple[str, bytes, str]]]:
    """Template context and attachments of one customer email."""
    from ordercrm.billing.models import Invoice, Payment
    from ordercrm.billing.selectors import render_invoice_pdf
    from ordercrm.fulfilment.models import Shipment
    from ordercrm.sales.documents import render_order_pdf
    from ordercrm.sales.models import SalesOrder

    fmt = Formatter(delivery.language)
    company = event.company
    context: dict = {"company": company}
    attachments = []
    if delivery.kind == EmailKind.ORDER_CONFIRMATION:
        order = (
            SalesOrder.objects.for_company(company)
            .select_related("customer")
            .get(pk=event.entity_id)
        )
        context.update(order=order, customer=order.customer)
        context["total"] = fmt.money(order.gross_total, order.currency)
        attachments.append(
            (f"{order.number}.pdf", render_order_pdf(order, delivery.language), "application/pdf")
        )
    elif delivery.kind == EmailKind.SHIPPING_NOTICE:
        shipment = (
            Shipment.objects.for_company(company)
            .select_related("order__customer")
            .get(pk=event.entity_id)
        )
        context.update(shipment=shipment, order=shipment.order, customer=shipment.order.customer)
    elif delivery.kind == EmailKind.INVOICE:
        invoice = (
            Invoice.objects.for_company(company)
            .select_related("order", "customer")
            .get(pk=event.entity_id)
        )
        context.update(invoice=invoice, order=invoice.order, customer=invoice.customer)
        context["total"] = fmt.money(invoice.gross_total, invoice.currency)
        context["due_date"] = fmt.date(invoice.due_date)
        attachments.append(
            (
                f"{invoice.number}.pdf",
                render_invoice_pdf(invoice, delivery.language),
                "application/pdf",
            )
        )
    elif delivery.kind == EmailKind.PAYMENT_RECEIPT:
        payment = (
            Payment.objects.for_company(company).select_related("customer").get(pk=event.entity_id)
        )
        context.update(payment=payment, customer=payment.customer)
        context["total"] = fmt.money(payment.amount, payment.currency)
        context["received_on"] = fmt.date(payment.received_on)
    return context, attachments


def render_email(delivery: Delivery, event: Event) -> tuple[str, str, list]:
    """Subject, body and attachments, in the delivery's (the customer's) language, from the
    company's template for that language or the built-in wording."""
    with translation.override(delivery.language or None):
        custom = (
            EmailTemplate.objects.for_company(event.company_id)
            .filter(kind=delivery.kind, language=delivery.language)
            .first()
        )
        subject_source, body_source = (
            (custom.subject, custom.body) if custom else _translated_defaults()[delivery.kind]
        )
        context, attachments = _context(delivery, event)
        subject = Template(subject_source).render(Context(context, autoescape=False)).strip()
        body = Template(body_source).render(Context(context, autoescape=False))
    return " ".join(subject.split()), body, attachments


def send_email(delivery: Delivery, event: Event) -> None:
    subject, body, attachments = render_email(delivery, event)
    delivery.subject = subject[:300]
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers={"X-OrderCRM-Event-Id": str(event.pk)},
    )
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    try:
        message.send(fail_silently=False)
    except Exception as error:
        raise SendFailed(f"{type(error).__name__}: {error}") from error


def send(delivery: Delivery, event: Event) -> int | None:
    if delivery.channel == Channel.WEBHOOK:
        return send_webhook(delivery, event)
    send_email(delivery, event)
    return None
