"""A user of company A never sees company B's rows: by id (404), in lists, or in search."""

import pytest
from django.urls import reverse

from ordercrm.accounts.roles import Role
from ordercrm.catalog import selectors as catalog_selectors
from ordercrm.core.exceptions import NotFound
from ordercrm.customers import selectors


@pytest.fixture
def two_tenants(make_user, make_customer, make_product, company, other_company):
    a_user = make_user(Role.ADMIN, company)
    b_user = make_user(Role.ADMIN, other_company)
    a_customer = make_customer(company, name="Shared Name Ltd", phone="+86 21 1111")
    b_customer = make_customer(other_company, name="Shared Name Ltd", phone="+86 21 1111")
    make_product(company, sku="A-1", name="Widget")
    make_product(other_company, sku="B-1", name="Widget")
    return a_user, b_user, a_customer, b_customer


def test_another_companys_customer_is_not_found_by_id(client, two_tenants):
    a_user, _b_user, a_customer, b_customer = two_tenants
    client.force_login(a_user)
    assert client.get(reverse("customer_detail", args=[a_customer.pk])).status_code == 200
    assert client.get(reverse("customer_detail", args=[b_customer.pk])).status_code == 404
    assert client.get(reverse("customer_detail", args=["not-a-uuid"])).status_code == 404


def test_lists_and_search_show_only_the_own_company(client, two_tenants, company, access_of):
    a_user, _b_user, a_customer, b_customer = two_tenants
    access = access_of(a_user, company)
    assert list(selectors.customer_list(access)) == [a_customer]
    assert list(selectors.customer_list(access, search="Shared")) == [a_customer]
    assert list(selectors.customer_list(access, search="+86 21 1111")) == [a_customer]
    assert [p.sku for p in catalog_selectors.product_list(access, search="Widget")] == ["A-1"]
    with pytest.raises(NotFound):
        selectors.customer_get(access, b_customer.pk)
    client.force_login(a_user)
    page = client.get(reverse("customer_list"), {"q": "Shared"}).content.decode()
    assert a_customer.code in page
    assert str(b_customer.pk) not in page


def test_a_member_of_both_companies_switches_between_them(client, two_tenants, other_company):
    from ordercrm.accounts import services

    a_user, _b_user, a_customer, b_customer = two_tenants
    services.membership_set(user=a_user, company=other_company, role=Role.VIEWER)
    client.force_login(a_user)
    client.post(reverse("switch_company"), {"company": str(other_company.pk), "next": "/"})
    assert client.get(reverse("customer_detail", args=[b_customer.pk])).status_code == 200
    assert client.get(reverse("customer_detail", args=[a_customer.pk])).status_code == 404
