"""The case workflow table, over every state × action pair (no database)."""

import pytest

from ordercrm.service import workflow
from ordercrm.service.workflow import CaseStatus as S

# (action, from status) → "to <status>" | "noop" | "refused"
EXPECTED = {
    "start": {S.NEW: S.IN_PROGRESS, S.IN_PROGRESS: "noop"},
    "wait": {S.NEW: S.WAITING, S.IN_PROGRESS: S.WAITING, S.WAITING: "noop"},
    "resume": {S.WAITING: S.IN_PROGRESS, S.IN_PROGRESS: "noop"},
    "resolve": {
        S.NEW: S.RESOLVED,
        S.IN_PROGRESS: S.RESOLVED,
        S.WAITING: S.RESOLVED,
        S.RESOLVED: "noop",
    },
    "close": {S.RESOLVED: S.CLOSED, S.CLOSED: "noop"},
    "reopen": {S.RESOLVED: S.IN_PROGRESS, S.CLOSED: S.IN_PROGRESS},
    "cancel": {
        S.NEW: S.CANCELLED,
        S.IN_PROGRESS: S.CANCELLED,
        S.WAITING: S.CANCELLED,
        S.CANCELLED: "noop",
    },
}


def outcome(row: workflow.CaseAction, status: str) -> str:
    if row.already_done(status):
        return "noop"
    if row.allowed(status):
        return row.target
    return "refused"


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(workflow.ACTIONS))
def test_every_state_action_pair(action, status):
    row = workflow.ACTIONS[action]
    assert outcome(row, status) == EXPECTED[action].get(status, "refused")


def test_rows_are_complete_and_consistent():
    assert set(EXPECTED) == set(workflow.ACTIONS)
    for row in workflow.TABLE:
        assert row.target in S.values
        assert not (row.sources & row.done), row.name
        assert row.event == f"case.{row.event_word}"
        assert row.event in workflow.EVENT_TYPES
        assert str(row.title)
        assert str(row.done_title)
        assert "%(number)s" in str(row.message)
    assert set(S.values) == workflow.OPEN | workflow.FINISHED
    assert workflow.RUNNING | workflow.PAUSED == workflow.OPEN
