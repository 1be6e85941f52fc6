"""Sending one delivery: a customer email over SMTP, or a signed webhook POST.

Both raise :class:`SendFailed` (with the response code when there is one) so the worker can
retry; both carry the event id (``X-OrderCRM-Event-Id`` header, webhook ``id``) so receivers
can de-duplicate an at-least-once delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from ordercrm.core.audit import json_value
from ordercrm.core.documents import Formatter
from ordercrm.core.models import Event
from ordercrm.notifications import templating, webhook_targets
from ordercrm.notifications.models import Channel, Delivery, EmailKind, EmailTemplate
from ordercrm.notifications.templating import Record

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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by now."""

    def __init__(self, target: webhook_targets.Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: webhook_targets.Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def send_webhook(delivery: Delivery, event: Event) -> int:
    """POST the signed event; a 2xx is success, anything else (redirects included, which are
    not followed) raises :class:`SendFailed`. The URL is checked again now
    (``webhook_targets``): a host that has come to resolve to a private address is refused."""
    hook = delivery.webhook
    body = webhook_body(event)
    try:
        target = webhook_targets.target_for_delivery(hook.url)
    except webhook_targets.TargetRefused as error:
        raise SendFailed(str(error.message)) from error
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "OrderCRM-Webhooks/1",
        "X-OrderCRM-Event-Id": str(event.pk),
        "X-OrderCRM-Event-Type": event.type,
        "X-OrderCRM-Delivery-Id": str(delivery.pk),
        SIGNATURE_HEADER: sign(hook.secret, int(time.time()), body),
    }
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, WEBHOOK_TIMEOUT_S)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer is not used; read a little so the peer is done
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        raise SendFailed(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise SendFailed(f"HTTP {status}", code=status)
    return status


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
        EmailKind.QUOTATION_EXPIRED: (
            _("Quotation {{ order.number }} has expired"),
            _(
                "Dear {{ customer.name }},\n\nOur quotation {{ order.number }} of {{ total }} "
                "was valid until {{ valid_until }} and has now expired. If you would "
                "still like to order, reply to this email and we will send you a new "
                "quotation.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.CASE_RECEIVED: (
            _("We received your request {{ case.number }}"),
            _(
                "Dear {{ customer.name }},\n\nThank you for contacting us. Your request "
                '"{{ case.subject }}" is registered as case {{ case.number }}'
                "{% if order.number %} (order {{ order.number }}){% endif %}. We will answer "
                "by {{ case.first_response_due }}.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.CASE_REPLY: (
            _("Re: {{ case.subject }} [{{ case.number }}]"),
            _(
                "Dear {{ customer.name }},\n\n{{ reply }}\n\nCase {{ case.number }}, "
                "status: {{ case.status_label }}.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.CASE_RESOLVED: (
            _("Case {{ case.number }} is resolved"),
            _(
                "Dear {{ customer.name }},\n\nYour case {{ case.number }} "
                '("{{ case.subject }}") is resolved:\n\n{{ case.resolution }}\n\nIf '
                "anything is still wrong, just reply and we will reopen it.\n\nKind "
                "regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.CASE_ESCALATION: (
            _("SLA breached: case {{ case.number }}"),
            _(
                'Case {{ case.number }} ("{{ case.subject }}", {{ customer.name }}, '
                "priority {{ case.priority_label }}) has breached its SLA.\nFirst response "
                "due: {{ case.first_response_due }}\nResolution due: "
                "{{ case.resolution_due }}\nAssignee: {{ case.assignee }}\n\n{{ company.name }}"
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
        EmailKind.RMA_APPROVED: (
            _("Return {{ rma.number }} approved"),
            _(
                "Dear {{ customer.name }},\n\nYour return {{ rma.number }} for order "
                "{{ order.number }} is approved.\n{% for line in rma.lines %}{{ line.quantity }} "
                "{{ line.sku }} {{ line.description }} ({{ line.decision }})\n{% endfor %}\n"
                "How to send the goods back: {{ rma.return_instructions }}\nPlease write "
                "{{ rma.number }} on the parcel.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.RMA_RECEIVED: (
            _("Return {{ rma.number }}: goods received"),
            _(
                "Dear {{ customer.name }},\n\nWe have received the goods you sent back for "
                "return {{ rma.number }} (order {{ order.number }}). We will settle it "
                "shortly.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.RMA_REFUNDED: (
            _("Return {{ rma.number }}: refund issued"),
            _(
                "Dear {{ customer.name }},\n\nFor return {{ rma.number }} we have refunded "
                "{{ total }} ({{ rma.documents }}).\n\nKind regards,\n{{ company.name }}"
            ),
        ),
        EmailKind.RMA_REPLACED: (
            _("Return {{ rma.number }}: replacement on its way"),
            _(
                "Dear {{ customer.name }},\n\nFor return {{ rma.number }} we are sending "
                "replacement goods free of charge ({{ rma.documents }}). You will receive "
                "the shipping notice when they leave.\n\nKind regards,\n{{ company.name }}"
            ),
        ),
    }


# ---------------------------------------------------------------- plain template context
# Templates get copies of the fields below, never model instances (see templating.py): what is
# not listed here cannot be reached from a template, whatever path it spells.


def _company(company) -> Record:
    return Record(
        company.name,
        name=company.name,
        legal_name=company.legal_name,
        email=company.email,
        phone=company.phone,
        address=company.address,
    )


def _customer(customer) -> Record:
    return Record(
        str(customer),
        code=customer.code,
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
    )


def _contact(contact) -> Record:
    if contact is None:
        return Record("", name="", title="", email="", phone="")
    return Record(
        contact.name,
        name=contact.name,
        title=contact.title,
        email=contact.email,
        phone=contact.phone,
    )


def _quantity(fmt: Formatter, value) -> str:
    return fmt.quantity(Decimal(value))


def _order(order, fmt: Formatter, lines) -> Record:
    money = lambda amount: fmt.money(amount, order.currency)  # noqa: E731
    return Record(
        order.number,
        number=order.number,
        customer_reference=order.customer_reference,
        currency=order.currency,
        status=order.status,
        status_label=str(order.get_status_display()),
        order_date=order.order_date,
        requested_date=order.requested_date,
        valid_until=order.valid_until,
        net_total=order.net_total,
        tax_total=order.tax_total,
        gross_total=order.gross_total,
        total=money(order.gross_total),
        lines=[
            {
                "position": line.position,
                "kind": line.kind,
                "sku": line.product.sku if line.product else "",
                "product": line.product.name if line.product else "",
                "description": line.description,
                "quantity": _quantity(fmt, line.quantity),
                "unit": line.unit.label(fmt.language) if line.unit else "",
                "unit_price": money(line.unit_price),
                "discount_percent": fmt.percent(Decimal(line.discount_percent)),
                "net": money(line.net),
                "total": money(line.gross),
            }
            for line in lines
        ],
    )


def _order_lines(order):
    return order.lines.select_related("product", "unit").order_by("position")


def _shipment(shipment, fmt: Formatter) -> Record:
    return Record(
        shipment.number,
        number=shipment.number,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        dispatched_on=fmt.date(shipment.dispatched_at),
        lines=[
            {
                "sku": line.product.sku if line.product else "",
                "product": line.product.name if line.product else "",
                "description": line.description,
                "quantity": _quantity(fmt, line.quantity),
            }
            for line in shipment.lines.select_related("product").order_by("pk")
        ],
    )


def _invoice(invoice, fmt: Formatter) -> Record:
    money = lambda amount: fmt.money(amount, invoice.currency)  # noqa: E731
    return Record(
        str(invoice),
        number=invoice.number,
        issue_date=fmt.date(invoice.issue_date),
        due_date=fmt.date(invoice.due_date),
        currency=invoice.currency,
        total=money(invoice.gross_total),
        amount_due=money(invoice.gross_total - invoice.amount_paid - invoice.amount_credited),
    )


def _payment(payment, fmt: Formatter) -> Record:
    return Record(
        payment.number,
        number=payment.number,
        reference=payment.reference,
        method=str(payment.get_method_display()),
        received_on=fmt.date(payment.received_on),
        currency=payment.currency,
        total=fmt.money(payment.amount, payment.currency),
    )


def _case(case, fmt: Formatter) -> Record:
    return Record(
        case.number,
        number=case.number,
        subject=case.subject,
        status=case.status,
        status_label=str(case.get_status_display()),
        type_label=str(case.get_case_type_display()),
        priority_label=str(case.get_priority_display()),
        resolution=case.resolution,
        first_response_due=fmt.moment(case.first_response_due) if case.first_response_due else "",
        resolution_due=fmt.moment(case.resolution_due) if case.resolution_due else "",
        assignee=str(case.assignee) if case.assignee else "",
    )


CASE_KINDS = frozenset(
    {
        EmailKind.CASE_RECEIVED,
        EmailKind.CASE_REPLY,
        EmailKind.CASE_RESOLVED,
        EmailKind.CASE_ESCALATION,
    }
)


def _rma(rma, fmt: Formatter, documents: list[str]) -> Record:
    from ordercrm.returns.models import ReturnAuthorizationLine

    lines = (
        ReturnAuthorizationLine.objects.for_company(rma.company_id)
        .filter(rma=rma)
        .select_related("product")
        .order_by("position")
    )
    return Record(
        rma.number,
        number=rma.number,
        status_label=str(rma.get_status_display()),
        return_instructions=rma.return_instructions,
        documents=", ".join(documents),
        lines=[
            {
                "position": line.position,
                "sku": line.product.sku if line.product else "",
                "description": line.description,
                "quantity": _quantity(fmt, line.quantity),
                "decision": str(line.get_decision_display()),
            }
            for line in lines
        ],
    )


RMA_EMAILS = frozenset(
    {
        EmailKind.RMA_APPROVED,
        EmailKind.RMA_RECEIVED,
        EmailKind.RMA_REFUNDED,
        EmailKind.RMA_REPLACED,
    }
)


def _case_context(context: dict, delivery: Delivery, event: Event, fmt: Formatter) -> None:
    from ordercrm.service.models import Case, CaseComment

    case = (
        Case.objects.for_company(event.company_id)
        .select_related("customer", "contact", "order", "assignee")
        .get(pk=event.entity_id)
    )
    context["case"] = _case(case, fmt)
    context["customer"] = _customer(case.customer)
    context["contact"] = _contact(case.contact)
    context["order"] = Record(
        case.order.number if case.order else "",
        number=case.order.number if case.order else "",
    )
    if delivery.kind == EmailKind.CASE_REPLY:
        comment = (
            CaseComment.objects.for_company(event.company_id)
            .filter(pk=event.payload.get("comment_id"))
            .first()
        )
        context["reply"] = comment.body if comment else ""


def _context(delivery: Delivery, event: Event) -> tuple[dict, list[tuple[str, bytes, str]]]:
    """The plain template context (see ``templating.FIELDS``) and attachments of one email."""
    from ordercrm.billing.models import Invoice, Payment
    from ordercrm.billing.selectors import render_invoice_pdf
    from ordercrm.fulfilment.models import Shipment
    from ordercrm.sales.documents import render_order_pdf
    from ordercrm.sales.models import SalesOrder

    fmt = Formatter(delivery.language)
    company = event.company
    context: dict = {"company": _company(company)}
    attachments = []

    def add_order(order):
        context["order"] = _order(order, fmt, _order_lines(order))
        context["customer"] = _customer(order.customer)
        context["contact"] = _contact(order.contact)

    if delivery.kind in CASE_KINDS:
        _case_context(context, delivery, event, fmt)
    elif delivery.kind == EmailKind.ORDER_CONFIRMATION:
        order = (
            SalesOrder.objects.for_company(company)
            .select_related("customer", "contact")
            .get(pk=event.entity_id)
        )
        add_order(order)
        context["total"] = fmt.money(order.gross_total, order.currency)
        attachments.append(
            (f"{order.number}.pdf", render_order_pdf(order, delivery.language), "application/pdf")
        )
    elif delivery.kind == EmailKind.QUOTATION_EXPIRED:
        order = (
            SalesOrder.objects.for_company(company)
            .select_related("customer", "contact")
            .get(pk=event.entity_id)
        )
        add_order(order)
        context["total"] = fmt.money(order.gross_total, order.currency)
        context["valid_until"] = fmt.date(order.valid_until)
    elif delivery.kind == EmailKind.SHIPPING_NOTICE:
        shipment = (
            Shipment.objects.for_company(company)
            .select_related("order__customer", "order__contact")
            .get(pk=event.entity_id)
        )
        add_order(shipment.order)
        context["shipment"] = _shipment(shipment, fmt)
    elif delivery.kind == EmailKind.INVOICE:
        invoice = (
            Invoice.objects.for_company(company)
            .select_related("order__contact", "customer")
            .get(pk=event.entity_id)
        )
        add_order(invoice.order)
        context["customer"] = _customer(invoice.customer)
        context["invoice"] = _invoice(invoice, fmt)
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
        context["customer"] = _customer(payment.customer)
        context["payment"] = _payment(payment, fmt)
        context["total"] = fmt.money(payment.amount, payment.currency)
        context["received_on"] = fmt.date(payment.received_on)
    elif delivery.kind in RMA_EMAILS:
        from ordercrm.returns.models import ReturnAuthorization

        rma = (
            ReturnAuthorization.objects.for_company(company)
            .select_related("order__customer", "order__contact")
            .get(pk=event.entity_id)
        )
        add_order(rma.order)
        payload = event.payload or {}
        # a refund is credit notes and / or refunds of the order's advance (RF-)
        documents = [*(payload.get("credit_notes") or []), *(payload.get("advance_refunds") or [])]
        documents = documents or [payload.get("shipment") or ""]
        context["rma"] = _rma(rma, fmt, [d for d in documents if d])
        if payload.get("gross_total") is not None:
            total = Decimal(str(payload["gross_total"]))
            total += Decimal(str(payload.get("advance_refunded") or 0))
            context["total"] = fmt.money(total, payload.get("currency") or rma.order.currency)
    return context, attachments


def render_email(delivery: Delivery, event: Event) -> tuple[str, str, list]:
    """Subject, body and attachments, in the delivery's (the customer's) language, from the
    company's template for that language or the built-in wording, rendered in the sandbox
    (``templating``) over a plain context."""
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
        subject = templating.render(subject_source, context).strip()
        body = templating.render(body_source, context)
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
