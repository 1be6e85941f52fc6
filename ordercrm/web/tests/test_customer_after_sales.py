"""The customer 360's after-sales part (issue 18, item 7): open cases (not resolved ones)
and the return history with each RMA's lines, to those who may see the customer."""

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import services as returns
from ordercrm.sales import services as sales
from ordercrm.service import services as service


@pytest.fixture
def history(company, rep, make_user, customer, make_order, products, access_of):
    keeper = make_user(Role.WAREHOUSE, company, username="keeper-c")
    agent = make_user(Role.SUPPORT, company, username="agent-c")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 50} for p in products],
    )
    order = sales.order_submit(order=make_order(), actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    first, second = order.lines.order_by("position")
    open_case = service.case_create(
        company=company, actor=agent, customer=customer, order=order, subject="Still broken"
    )
    done = service.case_create(company=company, actor=agent, customer=customer, subject="Done")
    service.case_action(case=done, actor=agent, action="resolve", note="ok")
    rma = returns.rma_create(
        access_of(agent, company),
        order,
        [
            {"order_line_id": str(first.pk), "quantity": "1", "decision": "refund"},
            {"order_line_id": str(second.pk), "quantity": "2", "decision": "repair"},
        ],
    )
    return {"agent": agent, "order": order, "open": open_case, "done": done, "rma": rma}


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</ul>", start)]


def test_the_360_shows_open_cases_and_the_return_history(client, customer, history, products):
    client.force_login(history["agent"])
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    cases = section(html, "customer-cases")
    assert history["open"].number in cases
    assert history["done"].number not in cases  # resolved: not open
    returned = section(html, "customer-returns")
    assert history["rma"].number in returned
    assert history["order"].number in returned
    assert f"{products[0].sku} × 1 (Refund)" in returned
    assert f"{products[1].sku} × 2 (Repair)" in returned


def test_a_rep_who_does_not_see_the_customer_sees_none_of_it(
    client, company, make_user, team, customer, history
):
    other = make_user(Role.SALES_REP, company, username="other-rep", team=team)
    client.force_login(other)
    assert client.get(f"/customers/{customer.pk}/").status_code == 404


def test_the_360_in_simplified_chinese(client, customer, history):
    agent = history["agent"]
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    html = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    html = html.decode()
    assert history["rma"].number in section(html, "customer-returns")
    assert "退款" in section(html, "customer-returns")
