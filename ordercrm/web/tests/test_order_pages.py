"""Order pages through Django's test client: every page, the flow, errors inline, scope,
bounded queries."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ordercrm.accounts.roles import Role
from ordercrm.sales import services as sales
from ordercrm.sales.models import RuleKind, SalesOrder
from ordercrm.sales.workflow import Status
from tests.factories import counters_written_by_hand


def test_entry_adds_deletes_lines_shows_totals_and_saves(client, rep, customer, stocked):
    client.force_login(rep)
    url = reverse("order_new")
    assert client.get(url).status_code == 200
    form = {
        "customer": str(customer.pk),
        "sku": ["P0", "P1", ""],
        "quantity": ["2", "1", ""],
        "discount": ["0", "0", "0"],
    }
    response = client.post(url, {**form, "action": "add"})
    assert response.content.decode().count('name="sku"') == 4
    response = client.post(url, {**form, "action": "delete:1"})
    assert response.content.decode().count('name="sku"') == 2
    response = client.post(url, {**form, "action": "preview"})
    assert "35.03" in response.content.decode()  # 2 × 10 + 11 = 31.00 + 13 % VAT
    response = client.post(url, {**form, "action": "save"})
    order = SalesOrder.objects.for_company(customer.company_id).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order_detail", args=[order.pk])
    assert order.gross_total == Decimal("35.03")


def test_entry_errors_are_inline_and_save_nothing(client, rep, customer, stocked):
    client.force_login(rep)
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["NOPE"],
            "quantity": ["1"],
            "discount": ["0"],
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert "Unknown product" in response.content.decode() or "product" in response.content.decode()
    assert not SalesOrder.objects.for_company(customer.company_id).exists()


def test_the_flow_on_the_order_page(client, company, admin, rep, customer, staff, stocked):
    sales.approval_rule_create(
        company=company, actor=admin, name="all", kind=RuleKind.ORDER_TOTAL, threshold=1
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 4}, {"product": stocked[1], "quantity": 2}],
    )
    client.force_login(rep)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-action="submit"' in page
    assert 'data-action="approve"' not in page
    client.post(reverse("order_action", args=[order.pk, "submit"]), {"version": order.version})
    order.refresh_from_db()
    assert order.status == Status.PENDING_APPROVAL
    client.force_login(staff["manager"])
    assert order.number in client.get(reverse("approvals")).content.decode()
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-action="approve"' in page
    client.post(
        reverse("order_action", args=[order.pk, "approve"]),
        {"version": order.version, "comment": "fine"},
    )
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    client.force_login(staff["warehouse"])
    first = order.lines.order_by("position").first()
    client.post(
        reverse("order_ship", args=[order.pk]),
        {f"ship_{first.pk}": "3", "carrier": "SF", "tracking_number": "SF1"},
    )
    client.force_login(staff["finance"])
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Partially shipped" in page
    assert "INV-" in page  # on-shipment invoice issued automatically
    client.post(
        reverse("order_payment", args=[order.pk]),
        {"amount": "10.00", "method": "alipay", "reference": "A1"},
    )
    order.refresh_from_db()
    assert order.amount_paid == Decimal("10.00")


def test_a_stale_action_is_refused_inline(client, rep, customer, stocked):
    order = sales.order_create(
        company=customer.company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    client.force_login(rep)
    response = client.post(
        reverse("order_action", args=[order.pk, "submit"]), {"version": order.version + 5}
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()


def test_scope_and_permissions(client, company, rep, customer, make_user, staff, stocked):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    other = make_user(Role.SALES_REP, company, username="other")
    client.force_login(other)
    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 404
    assert order.number not in client.get(reverse("order_list")).content.decode()
    client.force_login(staff["viewer"])
    assert client.get(reverse("order_new")).status_code == 403
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "data-action" not in page


def test_list_filters_export_and_bounded_queries(client, company, rep, customer, stocked):
    for _ in range(3):
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 1}],
        )
    client.force_login(rep)
    assert client.get(reverse("order_list"), {"status": "draft"}).status_code == 200
    csv = client.get(reverse("order_export", args=["csv"]))
    assert b"".join(csv.streaming_content).decode("utf-8-sig").count("SO-") == 3
    xlsx = client.get(reverse("order_export", args=["xlsx"]))
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("order_list"))
    for _ in range(20):
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 1}],
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("order_list"))
    assert len(many) == len(few)


def test_progress_filters_dates_and_saved_filters(client, company, rep, customer, stocked):
    first = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    second = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[1], "quantity": 1}],
    )
    SalesOrder.all_objects.filter(pk=first.pk).update(amount_paid=first.gross_total)
    counters_written_by_hand(first)
    client.force_login(rep)
    page = client.get(reverse("order_list"), {"payment": "paid"}).content.decode()
    assert first.number in page
    assert second.number not in page
    # keep it under a name; it is listed and opens the same list
    response = client.post(
        reverse("saved_filter"), {"name": "Paid", "query": "payment=paid&page=3"}
    )
    assert response.status_code == 302
    page = client.get(reverse("order_list")).content.decode()
    assert 'href="/orders/?payment=paid"' in page
    # bad input is an inline, translated error, not a crash
    response = client.get(reverse("order_list"), {"from": "2026-13-45"})
    assert response.status_code == 422
    assert "Enter a valid date." in response.content.decode()
    response = client.get(reverse("order_list"), {"invoicing": "free"})
    assert response.status_code == 422
    # the filter is private: another user cannot delete it
    from ordercrm.accounts.models import SavedFilter

    saved = SavedFilter.all_objects.get()
    other = make_other_rep(company)
    client.force_login(other)
    assert client.post(reverse("saved_filter"), {"delete": saved.pk}).status_code == 404
    client.force_login(rep)
    client.post(reverse("saved_filter"), {"delete": saved.pk, "query": ""})
    assert not SavedFilter.all_objects.exists()


def make_other_rep(company):
    from ordercrm.accounts.services import user_create

    return user_create(
        username="rep9", password="x", company=company, role=Role.SALES_REP, check_password=False
    )


def test_tokens_page_and_notifications(client, rep):
    client.force_login(rep)
    response = client.post(reverse("tokens"), {"name": "ERP"})
    assert "ocrm_" in response.content.decode()
    assert client.get(reverse("notifications")).status_code == 200


def test_customer_360(client, company, rep, customer, staff, stocked):
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 3}],
        ),
        actor=rep,
    )
    client.force_login(staff["finance"])
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert order.number in page  # open orders
    assert "P0" in page  # top products
    assert 'id="exposure"' in page
    assert "33.90" in page
    client.force_login(staff["viewer"])
    assert client.get(reverse("customer_detail", args=[customer.pk])).status_code == 200


def test_entry_from_pasted_lines_a_template_and_reorder(client, company, rep, customer, stocked):
    from ordercrm.sales.models import OrderTemplate

    client.force_login(rep)
    response = client.post(
        reverse("order_new"),
        {
            "customer": customer.pk,
            "sku": ["", ""],
            "quantity": ["", ""],
            "discount": ["0", "0"],
            "pasted": "P0\t3\nP1, 2",
            "action": "paste",
        },
    )
    assert response.status_code == 200
    assert [(line["sku"], line["quantity"]) for line in response.context["lines"]] == [
        ("P0", "3"),
        ("P1", "2"),
    ]
    assert response.context["preview"] is not None
    response = client.post(
        reverse("order_new"),
        {"customer": customer.pk, "pasted": "P0 3 extra", "action": "paste"},
    )
    assert "1" in " ".join(response.context["errors"])
    template = OrderTemplate.objects.for_company(company).create(
        company=company, name="Weekly", lines=[{"product_id": str(stocked[2].pk), "quantity": "5"}]
    )
    response = client.get(reverse("order_new"), {"template": template.pk})
    assert [(line["sku"], line["quantity"]) for line in response.context["lines"]] == [("P2", "5")]
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 2}],
    )
    response = client.post(reverse("order_action", args=[order.pk, "reorder"]), {})
    assert response.status_code == 302
    copy = SalesOrder.objects.for_company(company).exclude(pk=order.pk).get()
    assert copy.status == Status.DRAFT
    assert copy.customer_id == order.customer_id


def test_entry_shows_each_priced_line_with_its_available_stock(client, rep, customer, stocked):
    client.force_login(rep)
    response = client.get(reverse("order_new"))
    assert "Available 100" in response.content.decode()  # in the SKU suggestions
    response = client.post(
        reverse("order_new"),
        {
            "customer": customer.pk,
            "sku": ["P0", "P1"],
            "quantity": ["3", "200"],
            "discount": ["0", "0"],
            "action": "preview",
        },
    )
    rows = [(line.product.sku, stock.free) for line, stock in response.context["preview_rows"]]
    assert rows == [("P0", 100), ("P1", 100)]
    page = response.content.decode()
    assert 'class="low"' in page  # 200 wanted, 100 available: marked
    assert 'id="free-stock-warning"' in page  # and the order warns, naming the line


def test_entry_customer_search_narrows_the_choices_and_keeps_the_chosen_one(
    client, company, rep, customer, make_customer
):
    other = make_customer(company, actor=rep, name="Hangzhou Tea House")
    client.force_login(rep)
    url = reverse("order_customer_options")
    page = client.get(url, {"customer_q": "Hangzhou"}).content.decode()
    assert "Hangzhou Tea House" in page
    assert "Shanghai Mingda" not in page
    page = client.get(url, {"customer_q": "Hangzhou", "customer": customer.pk}).content.decode()
    assert "Shanghai Mingda" in page  # the chosen one stays, selected
    assert f'value="{customer.pk}" selected' in page
    assert str(other.pk) in page
