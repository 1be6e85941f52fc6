"""The return authorisation (RMA) lifecycle as data: one row per action, read by the
services (check), the selectors (buttons), the API (action paths), the pages (words) and the
state × action test.

``requested`` → approve → ``approved`` → goods received (``receive``, partial receipts stay
``approved``) → ``received`` → every line settled (``credit`` for refund lines, ``replace``
for replace and repair lines) → ``closed``. ``reject`` ends a request; ``cancel`` ends one
before any goods came back. ``received`` and ``closed`` are reached by the services from the
line counters (:func:`status_after`), never set by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ordercrm.core.permissions import Perm


class Status(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Decision(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPLACE = "replace", _("Replace")
    REPAIR = "repair", _("Repair")
    REJECT = "reject", _("Reject")


S = Status

# Open: the RMA still holds its quantities against what can be returned.
OPEN = frozenset({S.REQUESTED, S.APPROVED})
# Goods may come back and lines may be settled.
RECEIVING = frozenset({S.APPROVED})
SETTLING = frozenset({S.APPROVED, S.RECEIVED})
# Settled by a credit note / by sending goods again.
CREDITED = frozenset({Decision.REFUND})
SENT_AGAIN = frozenset({Decision.REPLACE, Decision.REPAIR})


@dataclass(frozen=True, eq=False)
class RmaAction:
    name: str  # also the audit entry's action
    sources: frozenset[str]
    target: str | None  # None: the status follows from the lines (status_after)
    done: frozenset[str]
    permission: str
    event_word: str  # the event type is ``rma.<event_word>``
    path: str
    title: Promise
    message: Promise  # shown after it, with %(number)s
    needs_reason: bool = False

    @property
    def event(self) -> str:
        return f"rma.{self.event_word}"

    def allowed(self, status: str) -> bool:
        return status in self.sources

    def already_done(self, status: str) -> bool:
        return status in self.done


APPROVE = RmaAction(
    name="approve",
    sources=frozenset({S.REQUESTED}),
    target=S.APPROVED,
    done=frozenset({S.APPROVED, S.RECEIVED, S.CLOSED}),
    permission=Perm.RETURN_APPROVE,
    event_word="approved",
    path="approve",
    title=_("Approve return"),
    message=_("Return %(number)s was approved."),
)
REJECT = RmaAction(
    name="reject",
    sources=frozenset({S.REQUESTED}),
    target=S.REJECTED,
    done=frozenset({S.REJECTED}),
    permission=Perm.RETURN_APPROVE,
    event_word="rejected",
    path="reject",
    title=_("Reject return"),
    message=_("Return %(number)s was rejected."),
    needs_reason=True,
)
CANCEL = RmaAction(
    name="cancel",
    sources=frozenset({S.REQUESTED, S.APPROVED}),
    target=S.CANCELLED,
    done=frozenset({S.CANCELLED}),
    permission=Perm.RETURN_EDIT,
    event_word="cancelled",
    path="cancel",
    title=_("Cancel return"),
    message=_("Return %(number)s was cancelled."),
)
RECEIVE = RmaAction(
    name="receive",
    sources=RECEIVING,
    target=None,
    done=frozenset({S.RECEIVED, S.CLOSED}),
    permission=Perm.RETURN_EDIT,
    event_word="received",
    path="receive",
    title=_("Receive goods"),
    message=_("Goods of return %(number)s were received."),
)
CREDIT = RmaAction(
    name="credit",
    sources=SETTLING,
    target=None,
    done=frozenset({S.CLOSED}),
    permission=Perm.INVOICE_EDIT,
    event_word="credited",
    path="credit",
    title=_("Issue credit note"),
    message=_("Refund lines of return %(number)s were credited."),
)
REPLACE = RmaAction(
    name="replace",
    sources=SETTLING,
    target=None,
    done=frozenset({S.CLOSED}),
    permission=Perm.SHIPMENT_EDIT,
    event_word="replaced",
    path="replace",
    title=_("Send replacement"),
    message=_("A no-charge shipment for return %(number)s was created."),
)

TABLE: tuple[RmaAction, ...] = (APPROVE, REJECT, CANCEL, RECEIVE, CREDIT, REPLACE)
BY_NAME: dict[str, RmaAction] = {row.name: row for row in TABLE}


class RmaEvent:
    CREATED = "rma.created"
    APPROVED = APPROVE.event
    REJECTED = REJECT.event
    CANCELLED = CANCEL.event
    RECEIVED = RECEIVE.event
    CREDITED = CREDIT.event
    REPLACED = REPLACE.event
    CLOSED = "rma.closed"
    # a no-charge shipment of replace / repair lines left (the system, on dispatch)
    SENT_BACK = "rma.sent_back"


@dataclass(frozen=True)
class LineState:
    """What status_after reads of a line: its decision and counters."""

    decision: str
    quantity: Decimal
    received: Decimal
    settled: Decimal
    # units of a replace / repair line on a no-charge shipment that has left
    sent_back: Decimal = Decimal(0)


class RepairState(models.TextChoices):
    """Where the item of a repair line is: still with the customer, with us (received,
    being repaired), on its way back (settled on a no-charge shipment not yet dispatched),
    back with the customer (that shipment left). Rejected or cancelled: ``none``."""

    AWAITING_ITEM = "awaiting_item", _("Waiting for the item")
    IN_REPAIR = "in_repair", _("Received, in repair")
    SENDING_BACK = "sending_back", _("Repaired, shipment prepared")
    SENT_BACK = "sent_back", _("Sent back to the customer")


def repair_state(line: LineState, rma_status: str) -> str | None:
    """The repair line's stage, from its counters; the least advanced unit decides (two
    items, one back already and one still in repair: in repair). ``None`` for other
    decisions and for an RMA rejected or cancelled before the item came."""
    if line.decision != Decision.REPAIR:
        return None
    if line.received < line.quantity:
        if rma_status in (S.REJECTED, S.CANCELLED):
            return None
        return RepairState.AWAITING_ITEM
    if line.settled < line.received:
        return RepairState.IN_REPAIR
    if line.sent_back < line.settled:
        return RepairState.SENDING_BACK
    return RepairState.SENT_BACK


def status_after(status: str, lines: list[LineState]) -> str:
    """Where an approved RMA stands from its lines: every accepted line (not rejected)
    received in full → ``received``; every one settled in full too → ``closed``. An RMA
    whose lines are all rejected closes when approved. Other statuses stay."""
    if status not in SETTLING:
        return status
    accepted = [line for line in lines if line.decision != Decision.REJECT]
    if all(line.settled >= line.quantity for line in accepted):
        return S.CLOSED
    if all(line.received >= line.quantity for line in accepted):
        return S.RECEIVED
    return S.APPROVED


def line_to_receive(line: LineState) -> Decimal:
    if line.decision == Decision.REJECT:
        return Decimal(0)
    return max(line.quantity - line.received, Decimal(0))


def line_to_settle(line: LineState, kinds: frozenset[str]) -> Decimal:
    if line.decision not in kinds:
        return Decimal(0)
    return max(line.received - line.settled, Decimal(0))
