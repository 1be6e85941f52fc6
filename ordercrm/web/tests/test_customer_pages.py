"""Customer and order template pages: each form, its refusals shown inline, nothing changed."""

from decimal import Decimal

from django.urls import reverse

from ordercrm.customers.models import Address, Contact, Customer
from ordercrm.sales.models import OrderTemplate


def test_list_filters_and_offers_new_customer(client, company, rep, customer, make_customer):
    sleeping = make_customer(company, actor=rep, name="Sleeping Co")
    sleeping.is_active = False
    sleeping.inactive_reason = "x"
    sleeping.save()
    client.force_login(rep)
    page = client.get(reverse("customer_list")).content.decode()
    assert reverse("customer_new") in page
    assert customer.code in page
    assert "Sleeping Co" not in page
    page = client.get(reverse("customer_list"), {"status": "inactive"}).content.decode()
    assert "Sleeping Co" in page
    assert "Shanghai Mingda" not in page


def test_create_warns_of_duplicates_inline_until_confirmed(client, company, rep, customer):
    client.force_login(rep)
    data = {"name": "shanghai mingda", "kind": "company", "language": "en", "currency": "CNY"}
    response = client.post(reverse("customer_new"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert reverse("customer_detail", args=[customer.pk]) in page
    assert 'name="allow_duplicate"' in page
    assert Customer.objects.for_company(company).count() == 1
    live = client.get(reverse("customer_duplicates"), {"name": "Shanghai Mingda"})
    assert customer.code in live.content.decode()
    response = client.post(reverse("customer_new"), {**data, "allow_duplicate": "1"})
    assert response.status_code == 302
    assert Customer.objects.for_company(company).count() == 2


def test_duplicate_outside_scope_is_not_named(client, company, make_user, customer):
    from ordercrm.accounts.roles import Role

    other_rep = make_user(Role.SALES_REP, company)
    client.force_login(other_rep)
    live = client.get(reverse("customer_duplicates"), {"name": "Shanghai Mingda"}).content.decode()
    assert customer.code not in live
    assert "ask a manager" in live


def test_create_refusals_show_on_their_fields(client, company, rep):
    client.force_login(rep)
    response = client.post(
        reverse("customer_new"),
        {"name": "New Co", "kind": "company", "language": "en", "currency": "XYZ"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["currency"]
    assert not Customer.objects.for_company(company).filter(name="New Co").exists()


def test_sales_cannot_see_credit_fields_finance_can(client, rep, staff, customer):
    client.force_login(rep)
    form = client.get(reverse("customer_edit", args=[customer.pk])).context["form"]
    assert "credit_limit" not in form.fields
    client.force_login(staff["finance"])
    form = client.get(reverse("customer_edit", args=[customer.pk])).context["form"]
    assert set(form.fields) == {"credit_limit", "payment_terms"}
    response = client.post(
        reverse("customer_edit", args=[customer.pk]),
        {
            "version": customer.version,
            "credit_limit": "5000",
            "payment_terms": customer.payment_terms_id,
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("5000.00")


def _edit_data(customer, **changes):
    return {
        "version": customer.version,
        "name": customer.name,
        "code": customer.code,
        "kind": customer.kind,
        "language": customer.language,
        "currency": customer.currency,
        "owner": customer.owner_id or "",
        "team": customer.team_id or "",
        **changes,
    }


def test_stale_edit_says_so_and_keeps_the_input(client, company, rep, customer):
    from ordercrm.customers.services import customer_update

    client.force_login(rep)
    data = _edit_data(customer, name="Typed by me")
    customer_update(customer=customer, actor=rep, phone="021-999")  # someone else saves
    response = client.post(reverse("customer_edit", args=[customer.pk]), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this customer" in page
    assert 'value="Typed by me"' in page
    customer.refresh_from_db()
    assert customer.name == "Shanghai Mingda"
    response = client.post(
        reverse("customer_edit", args=[customer.pk]), {**data, "version": customer.version}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Typed by me"  # the second save applies the form as shown


def test_deactivate_needs_a_reason_then_reactivate(client, rep, customer):
    client.force_login(rep)
    url = reverse("customer_status", args=[customer.pk, "deactivate"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422
    assert "Please give a reason." in response.content.decode()
    assert client.post(url, {"reason": "Closed"}).status_code == 302
    customer.refresh_from_db()
    assert not customer.is_active
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'id="customer-inactive"' in page
    assert reverse("order_new") + f"?customer={customer.pk}" not in page
    client.post(reverse("customer_status", args=[customer.pk, "reactivate"]))
    customer.refresh_from_db()
    assert customer.is_active


def test_contacts_and_addresses_on_the_customer_page(client, company, rep, customer):
    client.force_login(rep)
    response = client.post(
        reverse("customer_contact_add", args=[customer.pk]),
        {"contact-name": "Wang Fang", "contact-email": "not-an-email"},
    )
    assert response.status_code == 422
    assert response.context["contact_form"].errors["email"]
    assert Contact.objects.for_company(company).filter(customer=customer).count() == 1
    client.post(
        reverse("customer_contact_add", args=[customer.pk]),
        {"contact-name": "Wang Fang", "contact-phone": "139"},
    )
    wang = Contact.objects.for_company(company).get(name="Wang Fang")
    client.post(reverse("customer_contact", args=[customer.pk, wang.pk]), {"action": "default"})
    wang.refresh_from_db()
    assert wang.is_primary
    client.post(
        reverse("customer_address_add", args=[customer.pk]),
        {
            "address-kind": "shipping",
            "address-line1": "3 Lake Rd",
            "address-city": "Suzhou",
            "address-country": "CN",
        },
    )
    suzhou = Address.objects.for_company(company).get(city="Suzhou")
    client.post(reverse("customer_address", args=[customer.pk, suzhou.pk]), {"action": "default"})
    suzhou.refresh_from_db()
    assert suzhou.is_default
    client.post(reverse("customer_address", args=[customer.pk, suzhou.pk]), {"action": "remove"})
    ningbo = Address.objects.for_company(company).get(city="Ningbo")
    assert ningbo.is_default


def test_merge_preview_then_merge(client, company, rep, staff, customer, make_customer):
    duplicate = make_customer(company, actor=rep, name="Mingda again")
    client.force_login(rep)
    assert client.get(reverse("customer_merge", args=[duplicate.pk])).status_code == 403
    manager = staff["manager"]
    client.force_login(manager)
    url = reverse("customer_merge", args=[duplicate.pk])
    page = client.get(url, {"into": customer.code}).content.decode()
    assert 'id="merge-preview"' in page
    assert 'id="merge-confirm"' in page
    response = client.post(url, {"into": str(customer.pk), "version": duplicate.version})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == customer.pk


def test_template_pages_create_edit_and_share(client, company, rep, customer, stocked):
    client.force_login(rep)
    response = client.post(
        reverse("template_new"), {"name": "Weekly", "customer": "", "lines": "P0 5\nNOPE 1"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["lines"]
    assert not OrderTemplate.objects.for_company(company).exists()
    response = client.post(
        reverse("template_new"),
        {"name": "Weekly", "customer": customer.code, "lines": "P0 5\nP1 2"},
    )
    assert response.status_code == 302
    template = OrderTemplate.objects.for_company(company).get()
    assert template.customer_id == customer.pk
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert f"template={template.pk}" in page
    response = client.post(
        reverse("template_edit", args=[template.pk]),
        {"name": "Weekly", "customer": "", "lines": "P0 7", "version": template.version},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.customer_id, Decimal(template.lines[0]["quantity"])) == (None, 7)
    stale = client.post(
        reverse("template_edit", args=[template.pk]),
        {"name": "Other", "customer": "", "lines": "P0 1", "version": 1},
    )
    assert stale.status_code == 422
    client.post(reverse("template_status", args=[template.pk, "deactivate"]))
    template.refresh_from_db()
    assert not template.is_active
    assert "Weekly" not in client.get(reverse("template_list")).content.decode()


def test_template_from_an_order(client, company, rep, make_order, stocked):
    order = make_order()
    client.force_login(rep)
    form = client.get(reverse("template_new"), {"order": order.pk}).context["form"]
    assert form.initial["lines"].splitlines() == ["P0 1", "P1 2"]


def test_a_rep_owns_and_sees_the_customer_they_create(client, company, rep):
    client.force_login(rep)
    response = client.post(
        reverse("customer_new"),
        {"name": "Own Co", "kind": "company", "language": "en", "currency": "CNY"},
    )
    assert response.status_code == 302
    created = Customer.objects.for_company(company).get(name="Own Co")
    assert created.owner_id == rep.pk
    assert client.get(response["Location"]).status_code == 200


def test_a_customer_keeps_its_switched_off_tax_mapping_through_an_edit(
    client, company, admin, rep, customer
):
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxRate
    from ordercrm.customers.services import customer_update

    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    export = catalog.tax_mapping_create(
        company=company,
        actor=admin,
        name="Export",
        rules=[(rates[13], rates[0])],
    )
    unused = catalog.tax_mapping_create(
        company=company,
        actor=admin,
        name="Old free zone",
        rules=[(rates[9], rates[0])],
        is_active=False,
    )
    customer = customer_update(customer=customer, actor=admin, tax_mapping=export)
    catalog.tax_mapping_update(mapping=export, actor=admin, is_active=False)
    client.force_login(rep)
    page = client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
    assert f'<option value="{export.pk}" selected>Export</option>' in page
    assert "Old free zone" not in page  # other switched-off mappings are not offered
    data = _edit_data(customer, name="Shanghai Mingda Ltd", tax_mapping=str(export.pk))
    response = client.post(reverse("customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.name, customer.tax_mapping_id) == ("Shanghai Mingda Ltd", export.pk)
    # a switched-off mapping that is not the customer's is refused
    data = _edit_data(customer, tax_mapping=str(unused.pk))
    response = client.post(reverse("customer_edit", args=[customer.pk]), data)
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.tax_mapping_id == export.pk
