"""A repair from a case, tracked out and back (issue 18): waiting for the item → received
(in repair) → settled on a no-charge shipment (sending back) → that shipment dispatched
(sent back, ``rma.sent_back``), on the RMA line, the RMA page, the case page and the API."""

import json
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.core.models import AuditEntry, Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import services
from ordercrm.returns.models import ReturnAuthorizationLine, RmaSettlement
from ordercrm.returns.workflow import Decision, RepairState, Status
from ordercrm.service import services as service_services

D = Decimal


@pytest.fixture
def support(agent):
    return agent


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper-r")


@pytest.fixture
def main_warehouse(company):
    return Warehouse.objects.for_company(company).get(code="main")


def _repair_line(rma):
    return ReturnAuthorizationLine.objects.for_company(rma.company_id).get(
        rma=rma, decision=Decision.REPAIR
    )


def test_a_repaired_item_goes_out_and_back(
    company, access_of, support, manager, keeper, shipped_order, main_warehouse, customer
):
    order = shipped_order
    first, second = order.lines.order_by("position")
    case = service_services.case_create(
        company=company,
        actor=support,
        customer=customer,
        order=order,
        subject="Motor hums",
        case_type="repair",
        lines=[{"order_line_id": str(second.pk), "quantity": "1"}],
    )
    rma = service_services.case_return_create(
        access_of(support, company),
        case,
        [
            {
                "order_line_id": str(second.pk),
                "quantity": "1",
                "decision": "repair",
                "reason": "hums",
            },
            {"order_line_id": str(first.pk), "quantity": "1", "decision": "replace"},
        ],
    )
    assert _repair_line(rma).repair_state == RepairState.AWAITING_ITEM
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    assert _repair_line(rma).repair_state == RepairState.IN_REPAIR
    rma = services.rma_replace(rma=rma, actor=keeper)
    assert rma.status == Status.CLOSED
    line = _repair_line(rma)
    assert (line.qty_settled, line.qty_sent_back) == (D(1), D(0))
    assert line.repair_state == RepairState.SENDING_BACK
    settlement = RmaSettlement.objects.for_company(company).get(rma=rma, kind="shipment")
    assert set(settlement.lines) == {
        str(x.pk) for x in ReturnAuthorizationLine.objects.for_company(company).filter(rma=rma)
    }
    version = rma.version

    fulfilment.shipment_dispatch(shipment=settlement.shipment, actor=keeper)
    line = _repair_line(rma)
    assert line.qty_sent_back == 1
    assert line.repair_state == RepairState.SENT_BACK
    replaced = ReturnAuthorizationLine.objects.for_company(company).get(
        rma=rma, decision=Decision.REPLACE
    )
    assert replaced.qty_sent_back == 1
    rma.refresh_from_db()
    assert rma.version == version + 1
    event = Event.objects.for_company(company).get(type="rma.sent_back")
    assert event.payload["shipment"] == settlement.shipment.number
    assert event.payload["repair_states"] == {str(line.pk): "sent_back"}
    assert event.payload["case_id"] == str(case.pk)
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(rma.pk), action="sent_back")
        .count()
        == 1
    )


def test_the_pages_and_the_api_show_where_the_item_is(
    client, company, access_of, support, manager, keeper, shipped_order, main_warehouse, customer
):
    order = shipped_order
    _first, second = order.lines.order_by("position")
    case = service_services.case_create(
        company=company,
        actor=support,
        customer=customer,
        order=order,
        subject="Motor hums",
        case_type="repair",
        lines=[{"order_line_id": str(second.pk), "quantity": "1"}],
    )
    rma = service_services.case_return_create(
        access_of(support, company),
        case,
        [{"order_line_id": str(second.pk), "quantity": "1", "decision": "repair"}],
    )
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    client.force_login(support)
    page = client.get(f"/returns/{rma.pk}/").content.decode()
    assert "repair-in_repair" in page
    assert "Received, in repair" in page
    page = client.get(f"/service/cases/{case.pk}/").content.decode()
    assert "repair-in_repair" in page
    assert "Received, in repair" in page

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=support, name='t')[1]}"}
    body = json.loads(client.get(f"/api/v1/returns/{rma.pk}", **auth).content)
    assert [(x["decision"], x["repair_state"]) for x in body["lines"]] == [("repair", "in_repair")]
    assert body["lines"][0]["quantity_sent_back"] == "0"
    body = json.loads(client.get(f"/api/v1/cases/{case.pk}", **auth).content)
    assert [(r["number"], r["status"]) for r in body["returns"]] == [(rma.number, "received")]
    assert body["returns"][0]["repairs"][0]["repair_state"] == "in_repair"

    services.rma_replace(rma=rma, actor=keeper)
    shipment = RmaSettlement.objects.for_company(company).get(rma=rma).shipment
    fulfilment.shipment_dispatch(shipment=shipment, actor=keeper)
    body = json.loads(client.get(f"/api/v1/cases/{case.pk}", **auth).content)
    repair = body["returns"][0]["repairs"][0]
    assert (repair["repair_state"], repair["quantity_sent_back"]) == ("sent_back", "1")
    page = client.get(f"/service/cases/{case.pk}/").content.decode()
    assert "Sent back to the customer" in page
