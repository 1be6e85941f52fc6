"""Dashboard, products and stock, shipments and billing pages through Django's test client:
each page renders for the roles that may use it and is refused (403) or hidden (404) for the
rest, forms call their service with errors inline, and list pages keep a bounded number of
queries however many rows there are."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ordercrm.billing.models import Invoice, Payment
from ordercrm.core.models import Event
from ordercrm.inventory.models import StockLevel, StockMove, Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.workflow import Status

PAGES = [
    "home",
    "price_lists",
    "stock_levels",
    "stock_moves",
    "shipment_list",
    "shipment_queue",
    "invoice_list",
    "payment_list",
    "payment_new",
    "aging",
]
# Who gets 403 on which page (everyone else gets 200).
REFUSED = {
    "stock_levels": {"finance"},
    "stock_moves": {"finance"},
    "shipment_queue": {"rep", "manager", "finance", "viewer"},
    "payment_new": {"rep", "manager", "warehouse", "viewer"},
}


@pytest.fixture
def confirmed(company, rep, customer, stocked):
    """A confirmed order of two lines, 4 and 2 units."""
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 4}, {"product": stocked[1], "quantity": 2}],
    )
    return sales.order_submit(order=order, actor=rep)


@pytest.fixture
def users(admin, rep, staff):
    return {"admin": admin, "rep": rep, **staff}


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "finance", "warehouse", "viewer"])
def test_every_page_answers_each_role_as_its_permissions_say(client, users, confirmed, role):
    client.force_login(users[role])
    for name in PAGES:
        expected = 403 if role in REFUSED.get(name, set()) else 200
        assert client.get(reverse(name)).status_code == expected, (name, role)
    for kind in ("receipt", "adjustment"):
        expected = 200 if role in ("admin", "warehouse") else 403
        assert client.get(reverse("stock_entry", args=[kind])).status_code == expected


def test_dashboard_shows_the_month_the_queue_and_the_chart(client, users, confirmed):
    client.force_login(users["warehouse"])
    page = client.get(reverse("home")).content.decode()
    assert confirmed.number in page  # to ship
    assert "<svg" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # no CDN script
    client.force_login(users["rep"])
    response = client.get(reverse("home"))
    this_month = response.context["this_month"]
    assert this_month.orders == 1
    assert this_month.revenue == confirmed.company_gross_total
    assert confirmed.number in response.content.decode()  # my open orders


def test_dashboard_in_chinese(client, users, confirmed):
    users["rep"].language = "zh-hans"
    users["rep"].save()
    client.force_login(users["rep"])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "本月" in page


def test_receipts_and_adjustments_from_pasted_lines(client, company, users, stocked):
    client.force_login(users["warehouse"])
    main = Warehouse.objects.for_company(company).get(code="main")
    response = client.post(
        reverse("stock_entry", args=["receipt"]),
        {"warehouse": main.pk, "lines": "P0\t5\nP1, 3\n", "note": "PO-9"},
    )
    assert response.status_code == 302
    level = StockLevel.objects.for_company(company).get(product=stocked[0], warehouse=main)
    assert level.on_hand == Decimal(105)
    moves = StockMove.objects.for_company(company).count()
    # bad lines: nothing booked, the error names the line
    response = client.post(
        reverse("stock_entry", args=["adjustment"]),
        {"warehouse": main.pk, "lines": "P0 -1\nP1", "note": "damaged"},
    )
    assert response.status_code == 422
    assert "2" in " ".join(response.context["errors"])
    response = client.post(
        reverse("stock_entry", args=["adjustment"]),
        {"warehouse": main.pk, "lines": "NOPE -1", "note": "damaged"},
    )
    assert response.status_code == 422
    assert StockMove.objects.for_company(company).count() == moves
    response = client.post(
        reverse("stock_entry", args=["adjustment"]),
        {"warehouse": main.pk, "lines": "P0 -1", "note": "damaged"},
    )
    assert response.status_code == 302
    ledger = client.get(reverse("stock_moves"), {"warehouse": main.pk}).content.decode()
    assert "damaged" in ledger


def test_shipment_pages_tracking_dispatch_and_delivery_note(client, company, users, confirmed):
    from ordercrm.fulfilment.services import shipment_create

    shipment = shipment_create(order=confirmed, actor=users["warehouse"])
    client.force_login(users["warehouse"])
    assert shipment.number in client.get(reverse("shipment_list")).content.decode()
    url = reverse("shipment_action", args=[shipment.pk, "track"])
    client.post(url, {"carrier": "SF Express", "tracking_number": "SF42"})
    shipment.refresh_from_db()
    assert shipment.tracking_number == "SF42"
    client.post(reverse("shipment_action", args=[shipment.pk, "dispatch"]), {})
    shipment.refresh_from_db()
    assert shipment.status == "dispatched"
    # dispatching twice is harmless; cancelling a dispatched one is an inline error
    response = client.post(reverse("shipment_action", args=[shipment.pk, "cancel"]), {})
    assert response.status_code == 409
    pdf = client.get(reverse("delivery_note", args=[shipment.pk]))
    assert pdf.content[:5] == b"%PDF-"
    # a rep of another team does not see it
    from ordercrm.accounts.roles import Role

    other = users["viewer"].__class__.objects.create_user(username="other")
    from ordercrm.accounts.services import membership_set

    membership_set(user=other, company=company, role=Role.SALES_REP)
    client.force_login(other)
    assert client.get(reverse("shipment_detail", args=[shipment.pk])).status_code == 404


def test_billing_pages_credit_note_payment_and_aging(client, company, users, confirmed):
    from ordercrm.billing.services import invoice_create
    from ordercrm.fulfilment.services import shipment_create

    shipment_create(order=confirmed, actor=users["warehouse"], dispatch=True)
    invoice = Invoice.objects.for_company(company).filter(
        order=confirmed, kind="invoice"
    ).first() or invoice_create(order=confirmed, actor=users["finance"], issue=True)
    client.force_login(users["finance"])
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert invoice.number in page
    assert client.get(reverse("invoice_pdf", args=[invoice.pk])).content[:5] == b"%PDF-"
    first_line = invoice.lines.order_by("pk").first()
    response = client.post(
        reverse("invoice_action", args=[invoice.pk, "credit"]),
        {f"credit_{first_line.pk}": "1", "reason": "damaged"},
    )
    assert response.status_code == 302
    note = Invoice.objects.for_company(company).get(kind="credit_note")
    assert note.credited_invoice_id == invoice.pk
    # over-crediting is refused inline and creates nothing
    response = client.post(
        reverse("invoice_action", args=[invoice.pk, "credit"]), {f"credit_{first_line.pk}": "999"}
    )
    assert response.status_code == 409
    assert Invoice.objects.for_company(company).filter(kind="credit_note").count() == 1
    invoice.refresh_from_db()
    response = client.post(
        reverse("invoice_action", args=[invoice.pk, "pay"]),
        {"amount": "5.00", "method": "alipay", "reference": "ALI-1"},
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("5.00")
    # a payment by customer code applies to the open invoice automatically
    response = client.post(
        reverse("payment_new"),
        {
            "customer": confirmed.customer.code,
            "amount": "3.00",
            "currency": confirmed.currency,
            "method": "bank_transfer",
            "reference": "BANK-1",
        },
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("8.00")
    response = client.post(
        reverse("payment_new"),
        {"customer": "nobody-here", "amount": "3.00", "currency": "CNY", "method": "cash"},
    )
    assert response.status_code == 422
    assert Payment.objects.for_company(company).count() == 2
    aging = client.get(reverse("aging"))
    assert confirmed.customer.name in aging.content.decode()


def test_order_page_amendment_shows_the_diff_and_email_goes_to_the_outbox(
    client, company, users, confirmed
):
    client.force_login(users["rep"])
    lines = list(confirmed.lines.order_by("position"))
    response = client.post(
        reverse("order_action", args=[confirmed.pk, "amend"]),
        {
            "version": confirmed.version,
            f"amend_quantity_{lines[0].pk}": "6",
            f"amend_unit_price_{lines[0].pk}": str(lines[0].unit_price),
            "reason": "customer added two",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("order_detail", args=[confirmed.pk])).content.decode()
    assert "Revision 1" in page
    assert "customer added two" in page
    assert "4 → 6" in page.replace(".0000", "")
    assert "Amended" in page  # translated timeline title, not "order.amended"
    # nothing changed: an inline message, no new revision
    response = client.post(
        reverse("order_action", args=[confirmed.pk, "amend"]), {"reason": "again"}
    )
    assert response.status_code == 409
    # no address on file: refused inline; with one, the email goes to the outbox
    response = client.post(reverse("order_action", args=[confirmed.pk, "email"]), {})
    assert response.status_code == 409
    assert "email address" in response.content.decode()
    from ordercrm.customers.models import Customer

    Customer.objects.for_company(company).filter(pk=confirmed.customer_id).update(
        email="buyer@mingda.example"
    )
    response = client.post(reverse("order_action", args=[confirmed.pk, "email"]), {})
    assert response.status_code == 302
    sent = Event.objects.for_company(company).get(type="order.sent")
    assert sent.payload["to"] == "buyer@mingda.example"
    from ordercrm.notifications.routing import customer_email

    assert customer_email(sent).kind == "order_confirmation"


def test_email_needs_an_address_and_a_confirmed_order(client, company, users, customer, stocked):
    draft = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    client.force_login(users["rep"])
    response = client.post(reverse("order_action", args=[draft.pk, "email"]), {})
    assert response.status_code == 409
    assert not Event.objects.for_company(company).filter(type="order.sent").exists()
    assert draft.status == Status.DRAFT


@pytest.mark.parametrize(
    "name", ["shipment_list", "invoice_list", "payment_list", "stock_moves", "stock_levels"]
)
def test_list_pages_keep_a_bounded_query_count(client, company, users, stocked, customer, name):
    from ordercrm.billing.services import payment_record
    from ordercrm.fulfilment.services import shipment_create

    def add_rows():
        order = sales.order_create(
            company=company,
            actor=users["rep"],
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 1}],
        )
        order = sales.order_submit(order=order, actor=users["rep"])
        shipment_create(order=order, actor=users["warehouse"], dispatch=True)
        payment_record(
            company=company,
            actor=users["finance"],
            customer=customer,
            amount="1.00",
            currency=order.currency,
            method="cash",
            order=order,
        )

    add_rows()
    client.force_login(users["admin"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    for _ in range(6):
        add_rows()
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name)).status_code == 200
    assert len(many) == len(few), name


def test_aging_pages_through_customers_under_the_totals_of_all(
    client, company, users, rep, stocked, make_customer, monkeypatch
):
    """Customers by name, a page at a time; the totals are over every customer on every
    page; the queries do not grow with the number of open invoices."""
    from ordercrm.billing.services import invoice_create
    from ordercrm.web import billing as billing_pages
    from ordercrm.web.templatetags.web_extras import amount

    monkeypatch.setattr(billing_pages, "PAGE_SIZE", 2)
    names = ["Alpha Trading", "Beta Foods", "Gamma Tools"]
    grand = Decimal(0)
    for index, name in enumerate(names):
        buyer = make_customer(company, actor=rep, name=name)
        for _ in range(index + 1):  # 1, 2 and 3 open invoices
            order = sales.order_create(
                company=company,
                actor=rep,
                customer=buyer,
                lines=[{"product": stocked[0], "quantity": 1}],
                invoicing_policy="manual",
            )
            order = sales.order_submit(order=order, actor=rep)
            invoice = invoice_create(order=order, actor=users["finance"], issue=True)
            grand += invoice.gross_total
    client.force_login(users["finance"])
    first = client.get(reverse("aging")).content.decode()
    with CaptureQueriesContext(connection) as second_page:
        second = client.get(reverse("aging"), {"page": 2}).content.decode()
    assert names[0] in first
    assert names[1] in first
    assert names[2] not in first
    assert names[2] in second
    assert names[0] not in second
    assert "Page 2 of 2" in second
    total = amount(grand, company.base_currency)
    assert total in first
    assert total in second
    assert len(second_page) <= 12
