"""Company email templates render in a sandbox over a plain context: no attribute path reaches
a password hash, an API token, the settings or a model manager; the documented fields render
as the model attributes they replace did."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.utils import translation

from ordercrm.accounts.tokens import token_create
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.notifications import sending, services
from ordercrm.notifications.models import Channel, Delivery, EmailKind, EmailTemplate
from ordercrm.sales import services as sales

# Paths a hostile (or careless) template author might try; each must render as nothing.
PROBES = [
    "order.salesperson.password",
    "order.salesperson.email",
    "order.salesperson.username",
    "order.submitted_by.password",
    "order.company.memberships.all",
    "order.customer.owner.password",
    "order.customer.credit_limit",
    "order.customer.receivable_balance",
    "order.lines.all",
    "order.objects",
    "order.pk",
    "order.notes",
    "customer.owner.password",
    "customer.owner.auth_token",
    "customer.owner.api_tokens.all",
    "customer.contacts.all",
    "customer.objects.all",
    "customer.credit_limit",
    "customer.delete",
    "company.memberships.all",
    "company.objects.all",
    "company.tax_id",
    "shipment.order.salesperson.password",
    "shipment.created_by.password",
    "invoice.issued_by.password",
    "invoice.order.salesperson.password",
    "payment.customer.owner.password",
    "payment.recorded_by.password",
    "settings.SECRET_KEY",
    "SECRET_KEY",
    "user.password",
    "request.user.password",
    "perms",
    "event.actor.password",
    "delivery.webhook.secret",
    "line.product.unit_cost",
]
PROBE_SOURCE = "|".join(f"{{{{ {path} }}}}" for path in PROBES)


@pytest.fixture
def confirmed(company, rep, customer, stocked, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer.email = "buyer@mingda.example"
    customer.language = "en"
    customer.save()
    rep.email = "rep@acme.example"
    rep.save()
    token_create(user=rep)
    token_create(user=customer.owner)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        customer_reference="PO-77",
        lines=[{"product": stocked[0], "quantity": 2}],
    )
    return sales.order_submit(order=order, actor=rep)


def delivery_for(company, kind, type_, entity_id):
    event = Event.objects.for_company(company).get(type=type_, entity_id=str(entity_id))
    delivery = Delivery(
        company=company,
        event=event,
        channel=Channel.EMAIL,
        kind=kind,
        recipient="buyer@mingda.example",
        language="en",
    )
    return delivery, event


def documents(company, confirmed, keeper, finance):
    """One delivery of each kind of email for the confirmed order."""
    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice

    shipment = fulfilment.shipment_create(
        order=confirmed, actor=keeper, carrier="SF", tracking_number="SF1", dispatch=True
    )
    invoice = Invoice.objects.for_company(company).filter(order=confirmed).first()
    if invoice is None:  # the company's policy did not bill at dispatch
        invoice = billing.invoice_create(order=confirmed, actor=finance, issue=True)
    if invoice.status == "draft":
        invoice = billing.invoice_issue(invoice=invoice, actor=finance)
    payment = billing.payment_record(
        company=company,
        actor=finance,
        customer=confirmed.customer,
        amount=invoice.gross_total,
        currency="CNY",
        method="bank_transfer",
        reference="BANK-1",
        allocations=[{"invoice": invoice, "amount": invoice.gross_total}],
    )
    return {
        EmailKind.ORDER_CONFIRMATION: ("order.confirmed", confirmed.pk),
        EmailKind.SHIPPING_NOTICE: ("shipment.dispatched", shipment.pk),
        EmailKind.INVOICE: ("invoice.issued", invoice.pk),
        EmailKind.PAYMENT_RECEIPT: ("payment.received", payment.pk),
    }


def test_no_path_reaches_secrets_tokens_settings_or_managers(
    company, admin, confirmed, keeper, finance
):
    secrets = {
        confirmed.salesperson.password,
        confirmed.customer.owner.password,
        confirmed.salesperson.email,
        django_settings.SECRET_KEY,
    }
    secrets |= {t.digest for t in confirmed.salesperson.api_tokens.all()}
    secrets.discard("")
    for kind, (type_, entity_id) in documents(company, confirmed, keeper, finance).items():
        EmailTemplate.objects.update_or_create(  # stored as is, as an old row could be
            company=company,
            kind=kind,
            language="en",
            defaults={"subject": "probe", "body": PROBE_SOURCE},
        )
        _subject, body, _attachments = sending.render_email(
            *delivery_for(company, kind, type_, entity_id)
        )
        assert body == "|" * (len(PROBES) - 1), (kind, body)
        for secret in secrets:
            assert secret not in body


@pytest.mark.parametrize(
    "source",
    [
        "{{ order.company.__class__ }}",
        "{{ customer.__dict__ }}",
        "{{ order._state.db }}",
        "{% load static %}{% static 'x' %}",
        "{% load log %}",
        "{% debug %}",
        '{% include "web/base.html" %}',
        '{% extends "web/base.html" %}',
        "{% url 'order_list' %}",
        "{% csrf_token %}",
        "{{ order|pprint }}",
    ],
)
def test_a_template_that_escapes_the_sandbox_is_refused(company, admin, source):
    with pytest.raises(ValidationFailed) as raised:
        services.email_template_set(
            company=company,
            actor=admin,
            kind=EmailKind.ORDER_CONFIRMATION,
            language="en",
            subject="Order {{ order.number }}",
            body=source,
        )
    assert raised.value.code == "core.validation_failed"
    assert "body" in raised.value.details["fields"]
    assert not EmailTemplate.objects.for_company(company).exists()


# Fields templates used when they saw model instances; they must render the same now.
COMPATIBLE = (
    "{{ order }}|{{ order.number }}|{{ order.customer_reference }}|{{ order.currency }}|"
    "{{ order.status }}|{{ order.order_date }}|{{ order.order_date|date:'Y-m-d' }}|"
    "{{ order.requested_date|default:'-' }}|{{ order.gross_total }}|{{ order.net_total }}|"
    "{{ order.tax_total|floatformat:2 }}|{{ customer }}|{{ customer.name }}|{{ customer.code }}|"
    "{{ customer.email }}|{{ company }}|{{ company.name }}|{{ company.email }}|{{ total }}|"
    "{% if order.gross_total > 10 %}big{% endif %}|{{ customer.name|upper }}"
)


def test_the_fields_templates_used_render_as_before(company, confirmed):
    delivery, event = delivery_for(
        company, EmailKind.ORDER_CONFIRMATION, "order.confirmed", confirmed.pk
    )
    EmailTemplate.objects.create(
        company=company,
        kind=EmailKind.ORDER_CONFIRMATION,
        language="en",
        subject="Order {{ order.number }} for {{ customer.name }}",
        body=COMPATIBLE,
    )
    subject, body, _attachments = sending.render_email(delivery, event)
    from ordercrm.core.documents import Formatter

    order = confirmed
    old_context = {
        "company": company,
        "order": order,
        "customer": order.customer,
        "total": Formatter("en").money(order.gross_total, order.currency),
    }
    with translation.override("en"):
        old = Template(COMPATIBLE).render(Context(old_context, autoescape=False))
    assert body == old
    assert subject == f"Order {order.number} for {order.customer.name}"
    assert "big" in body


def test_lines_and_documented_fields(company, confirmed, stocked):
    delivery, event = delivery_for(
        company, EmailKind.ORDER_CONFIRMATION, "order.confirmed", confirmed.pk
    )
    EmailTemplate.objects.create(
        company=company,
        kind=EmailKind.ORDER_CONFIRMATION,
        language="en",
        subject="{{ order.number }}",
        body=(
            "{% for line in order.lines %}{{ line.position }}. {{ line.sku }} {{ line.product }}"
            " × {{ line.quantity }} @ {{ line.unit_price }} = {{ line.total }}\n{% endfor %}"
            "{{ order.total }} {{ order.status_label }} {{ contact.name }}"
        ),
    )
    _subject, body, _attachments = sending.render_email(delivery, event)
    line = confirmed.lines.get()
    assert f"1. {stocked[0].sku} {stocked[0].name} × 2 @ CN¥" in body
    assert body.rstrip().endswith("Confirmed Li Lei")
    assert f"= CN¥{line.gross:,.2f}" in body


def test_the_built_in_emails_render_unchanged(company, confirmed, keeper, finance):
    kinds = documents(company, confirmed, keeper, finance)
    rendered = {
        kind: sending.render_email(*delivery_for(company, kind, type_, entity_id))[:2]
        for kind, (type_, entity_id) in kinds.items()
    }
    subject, body = rendered[EmailKind.ORDER_CONFIRMATION]
    assert subject == f"Order confirmation {confirmed.number}"
    assert body.startswith(f"Dear {confirmed.customer.name},\n\nThank you for your order")
    assert body.endswith(f"Kind regards,\n{company.name}")
    subject, body = rendered[EmailKind.SHIPPING_NOTICE]
    assert "Carrier: SF\nTracking number: SF1" in body
    subject, body = rendered[EmailKind.PAYMENT_RECEIPT]
    assert "(reference BANK-1)" in body


def test_the_settings_page_documents_the_fields(client, admin):
    from django.urls import reverse

    client.force_login(admin)
    page = client.get(reverse("settings_section", args=["email_templates"])).content.decode()
    for field in ("order.lines[].position", "customer.code / name", "payment.number / reference"):
        assert field in page
