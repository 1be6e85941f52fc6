"""Return pages: the list, the RMA page and "New return" — inline refusals that change
nothing, and query counts that do not grow with the lines."""

import pytest
from django.urls import reverse

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import services as returns
from ordercrm.returns.models import ReturnAuthorization
from ordercrm.sales import services as sales


@pytest.fixture
def shipped(company, admin, rep, customer, products):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 100} for p in products],
    )

    def make(n_lines):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[i % 3], "quantity": 4} for i in range(n_lines)],
        )
        order = sales.order_submit(order=order, actor=rep)
        fulfilment.shipment_create(order=order, actor=admin, dispatch=True)
        return order

    return make


def test_new_return_refuses_inline_and_changes_nothing(client, company, make_user, shipped):
    order = shipped(2)
    client.force_login(make_user(Role.SUPPORT, company))
    first = order.lines.order_by("position").first()
    page = client.get(reverse("order_detail", args=[order.pk]))
    assert reverse("rma_new", args=[order.pk]) in page.content.decode()
    response = client.post(
        reverse("rma_new", args=[order.pk]),
        {f"qty_{first.pk}": "9", f"decision_{first.pk}": "replace"},
    )
    assert response.status_code == 422
    assert "At most 4 can still be returned." in response.content.decode()
    assert not ReturnAuthorization.objects.for_company(company).exists()
    response = client.post(
        reverse("rma_new", args=[order.pk]),
        {f"qty_{first.pk}": "2", f"decision_{first.pk}": "replace"},
    )
    rma = ReturnAuthorization.objects.for_company(company).get()
    assert response.url == reverse("rma_detail", args=[rma.pk])


def test_an_action_refused_shows_why(client, company, make_user, shipped, admin):
    order = shipped(1)
    line = order.lines.get()
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [{"order_line_id": str(line.pk), "quantity": "1", "decision": "replace"}],
    )
    client.force_login(make_user(Role.FINANCE, company))
    response = client.post(reverse("rma_action", args=[rma.pk, "reject"]), {"reason": ""})
    assert response.status_code == 409
    assert "Please give a reason." in response.content.decode()


@pytest.mark.parametrize("n_lines", [2, 12])
def test_return_pages_cost_the_same_for_any_line_count(
    client, company, admin, shipped, django_assert_max_num_queries, n_lines
):
    order = shipped(n_lines)
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [
            {"order_line_id": str(x.pk), "quantity": "1", "decision": "replace"}
            for x in order.lines.all()
        ],
    )
    rma = returns.rma_approve(rma=rma, actor=admin)
    client.force_login(admin)
    for url in (
        reverse("rma_detail", args=[rma.pk]),
        reverse("rma_list"),
        reverse("rma_new", args=[order.pk]),
    ):
        with django_assert_max_num_queries(24):
            assert client.get(url).status_code == 200
