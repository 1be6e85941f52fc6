"""Returns from a case: the RMA is made by the returns app's rule and linked to the case; a
case without an order returns nothing; the case page lists its RMAs and offers a new one."""

import pytest
from django.urls import reverse

from ordercrm.accounts.access import access_for
from ordercrm.returns import selectors as returns_selectors
from ordercrm.returns.models import ReturnAuthorization
from ordercrm.service import services
from ordercrm.service.exceptions import CaseWithoutOrder


def _case(company, agent, order=None, customer=None):
    return services.case_create(
        company=company,
        actor=agent,
        customer=customer or order.customer,
        order=order,
        subject="One unit broken",
        lines=[],
    )


def _line(order):
    first = order.lines.order_by("position").first()
    return [{"order_line_id": str(first.pk), "quantity": "1", "decision": "replace"}]


def test_a_return_from_a_case_is_linked_to_it(company, agent, shipped_order):
    case = _case(company, agent, shipped_order)
    rma = services.case_return_create(access_for(agent, company), case, _line(shipped_order))
    assert (rma.case_id, rma.order_id, rma.status) == (case.pk, shipped_order.pk, "requested")
    assert list(returns_selectors.rma_list(access_for(agent, company), case_id=case.pk)) == [rma]


def test_a_case_without_an_order_returns_nothing(company, agent, shipped_order):
    case = _case(company, agent, customer=shipped_order.customer)
    with pytest.raises(CaseWithoutOrder):
        services.case_return_create(access_for(agent, company), case, _line(shipped_order))
    assert not ReturnAuthorization.objects.for_company(company).exists()


def test_the_case_page_offers_a_return_and_lists_it(client, company, agent, shipped_order):
    case = _case(company, agent, shipped_order)
    client.force_login(agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    new_return = f"{reverse('rma_new', args=[shipped_order.pk])}?case={case.pk}"
    assert new_return in page
    form = client.get(new_return).content.decode()
    assert case.number in form
    assert f'name="case" value="{case.pk}"' in form
    first = shipped_order.lines.order_by("position").first()
    answer = client.post(
        reverse("rma_new", args=[shipped_order.pk]),
        {"case": str(case.pk), f"qty_{first.pk}": "1", f"decision_{first.pk}": "refund"},
    )
    assert answer.status_code == 302
    rma = ReturnAuthorization.objects.for_company(company).get()
    assert rma.case_id == case.pk
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert rma.number in page
