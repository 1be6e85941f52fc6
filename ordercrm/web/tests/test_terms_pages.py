"""Issue #17, terms and money, in the browser's HTML: the billing tolerance setting and the
invoice showing what it bills beyond the order, draft invoice editing, payment terms."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.accounts import services as accounts
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceLine
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine


@pytest.fixture
def order(company, rep, customer, stocked):
    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="manual",
        lines=[{"product": stocked[0], "quantity": 10}, {"product": stocked[1], "quantity": 4}],
    )
    return sales.order_submit(order=draft, actor=rep)


def order_lines(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def test_tolerance_is_a_company_setting_and_shown_on_the_invoice(
    client, company, admin, staff, order
):
    client.force_login(admin)
    page = client.get(reverse("settings_section", args=["company"])).content.decode()
    assert 'name="billing_tolerance"' in page
    accounts.company_update(company=company, actor=admin, billing_tolerance=Decimal("10"))
    first = order_lines(order)[0]
    invoice = billing.invoice_create(
        order=order, actor=staff["finance"], lines=[{"order_line_id": first.pk, "quantity": "11"}]
    )
    client.force_login(staff["finance"])
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert 'class="over-invoiced"' in page
    assert "beyond the order (billing tolerance)" in page


def test_draft_invoice_from_the_order_page_is_edited_before_issue(client, company, staff, order):
    client.force_login(staff["finance"])
    response = client.post(reverse("order_invoice", args=[order.pk]), {"draft": "1"})
    assert response.status_code == 302
    invoice = Invoice.objects.for_company(company).get(order=order)
    assert response["Location"] == reverse("invoice_detail", args=[invoice.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="edit-lines"' in page
    first, second = (
        InvoiceLine.objects.for_company(company).filter(invoice=invoice).order_by("position")
    )
    url = reverse("invoice_action", args=[invoice.pk, "edit"])
    data = {"version": invoice.version, f"qty_{first.pk}": "7", f"qty_{second.pk}": "0"}
    assert client.post(url, data).status_code == 302
    assert [x.qty_invoiced for x in order_lines(order)] == [7, 0]
    # a stale form is refused on the page and changes nothing
    response = client.post(url, {**data, f"qty_{first.pk}": "5"})
    assert response.status_code == 409
    assert [x.qty_invoiced for x in order_lines(order)] == [7, 0]
    # the order page offers the rest again
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="invoice"' in page
    client.post(reverse("invoice_action", args=[invoice.pk, "issue"]))
    client.post(reverse("order_invoice", args=[order.pk]))
    assert [x.qty_invoiced for x in order_lines(order)] == [10, 4]


def test_payment_terms_settings_and_the_schedule_on_order_and_invoice(
    client, company, admin, rep, staff, customer, stocked
):
    from ordercrm.billing.models import Invoice, InvoiceInstalment
    from ordercrm.billing.selectors import render_invoice_pdf
    from ordercrm.customers.models import PaymentTerm

    url = reverse("settings_section", args=["payment_terms"])
    client.force_login(admin)
    assert client.get(url).status_code == 200
    # shares adding up to 90 % are refused on the page; nothing is saved
    data = {
        "name": "30/70",
        "percent_1": "30",
        "base_1": "order",
        "percent_2": "60",
        "days_2": "30",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert "100" in response.content.decode()
    assert not PaymentTerm.objects.for_company(company).filter(name="30/70").exists()
    response = client.post(url, {**data, "percent_2": "70"})
    assert response.status_code == 302
    term = PaymentTerm.objects.for_company(company).get(name="30/70")
    page = client.get(url).content.decode()
    assert "30 % on the order date / 70 % 30 days after the invoice date" in page
    # the edit form shows the instalments and saves a change
    page = client.get(f"{url}?edit={term.pk}").content.decode()
    assert 'name="percent_2" value="70"' in page
    client.force_login(rep)
    assert client.get(url).status_code == 403

    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="on_order",
        payment_terms=term,
        lines=[{"product": stocked[0], "quantity": 10}],
    )
    order = sales.order_submit(order=draft, actor=rep)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="terms-schedule"' in page
    invoice = Invoice.objects.for_company(company).get(order=order)
    client.force_login(staff["finance"])
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="instalments"' in page
    assert "33.90" in page
    assert "79.10" in page
    assert "Overdue" not in page
    # an instalment past due is flagged on the invoice
    first = InvoiceInstalment.objects.for_company(company).filter(invoice=invoice).first()
    InvoiceInstalment.objects.for_company(company).filter(pk=first.pk).update(
        due_date=invoice.issue_date.replace(year=invoice.issue_date.year - 1)
    )
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert 'class="overdue"' in page
    assert render_invoice_pdf(invoice, "zh-hans").startswith(b"%PDF")


def test_the_order_page_shows_the_advance_dispatch_waits_for(
    client, company, admin, rep, staff, customer, stocked
):
    from ordercrm.customers.payment_terms import payment_term_create

    url = reverse("settings_section", args=["payment_terms"])
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert 'name="advance_percent"' in page
    response = client.post(url, {"name": "Advance", "advance_percent": "101", "percent_1": "100"})
    assert response.status_code == 422
    term = payment_term_create(
        company=company,
        actor=admin,
        name="Half ahead",
        advance_percent="50",
        lines=[{"percent": "100"}],
    )
    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        payment_terms=term,
        lines=[{"product": stocked[0], "quantity": 2}],
    )
    order = sales.order_submit(order=draft, actor=rep)
    client.force_login(staff["warehouse"])
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="advance"' in page
    assert "Dispatch waits for" in page


def test_ship_after_payment_is_chosen_per_order_on_the_entry_and_edit_forms(
    client, company, rep, staff, customer, stocked
):
    client.force_login(rep)
    page = client.get(reverse("order_new")).content.decode()
    # the company's policy is the one chosen until the user picks another
    assert '<option value="ship_as_available" selected>' in page
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "shipping_policy": "after_payment",
            "sku": ["P0"],
            "quantity": ["2"],
            "discount": ["0"],
            "action": "save",
        },
    )
    assert response.status_code == 302
    order = SalesOrder.objects.for_company(company).get()
    assert order.shipping_policy == "after_payment"
    page = client.get(reverse("order_edit", args=[order.pk])).content.decode()
    assert '<option value="after_payment" selected>' in page
    submitted = sales.order_submit(order=order, actor=rep)
    client.force_login(staff["warehouse"])
    page = client.get(reverse("order_detail", args=[submitted.pk])).content.decode()
    assert "Ship after payment in full" in page
    assert "Ships after payment" in page
    assert "Dispatch waits for" in page


def test_an_unknown_shipping_policy_on_the_edit_form_is_refused_and_changes_nothing(
    client, company, rep, customer, stocked
):
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": stocked[0]}]
    )
    client.force_login(rep)
    form = {
        "version": order.version,
        "order_date": order.order_date.isoformat(),
        "sku": ["P0"],
        "quantity": ["1"],
        "discount": ["0"],
        "unit_price": [""],
        "action": "save",
    }
    response = client.post(
        reverse("order_edit", args=[order.pk]), {**form, "shipping_policy": "by_drone"}
    )
    assert response.status_code == 422
    assert "Unknown shipping policy." in response.content.decode()
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).version == order.version
    response = client.post(
        reverse("order_edit", args=[order.pk]), {**form, "shipping_policy": "ship_complete"}
    )
    assert response.status_code == 302
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).shipping_policy == (
        "ship_complete"
    )
