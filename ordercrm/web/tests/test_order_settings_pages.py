"""Issue #17's company settings on the settings page and what they do on the order forms:
zero-quantity lines, quotation validity, availability counting quotations, billing and
delivery tolerances; rebate (negative-price) lines on the entry form."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.core.models import Company
from ordercrm.sales.models import SalesOrder, SalesOrderLine

SETTINGS = reverse("settings_section", args=["company"])


def settings_form(client, **changes) -> dict:
    """The company settings form as loaded, with ``changes``, posted as a browser would
    (unchecked boxes left out)."""
    form = client.get(SETTINGS).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def field_block(page: str, name: str) -> str:
    """The settings page's block of one field: its label, input, hint and errors."""
    match = re.search(
        rf'<div class="field[^"]*">(?:(?!<div class="field).)*?name="{name}".*?</div>',
        page,
        re.S,
    )
    assert match, f"no field {name}"
    return match.group(0)


def test_the_order_to_cash_settings_are_on_the_company_page_and_saved(client, admin, company):
    client.force_login(admin)
    page = client.get(SETTINGS).content.decode()
    for name in (
        "allow_zero_quantity_lines",
        "quotation_validity_days",
        "quotation_expiry_notify",
        "availability_counts_quotations",
        "billing_tolerance",
        "over_delivery_tolerance",
        "under_delivery_tolerance",
    ):
        assert f'name="{name}"' in page, name
    data = settings_form(
        client,
        allow_zero_quantity_lines=False,
        quotation_validity_days="14",
        availability_counts_quotations=True,
        billing_tolerance="2",
        over_delivery_tolerance="10",
        under_delivery_tolerance="5",
    )
    assert client.post(SETTINGS, data).status_code == 302
    company.refresh_from_db()
    assert (
        company.allow_zero_quantity_lines,
        company.quotation_validity_days,
        company.availability_counts_quotations,
        company.billing_tolerance,
        company.over_delivery_tolerance,
        company.under_delivery_tolerance,
    ) == (False, 14, True, Decimal("2"), Decimal("10"), Decimal("5"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("over_delivery_tolerance", "150"),
        ("under_delivery_tolerance", "-1"),
        ("billing_tolerance", "lots"),
        ("quotation_validity_days", "-3"),
    ],
)
def test_a_bad_setting_is_shown_at_its_field_and_changes_nothing(
    client, admin, company, field, value
):
    client.force_login(admin)
    before = Company.objects.get(pk=company.pk)
    response = client.post(SETTINGS, settings_form(client, **{field: value}))
    assert response.status_code == 422
    block = field_block(response.content.decode(), field)
    assert 'class="error"' in block, block
    after = Company.objects.get(pk=company.pk)
    assert (after.version, getattr(after, field)) == (before.version, getattr(before, field))


def entry(customer, skus, quantities, prices=None, action="save"):
    return {
        "customer": str(customer.pk),
        "sku": skus,
        "quantity": quantities,
        "discount": ["0"] * len(skus),
        "unit_price": prices or [""] * len(skus),
        "action": action,
    }


def test_a_zero_quantity_line_on_the_entry_form_follows_the_setting(
    client, company, rep, customer, products
):
    client.force_login(rep)
    company.allow_zero_quantity_lines = False
    company.save()
    form = entry(customer, ["P0", "P1"], ["2", "0"])
    response = client.post(reverse("order_new"), form)
    assert response.status_code == 422
    assert "Enter a quantity above zero." in response.content.decode()
    assert not SalesOrder.objects.for_company(company).exists()
    company.allow_zero_quantity_lines = True
    company.save()
    assert client.post(reverse("order_new"), form).status_code == 302
    order = SalesOrder.objects.for_company(company).get()
    quantities = SalesOrderLine.objects.for_company(company).filter(order=order)
    assert sorted(q.quantity for q in quantities) == [0, 2]


def test_a_rebate_line_on_the_entry_form_lowers_the_total(
    client, company, rep, customer, products, make_product
):
    make_product(company, sku="REBATE", list_price=Decimal("0"), is_stock_tracked=False)
    client.force_login(rep)
    form = entry(customer, ["P0", "REBATE"], ["10", "1"], ["", "-15.00"], action="preview")
    page = client.post(reverse("order_new"), form).content.decode()
    assert "−15.00" in page or "-15.00" in page  # the rebate line, priced as typed
    assert client.post(reverse("order_new"), {**form, "action": "save"}).status_code == 302
    order = SalesOrder.objects.for_company(company).get()
    assert order.net_total == Decimal("85.00")  # 10 × 10.00 − 15.00
    # a negative price on goods is refused at its line, nothing saved
    bad = entry(customer, ["P0"], ["1"], ["-1"])
    response = client.post(reverse("order_new"), bad)
    assert response.status_code == 422
    assert "A negative price is for a discount or rebate line" in response.content.decode()
    assert SalesOrder.objects.for_company(company).count() == 1
