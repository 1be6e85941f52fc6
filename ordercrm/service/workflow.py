"""The after-sales case lifecycle as data: one row per action, read by everything that
offers, runs, words or tests an action (the same shape as ``sales/workflow.py``).

Each :class:`CaseAction` row says from which statuses the action may start (``sources``),
where it leads (``target``), in which statuses it has already taken effect (``done``:
repeating it there is a no-op, not an error), the permission it needs, its event
(``case.<event_word>``), its API path segment and its words. Anything else raises
``service.invalid_transition``.

Waiting on the customer pauses the SLA resolution clock; leaving that status resumes it
(``PAUSED``). Reopening is allowed only within the company's reopen window (a guard in the
service, not a row: the window is a company setting).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ordercrm.core.permissions import Perm


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = CaseStatus


@dataclass(frozen=True, eq=False)
class CaseAction:
    name: str  # also the audit entry's action
    sources: frozenset[str]
    target: str
    done: frozenset[str]
    permission: str
    event_word: str
    path: str
    title: Promise
    done_title: Promise
    message: Promise  # what the page confirms after it (``%(number)s``)
    needs_note: bool = False  # the person must say why (resolution, cancel reason)

    @property
    def event(self) -> str:
        return f"case.{self.event_word}"

    def allowed(self, status: str) -> bool:
        return status in self.sources

    def already_done(self, status: str) -> bool:
        return status in self.done


START = CaseAction(
    name="start",
    sources=frozenset({S.NEW}),
    target=S.IN_PROGRESS,
    done=frozenset({S.IN_PROGRESS}),
    permission=Perm.TICKET_EDIT,
    event_word="started",
    path="start",
    title=_("Start work"),
    done_title=_("Work started"),
    message=_("Case %(number)s is in progress."),
)
WAIT = CaseAction(
    name="wait",
    sources=frozenset({S.NEW, S.IN_PROGRESS}),
    target=S.WAITING,
    done=frozenset({S.WAITING}),
    permission=Perm.TICKET_EDIT,
    event_word="waiting",
    path="wait",
    title=_("Wait on customer"),
    done_title=_("Waiting on customer"),
    message=_("Case %(number)s waits on the customer; the SLA clock is paused."),
)
RESUME = CaseAction(
    name="resume",
    sources=frozenset({S.WAITING}),
    target=S.IN_PROGRESS,
    done=frozenset({S.IN_PROGRESS}),
    permission=Perm.TICKET_EDIT,
    event_word="resumed",
    path="resume",
    title=_("Customer answered"),
    done_title=_("Work resumed"),
    message=_("Case %(number)s is in progress again; the SLA clock runs."),
)
RESOLVE = CaseAction(
    name="resolve",
    sources=frozenset({S.NEW, S.IN_PROGRESS, S.WAITING}),
    target=S.RESOLVED,
    done=frozenset({S.RESOLVED}),
    permission=Perm.TICKET_EDIT,
    event_word="resolved",
    path="resolve",
    title=_("Resolve"),
    done_title=_("Resolved"),
    message=_("Case %(number)s is resolved; the customer is told."),
    needs_note=True,
)
CLOSE = CaseAction(
    name="close",
    sources=frozenset({S.RESOLVED}),
    target=S.CLOSED,
    done=frozenset({S.CLOSED}),
    permission=Perm.TICKET_EDIT,
    event_word="closed",
    path="close",
    title=_("Close"),
    done_title=_("Closed"),
    message=_("Case %(number)s is closed."),
)
REOPEN = CaseAction(
    name="reopen",
    sources=frozenset({S.RESOLVED, S.CLOSED}),
    target=S.IN_PROGRESS,
    done=frozenset(),
    permission=Perm.TICKET_EDIT,
    event_word="reopened",
    path="reopen",
    title=_("Reopen"),
    done_title=_("Reopened"),
    message=_("Case %(number)s is open again."),
)
CANCEL = CaseAction(
    name="cancel",
    sources=frozenset({S.NEW, S.IN_PROGRESS, S.WAITING}),
    target=S.CANCELLED,
    done=frozenset({S.CANCELLED}),
    permission=Perm.TICKET_EDIT,
    event_word="cancelled",
    path="cancel",
    title=_("Cancel case"),
    done_title=_("Cancelled"),
    message=_("Case %(number)s was cancelled."),
    needs_note=True,
)

TABLE: tuple[CaseAction, ...] = (START, WAIT, RESUME, RESOLVE, CLOSE, REOPEN, CANCEL)
ACTIONS: dict[str, CaseAction] = {row.name: row for row in TABLE}

# Named status sets, each with its meaning.
OPEN = frozenset({S.NEW, S.IN_PROGRESS, S.WAITING})  # someone still owes work
PAUSED = frozenset({S.WAITING})  # the resolution clock does not run
RUNNING = frozenset({S.NEW, S.IN_PROGRESS})  # the SLA clocks run
FINISHED = frozenset({S.RESOLVED, S.CLOSED, S.CANCELLED})


class CaseEvent:
    """Every case event type (the actions' plus these)."""

    CREATED = "case.created"
    UPDATED = "case.updated"
    REPLIED = "case.replied"  # a reply to the customer: emailed to them
    COMMENTED = "case.commented"  # an internal note or a message logged from the customer
    SLA_PAUSED = "case.sla_paused"
    SLA_RESUMED = "case.sla_resumed"
    SLA_WARNING = "case.sla_warning"
    SLA_BREACHED = "case.sla_breached"
    ESCALATED = "case.escalated"


EVENT_TYPES: tuple[str, ...] = (
    CaseEvent.CREATED,
    CaseEvent.UPDATED,
    CaseEvent.REPLIED,
    CaseEvent.COMMENTED,
    *(row.event for row in TABLE),
    CaseEvent.SLA_PAUSED,
    CaseEvent.SLA_RESUMED,
    CaseEvent.SLA_WARNING,
    CaseEvent.SLA_BREACHED,
    CaseEvent.ESCALATED,
)
