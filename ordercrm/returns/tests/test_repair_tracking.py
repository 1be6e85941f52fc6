"""Repair lines are tracked out and back: waiting for the item → received (in repair) →
settled on a no-charge shipment (sending back) → that shipment dispatched (sent back). The
road from a case, the pages and the API: ``service/tests/test_case_repairs.py``."""

from decimal import Decimal

import pytest

from ordercrm.core.models import Event
from ordercrm.returns import selectors, services
from ordercrm.returns.models import ReturnAuthorizationLine
from ordercrm.returns.workflow import Decision, LineState, RepairState, Status, repair_state

D = Decimal


def state(decision="repair", quantity=2, received=0, settled=0, sent_back=0):
    return LineState(decision, D(quantity), D(received), D(settled), D(sent_back))


@pytest.mark.parametrize(
    ("counters", "rma_status", "expected"),
    [
        ((0, 0, 0), Status.REQUESTED, RepairState.AWAITING_ITEM),
        ((0, 0, 0), Status.APPROVED, RepairState.AWAITING_ITEM),
        ((1, 1, 1), Status.APPROVED, RepairState.AWAITING_ITEM),  # one item still out there
        ((2, 0, 0), Status.RECEIVED, RepairState.IN_REPAIR),
        ((2, 1, 1), Status.RECEIVED, RepairState.IN_REPAIR),
        ((2, 2, 0), Status.CLOSED, RepairState.SENDING_BACK),
        ((2, 2, 1), Status.CLOSED, RepairState.SENDING_BACK),
        ((2, 2, 2), Status.CLOSED, RepairState.SENT_BACK),
        ((0, 0, 0), Status.CANCELLED, None),
        ((0, 0, 0), Status.REJECTED, None),
    ],
)
def test_repair_state_follows_the_counters(counters, rma_status, expected):
    received, settled, sent_back = counters
    assert repair_state(state("repair", 2, received, settled, sent_back), rma_status) == expected


@pytest.mark.parametrize("decision", [Decision.REFUND, Decision.REPLACE, Decision.REJECT])
def test_only_repair_lines_have_a_repair_state(decision):
    assert repair_state(state(decision, 2, 2, 2, 2), Status.CLOSED) is None


def _repair_line(rma):
    return ReturnAuthorizationLine.objects.for_company(rma.company_id).get(
        rma=rma, decision=Decision.REPAIR
    )


def test_an_ordinary_shipment_moves_no_rma(
    company, access_of, support, manager, keeper, shipped_order, main_warehouse
):
    """Only the RMA's own no-charge shipment counts as the item going back."""
    order = shipped_order(quantities=(10, 4))
    first, _second = order.lines.order_by("position")
    rma = services.rma_create(
        access_of(support, company),
        order,
        [{"order_line_id": str(first.pk), "quantity": "2", "decision": "repair"}],
    )
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    assert _repair_line(rma).repair_state == RepairState.IN_REPAIR
    assert not Event.objects.for_company(company).filter(type="rma.sent_back").exists()
    assert selectors.repair_lines_of([rma])[rma.pk][0].repair_state == RepairState.IN_REPAIR
