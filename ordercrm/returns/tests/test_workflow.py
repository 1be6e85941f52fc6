"""The RMA workflow table, state × action, without a database."""

from decimal import Decimal

import pytest

from ordercrm.returns import workflow
from ordercrm.returns.workflow import Decision, LineState, Status

EXPECTED = {
    # action: statuses it may start from
    "approve": {Status.REQUESTED},
    "reject": {Status.REQUESTED},
    "cancel": {Status.REQUESTED, Status.APPROVED},
    "receive": {Status.APPROVED},
    "credit": {Status.APPROVED, Status.RECEIVED},
    "replace": {Status.APPROVED, Status.RECEIVED},
}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_every_state_by_every_action(status, action):
    row = workflow.BY_NAME[action]
    assert row.allowed(status) is (status in EXPECTED[action])
    # never both allowed and already done
    assert not (row.allowed(status) and row.already_done(status))


def test_every_action_has_words_event_and_permission():
    for row in workflow.TABLE:
        assert row.event == f"rma.{row.event_word}"
        assert str(row.title)
        assert str(row.message)
        assert row.permission
        assert row.path


def line(decision, quantity, received=0, settled=0):
    return LineState(decision, Decimal(quantity), Decimal(received), Decimal(settled))


def test_status_follows_the_lines():
    lines = [line(Decision.REFUND, 2), line(Decision.REPLACE, 1), line(Decision.REJECT, 5)]
    assert workflow.status_after(Status.APPROVED, lines) == Status.APPROVED
    lines = [line(Decision.REFUND, 2, 2), line(Decision.REPLACE, 1, 1), line(Decision.REJECT, 5)]
    assert workflow.status_after(Status.APPROVED, lines) == Status.RECEIVED
    lines = [
        line(Decision.REFUND, 2, 2, 2),
        line(Decision.REPLACE, 1, 1, 1),
        line(Decision.REJECT, 5),
    ]
    assert workflow.status_after(Status.RECEIVED, lines) == Status.CLOSED
    assert workflow.status_after(Status.APPROVED, [line(Decision.REJECT, 1)]) == Status.CLOSED
    # requested and final statuses do not move
    assert workflow.status_after(Status.REQUESTED, lines) == Status.REQUESTED
    assert workflow.status_after(Status.CANCELLED, lines) == Status.CANCELLED


def test_what_is_left_to_receive_and_settle():
    assert workflow.line_to_receive(line(Decision.REJECT, 3)) == 0
    assert workflow.line_to_receive(line(Decision.REFUND, 3, 1)) == 2
    assert workflow.line_to_settle(line(Decision.REFUND, 3, 2, 1), workflow.CREDITED) == 1
    assert workflow.line_to_settle(line(Decision.REFUND, 3, 2, 1), workflow.SENT_AGAIN) == 0
    assert workflow.line_to_settle(line(Decision.REPAIR, 3, 2), workflow.SENT_AGAIN) == 2
