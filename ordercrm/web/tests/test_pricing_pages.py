"""Issue #17 on the pages: order date, validity and order discount on entry and edit, free
stock and its warning, an expired quotation, in English and zh-Hans."""

import datetime

import pytest
from django.urls import reverse

from ordercrm.core.dates import company_today
from ordercrm.sales import services
from ordercrm.sales.models import SalesOrder


def _entry(client, customer, **fields):
    return client.post(
        reverse("order_new"),
        {
            "customer": customer.pk,
            "sku": ["P0"],
            "quantity": ["10"],
            "discount": ["0"],
            "unit_price": [""],
            **fields,
        },
    )


def test_back_dating_on_the_entry_form_needs_the_right(
    client, company, rep, staff, customer, products
):
    yesterday = (company_today(company) - datetime.timedelta(days=1)).isoformat()
    client.force_login(rep)
    response = _entry(client, customer, order_date=yesterday, action="save")
    assert response.status_code == 422
    assert "You may not date an order before today" in response.content.decode()
    assert SalesOrder.objects.for_company(company).count() == 0
    client.force_login(staff["manager"])
    response = _entry(client, customer, order_date=yesterday, action="save")
    assert response.status_code == 302
    order = SalesOrder.objects.for_company(company).get()
    assert order.order_date.isoformat() == yesterday


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Before order discount", "Order discount (10%)", "Free stock")),
        ("zh-hans", ("整单折扣前", "整单折扣（10%）", "可用库存")),
    ],
)
def test_the_entry_totals_show_the_order_discount(client, rep, customer, stocked, language, words):
    rep.language = language
    rep.save()
    client.cookies["django_language"] = language
    client.force_login(rep)
    page = _entry(client, customer, discount_percent="10", action="preview").content.decode()
    for word in words:
        assert word in page


def test_edit_saves_date_validity_and_discount(client, company, rep, customer, products):
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 10}],
    )
    client.force_login(rep)
    page = client.get(reverse("order_edit", args=[order.pk])).content.decode()
    assert 'id="valid_until"' in page
    assert order.valid_until.isoformat() in page
    response = client.post(
        reverse("order_edit", args=[order.pk]),
        {
            "version": order.version,
            "order_date": order.order_date.isoformat(),
            "valid_until": "",
            "discount_percent": "5",
            "sku": ["P0"],
            "quantity": ["10"],
            "discount": ["0"],
            "unit_price": [""],
            "action": "save",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.valid_until, order.discount_percent, str(order.net_total)) == (None, 5, "95.00")
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="order-discount"' in page


def test_a_bad_discount_on_the_edit_form_is_shown_and_changes_nothing(
    client, company, rep, customer, products
):
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    client.force_login(rep)
    response = client.post(
        reverse("order_edit", args=[order.pk]),
        {
            "version": order.version,
            "order_date": "not a date",
            "discount_percent": "250",
            "sku": ["P0"],
            "quantity": ["1"],
            "discount": ["0"],
            "unit_price": [""],
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).version == order.version


@pytest.mark.parametrize(("language", "word"), [("en", "Expired"), ("zh-hans", "已过期")])
def test_an_expired_quotation_says_so(client, company, rep, customer, products, language, word):
    order = services.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": products[0]}]
    )
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
        valid_until=company_today(company) - datetime.timedelta(days=1)
    )
    services.quotations_expire(company=company)
    rep.language = language
    rep.save()
    client.cookies["django_language"] = language
    client.force_login(rep)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="valid-until"' in page
    assert word in page


def test_a_quotation_page_warns_of_short_stock(client, company, rep, customer, stocked):
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 150}],
    )
    client.force_login(rep)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'id="free-stock-warning"' in page
    assert "150 wanted, 100 free" in page


def test_tax_mappings_in_settings_and_a_customer_change_on_the_edit_form(
    client, company, admin, rep, customer, products, make_customer
):
    from ordercrm.catalog.models import TaxMapping, TaxRate
    from ordercrm.customers import services as customers

    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    client.force_login(admin)
    url = reverse("settings_section", args=["tax_mappings"])
    response = client.post(
        url, {"name": "Export", "is_active": "on", "from_1": rates[13].pk, "to_1": rates[0].pk}
    )
    assert response.status_code in (200, 302)
    mapping = TaxMapping.objects.for_company(company).get(name="Export")
    page = client.get(url).content.decode()
    assert "Export" in page
    # a rate mapped onto itself is refused on the page, nothing saved
    response = client.post(url, {"name": "Bad", "from_1": rates[9].pk, "to_1": rates[9].pk})
    assert "maps a rate onto itself" in response.content.decode()
    assert not TaxMapping.objects.for_company(company).filter(name="Bad").exists()

    buyer = customers.customer_update(
        customer=make_customer(company, actor=rep, name="Hamburg"), actor=None, tax_mapping=mapping
    )
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    client.force_login(rep)
    response = client.post(
        reverse("order_edit", args=[order.pk]),
        {
            "version": order.version,
            "customer": buyer.pk,
            "order_date": order.order_date.isoformat(),
            "valid_until": order.valid_until.isoformat(),
            "discount_percent": "0",
            "sku": ["P0"],
            "quantity": ["1"],
            "discount": ["0"],
            "unit_price": [""],
            "action": "save",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.customer_id, str(order.tax_total)) == (buyer.pk, "0.00")


def test_the_order_page_shows_the_price_rule_under_the_price(
    client, company, admin, rep, customer, make_product
):
    from decimal import Decimal

    from ordercrm.catalog import services as catalog

    product = make_product(company, sku="RULED", list_price="80", cost="50")
    rules = catalog.price_list_create(
        company=company, actor=admin, name="Rules", currency="CNY", is_default=True
    )
    catalog.price_rule_create(
        price_list=rules, actor=admin, base="cost", markup_percent=Decimal("30")
    )
    order = services.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": product, "quantity": 1}, {"kind": "note", "description": "Gift"}],
    )
    client.force_login(rep)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert page.count('class="muted line-price-rule"') == 1
    assert "price rule: Cost + 30 %" in page
    page = client.get(
        reverse("order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "价格规则：成本 + 30 %" in page


def test_a_tax_mapping_edited_in_two_tabs_keeps_the_first_save(client, company, admin):
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxMapping, TaxRate

    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    mapping = catalog.tax_mapping_create(
        company=company, actor=admin, name="Export", rules=[(rates[13], rates[0])]
    )
    client.force_login(admin)
    url = reverse("settings_section", args=["tax_mappings"])
    page = client.get(url, {"edit": mapping.pk}).content.decode()
    assert 'name="version" value="1"' in page
    form = {
        "edit": mapping.pk,
        "version": "1",
        "is_active": "on",
        "from_1": rates[13].pk,
        "to_1": rates[0].pk,
    }
    assert client.post(url, {**form, "name": "Export EU"}).status_code == 302
    response = client.post(url, {**form, "name": "Export Asia"})  # the other tab, at version 1
    assert response.status_code == 422
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "save again to replace it" in page
    assert 'value="Export Asia"' in page  # the input is kept
    assert TaxMapping.objects.for_company(company).get(pk=mapping.pk).name == "Export EU"
    # the form now carries the version saved meanwhile: a second Save applies it
    assert 'name="version" value="2"' in page
    assert client.post(url, {**form, "version": "2", "name": "Export Asia"}).status_code == 302
    assert TaxMapping.objects.for_company(company).get(pk=mapping.pk).name == "Export Asia"
