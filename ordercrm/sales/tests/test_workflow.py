"""The transition table, tested without a database."""

from ordercrm.sales import workflow
from ordercrm.sales.workflow import Status


def test_the_lifecycle_in_the_design():
    assert workflow.actions_from(Status.DRAFT) == ["submit", "cancel"]
    assert workflow.actions_from(Status.PENDING_APPROVAL) == [
        "approve",
        "reject",
        "request_changes",
        "cancel",
    ]
    assert workflow.actions_from(Status.REJECTED) == ["reopen", "cancel"]
    assert set(workflow.actions_from(Status.CONFIRMED)) == {
        "hold",
        "cancel",
        "close",
        "complete",
        "amend",
    }
    assert set(workflow.actions_from(Status.ON_HOLD)) == {"release", "cancel", "close", "amend"}
    assert workflow.actions_from(Status.CLOSED) == ["resume"]
    for final in (Status.COMPLETED, Status.CANCELLED):
        assert workflow.actions_from(final) == []


def test_repeating_an_action_is_never_also_a_fresh_start():
    for action in workflow.ACTIONS:
        assert not (workflow.DONE[action] & workflow.TRANSITIONS[action][0]), action
