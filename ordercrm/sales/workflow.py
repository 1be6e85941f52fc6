"""The sales order lifecycle as data: one row per action, read by everything that offers,
runs, words or tests an action.

Each :class:`OrderAction` row says which statuses the action may start from (``sources``),
where it leads (``target``), in which statuses it has already taken effect (``done``:
repeating it there — a double click, a retried request — is a no-op, not an error), the
permission it needs, the outbox event it emits, its API path segment and its translated
words (button, timeline, the confirmation shown after it). Anything not allowed raises
``sales.invalid_transition``.

Some actions may end elsewhere than their target, decided by the service: ``submit`` leads to
``pending_approval`` or, when no approval is needed, on to ``confirmed``; ``approve``,
``release``, ``resume`` and ``amend`` go (back) to ``pending_approval`` when the approval rules
fire again (``may_wait_for_approval``). The audit entry of an action is its ``name``; its event
is ``order.<event word>`` (the past tense of the name): the mapping is the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ordercrm.core.permissions import Perm


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    REJECTED = "rejected", _("Rejected")
    CONFIRMED = "confirmed", _("Confirmed")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = Status


# eq=False: rows compare and hash by identity (each is one module constant), never by their
# lazy titles, whose hash would follow the active language.
@dataclass(frozen=True, eq=False)
class OrderAction:
    """One action of the order lifecycle (see the module docstring)."""

    name: str  # also the audit entry's action
    sources: frozenset[str]
    target: str
    done: frozenset[str]
    permission: str | None  # None: run by the system, never by a person
    event_word: str  # the event type is ``order.<event_word>``
    path: str | None = None  # the API path segment, None: not offered as an action endpoint
    title: Promise | None = None  # the button
    done_title: Promise | None = None  # the timeline, once it happened
    # the timeline when the action ended in ``confirmed`` (submit without approval)
    done_title_confirmed: Promise | None = None
    message: Promise | None = None  # what the page confirms after it (``%(number)s``)
    # a more precise confirmation by the status the action ended in
    message_by_status: tuple[tuple[str, Promise], ...] = ()
    may_wait_for_approval: bool = False
    # a draft is its owner's to cancel: in draft the action needs this permission instead
    draft_permission: str | None = None

    @property
    def event(self) -> str:
        return f"order.{self.event_word}"

    def allowed(self, status: str) -> bool:
        return status in self.sources

    def already_done(self, status: str) -> bool:
        return status in self.done

    def permission_in(self, status: str) -> str | None:
        """The permission the action needs on an order in ``status``."""
        if status == S.DRAFT and self.draft_permission:
            return self.draft_permission
        return self.permission

    def message_for(self, status: str) -> Promise | None:
        """What the page confirms after the action left the order in ``status``."""
        return dict(self.message_by_status).get(status, self.message)


SUBMIT = OrderAction(
    name="submit",
    sources=frozenset({S.DRAFT}),
    target=S.PENDING_APPROVAL,
    done=frozenset({S.PENDING_APPROVAL, S.CONFIRMED}),
    permission=Perm.ORDER_EDIT,
    event_word="submitted",
    path="submit",
    title=_("Submit"),
    done_title=_("Submitted for approval"),
    done_title_confirmed=_("Submitted and confirmed"),
    message=_("Order %(number)s was submitted."),
    message_by_status=(
        (S.PENDING_APPROVAL, _("Order %(number)s was submitted and waits for approval.")),
        (S.CONFIRMED, _("Order %(number)s was submitted and confirmed.")),
    ),
    may_wait_for_approval=True,
)
APPROVE = OrderAction(
    name="approve",
    sources=frozenset({S.PENDING_APPROVAL}),
    target=S.CONFIRMED,
    done=frozenset({S.CONFIRMED}),
    permission=Perm.ORDER_APPROVE,
    event_word="approved",
    path="approve",
    title=_("Approve"),
    done_title=_("Confirmed"),
    message=_("You approved order %(number)s."),
    message_by_status=(
        (S.CONFIRMED, _("You approved order %(number)s; it is confirmed.")),
        (S.PENDING_APPROVAL, _("You approved order %(number)s; it waits for the next approver.")),
    ),
    may_wait_for_approval=True,
)
REJECT = OrderAction(
    name="reject",
    sources=frozenset({S.PENDING_APPROVAL}),
    target=S.REJECTED,
    done=frozenset({S.REJECTED}),
    permission=Perm.ORDER_APPROVE,
    event_word="rejected",
    path="reject",
    title=_("Reject"),
    done_title=_("Rejected"),
    message=_("You rejected order %(number)s; the salesperson sees your reason."),
)
REQUEST_CHANGES = OrderAction(
    name="request_changes",
    sources=frozenset({S.PENDING_APPROVAL}),
    target=S.DRAFT,
    done=frozenset({S.DRAFT}),
    permission=Perm.ORDER_APPROVE,
    event_word="changes_requested",
    path="request-changes",
    title=_("Request changes"),
    done_title=_("Changes requested"),
    message=_("Order %(number)s went back to the salesperson with your note."),
)
REOPEN = OrderAction(
    name="reopen",
    sources=frozenset({S.REJECTED}),
    target=S.DRAFT,
    done=frozenset({S.DRAFT}),
    permission=Perm.ORDER_EDIT,
    event_word="reopened",
    path="reopen",
    title=_("Reopen"),
    done_title=_("Reopened"),
    message=_("Order %(number)s is a draft again."),
)
HOLD = OrderAction(
    name="hold",
    sources=frozenset({S.CONFIRMED}),
    target=S.ON_HOLD,
    done=frozenset({S.ON_HOLD}),
    permission=Perm.ORDER_HOLD,
    event_word="held",
    path="hold",
    title=_("Put on hold"),
    done_title=_("Put on hold"),
    message=_("Order %(number)s is on hold."),
)
RELEASE = OrderAction(
    name="release",
    sources=frozenset({S.ON_HOLD}),
    target=S.CONFIRMED,
    done=frozenset({S.CONFIRMED}),
    permission=Perm.ORDER_HOLD,
    event_word="released",
    path="release",
    title=_("Release"),
    done_title=_("Released"),
    message=_("Order %(number)s was released."),
    may_wait_for_approval=True,
)
CANCEL = OrderAction(
    name="cancel",
    sources=frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.CONFIRMED, S.ON_HOLD}),
    target=S.CANCELLED,
    done=frozenset({S.CANCELLED}),
    permission=Perm.ORDER_CANCEL,
    draft_permission=Perm.ORDER_EDIT,
    event_word="cancelled",
    path="cancel",
    title=_("Cancel order"),
    done_title=_("Cancelled"),
    message=_("Order %(number)s was cancelled."),
)
CLOSE = OrderAction(
    name="close",
    sources=frozenset({S.CONFIRMED, S.ON_HOLD}),
    target=S.CLOSED,
    done=frozenset({S.CLOSED}),
    permission=Perm.ORDER_CANCEL,
    event_word="closed",
    path="close",
    title=_("Close"),
    done_title=_("Closed"),
    message=_("Order %(number)s was closed."),
)
RESUME = OrderAction(
    name="resume",
    sources=frozenset({S.CLOSED}),
    target=S.CONFIRMED,
    done=frozenset(),
    permission=Perm.ORDER_CANCEL,
    event_word="resumed",
    path="resume",
    title=_("Resume"),
    done_title=_("Resumed"),
    message=_("Order %(number)s was resumed."),
    may_wait_for_approval=True,
)
# A cancelled order is set back to draft as a new revision (and can be submitted again):
# its old shipments stay cancelled, new ones follow its data as it is then. By those who may
# cancel; repeating it on a draft is a no-op.
RESET_TO_DRAFT = OrderAction(
    name="reset_to_draft",
    sources=frozenset({S.CANCELLED}),
    target=S.DRAFT,
    done=frozenset({S.DRAFT}),
    permission=Perm.ORDER_CANCEL,
    event_word="reset_to_draft",
    path="reset-to-draft",
    title=_("Set back to draft"),
    done_title=_("Set back to draft"),
    message=_("Order %(number)s is a draft again, as a new revision."),
)
# Run by the system once an order is shipped, invoiced and paid: no button, no endpoint.
COMPLETE = OrderAction(
    name="complete",
    sources=frozenset({S.CONFIRMED}),
    target=S.COMPLETED,
    done=frozenset({S.COMPLETED}),
    permission=None,
    event_word="completed",
    done_title=_("Completed"),
)
# Run by the daily task (``sales.services.quotations_expire``) on a quotation whose validity
# date has passed: cancelled with the reason "expired"; no button, no endpoint.
EXPIRE = OrderAction(
    name="expire",
    sources=frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED}),
    target=S.CANCELLED,
    done=frozenset({S.CANCELLED}),
    permission=None,
    event_word="expired",
    done_title=_("Expired (validity date passed)"),
)
# Run by the system when returned goods are owed again (a replacement or a repaired item,
# ``returns``): a completed order is no longer fully shipped, so it is confirmed again and
# ships like any other. No button, no endpoint.
REACTIVATE = OrderAction(
    name="reactivate",
    sources=frozenset({S.COMPLETED}),
    target=S.CONFIRMED,
    done=frozenset({S.CONFIRMED}),
    permission=None,
    event_word="reactivated",
    done_title=_("Confirmed again for a replacement"),
)
# A confirmed order changed as a new revision; it stays where it is unless the rules fire.
# Offered by its own form and endpoint (it takes line changes), not as a plain button.
AMEND = OrderAction(
    name="amend",
    sources=frozenset({S.CONFIRMED, S.ON_HOLD}),
    target=S.CONFIRMED,
    done=frozenset(),
    permission=Perm.ORDER_EDIT,
    event_word="amended",
    title=_("Amend order"),
    done_title=_("Amended"),
    message=_("The order was amended."),
    may_wait_for_approval=True,
)

# Every action, in the order of the lifecycle.
TABLE: tuple[OrderAction, ...] = (
    SUBMIT,
    APPROVE,
    REJECT,
    REQUEST_CHANGES,
    REOPEN,
    HOLD,
    RELEASE,
    CANCEL,
    CLOSE,
    RESUME,
    RESET_TO_DRAFT,
    COMPLETE,
    EXPIRE,
    REACTIVATE,
    AMEND,
)
BY_NAME: dict[str, OrderAction] = {row.name: row for row in TABLE}
# The actions a person starts from a button or an endpoint, in the order they are shown.
BUTTONS: tuple[OrderAction, ...] = (
    SUBMIT,
    APPROVE,
    REJECT,
    REQUEST_CHANGES,
    REOPEN,
    HOLD,
    RELEASE,
    CLOSE,
    RESUME,
    CANCEL,
    RESET_TO_DRAFT,
)
# The actions an approver takes on a pending order: offered only when a step is theirs.
DECISIONS = frozenset({APPROVE.name, REJECT.name, REQUEST_CHANGES.name})


class OrderEvent:
    """The outbox event types of an order. Those of the actions come from the table; the
    others are facts that are no transition."""

    CREATED = "order.created"
    UPDATED = "order.updated"  # a draft edited, lines added
    CONFIRMED = "order.confirmed"  # by submit, approve, release or resume
    APPROVAL_STEP = "order.approval_step"  # one level approved, or asked again
    COMMENTED = "order.commented"
    SENT = "order.sent"  # the confirmation emailed to the customer on request
    BACKORDER_FILLED = "order.backorder_filled"
    # what stays open on some lines will not ship (fulfilment: declined at dispatch or later)
    BACKORDER_DECLINED = "order.backorder_declined"
    SUBMITTED = SUBMIT.event
    APPROVED = APPROVE.event
    REJECTED = REJECT.event
    CHANGES_REQUESTED = REQUEST_CHANGES.event
    REOPENED = REOPEN.event
    HELD = HOLD.event
    RELEASED = RELEASE.event
    CANCELLED = CANCEL.event
    CLOSED = CLOSE.event
    RESUMED = RESUME.event
    RESET_TO_DRAFT = RESET_TO_DRAFT.event
    COMPLETED = COMPLETE.event
    EXPIRED = EXPIRE.event
    REACTIVATED = REACTIVATE.event
    AMENDED = AMEND.event


# Views of the table for readers that want a plain mapping.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    row.name: (row.sources, row.target) for row in TABLE
}
DONE: dict[str, frozenset[str]] = {row.name: row.done for row in TABLE}
ACTIONS = tuple(BY_NAME)
ORDER_ACTIONS = tuple(row.name for row in BUTTONS)

# Named sets of statuses, one meaning each; services, selectors (through the SalesOrder
# queryset's methods of the same names), buttons and SQL filters all use these.

# Editable in place: header and lines change freely (a confirmed order is amended instead).
EDITABLE = frozenset({S.DRAFT})
# Not confirmed yet: the order is still a quotation (its rate is not fixed, nothing is
# reserved, the document prints as a quotation).
QUOTATION = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED})
# Booked: the customer's order stands — confirmed or later, not cancelled (sales history,
# revenue per month, top products, whether a customer is new).
BOOKED = frozenset({S.CONFIRMED, S.ON_HOLD, S.COMPLETED, S.CLOSED})
# Open: still in progress — not finished (completed, closed), rejected or cancelled (the
# dashboard's own open orders, a customer's open orders).
OPEN = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.CONFIRMED, S.ON_HOLD})
# Committed: confirmed and not finished — what a customer's credit exposure counts.
COMMITTED = frozenset({S.CONFIRMED, S.ON_HOLD})
# Shippable: stock is reserved and goods go out — confirmed only; on hold nothing ships
# (``sales.order_on_hold``), and backorders fill only for these.
SHIPPABLE = frozenset({S.CONFIRMED})
# Invoiceable: invoices can still be made for what was delivered or ordered, also after a
# short-close and after completion (a credited line may be billed again on purpose). Not on
# hold: a hold stops invoicing and dispatch on every path (``sales.order_on_hold``). The
# invoice button shows only when something is left to invoice (docs/decisions.md).
INVOICEABLE = frozenset({S.CONFIRMED, S.CLOSED, S.COMPLETED})
# Sendable: an order confirmation can go (again) to the customer.
SENDABLE = frozenset({S.CONFIRMED, S.ON_HOLD, S.COMPLETED, S.CLOSED})


def allowed(action: str, status: str) -> bool:
    return BY_NAME[action].allowed(status)


def already_done(action: str, status: str) -> bool:
    return BY_NAME[action].already_done(status)


def target(action: str) -> str:
    return BY_NAME[action].target


def actions_from(status: str) -> list[str]:
    return [row.name for row in TABLE if row.allowed(status)]
