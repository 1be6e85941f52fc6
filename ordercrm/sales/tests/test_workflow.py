"""The transition table, tested without a database."""

from ordercrm.sales import workflow
from ordercrm.sales.workflow import Status


def test_the_lifecycle_in_the_design():
    # ``expire``: the daily task cancels a quotation past its validity date (the system's)
    assert workflow.actions_from(Status.DRAFT) == ["submit", "cancel", "expire"]
    assert workflow.actions_from(Status.PENDING_APPROVAL) == [
        "approve",
        "reject",
        "request_changes",
        "cancel",
        "expire",
    ]
    assert workflow.actions_from(Status.REJECTED) == ["reopen", "cancel", "expire"]
    assert set(workflow.actions_from(Status.CONFIRMED)) == {
        "hold",
        "cancel",
        "close",
        "complete",
        "amend",
    }
    assert set(workflow.actions_from(Status.ON_HOLD)) == {"release", "cancel", "close", "amend"}
    assert workflow.actions_from(Status.CLOSED) == ["resume"]
    # a completed order is confirmed again only by the system, when a return owes goods
    assert workflow.actions_from(Status.COMPLETED) == ["reactivate"]
    # a cancelled order may be set back to draft (a new revision), by who may cancel
    assert workflow.actions_from(Status.CANCELLED) == ["reset_to_draft"]


def test_repeating_an_action_is_never_also_a_fresh_start():
    for action in workflow.ACTIONS:
        assert not (workflow.DONE[action] & workflow.TRANSITIONS[action][0]), action


def test_each_action_is_one_row_with_its_event_permission_and_words():
    assert workflow.OrderEvent.SUBMITTED == "order.submitted"
    assert workflow.OrderEvent.HELD == workflow.HOLD.event == "order.held"
    events = {v for k, v in vars(workflow.OrderEvent).items() if k.isupper()}
    for row in workflow.TABLE:
        assert row.event in events, row.name
        assert row.done_title, row.name  # the timeline words every action
        assert workflow.target(row.name) == row.target
    for row in workflow.BUTTONS:
        assert all((row.permission, row.title, row.message, row.path)), row.name
    # a draft is its owner's to cancel; elsewhere cancelling needs the cancel permission
    assert workflow.CANCEL.permission_in(Status.DRAFT) == "order_edit"
    assert workflow.CANCEL.permission_in(Status.CONFIRMED) == "order_cancel"


def test_every_button_has_a_service():
    from ordercrm.sales.services.actions import SERVICES

    assert set(SERVICES) == set(workflow.BUTTONS)
