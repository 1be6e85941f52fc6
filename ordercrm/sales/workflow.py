"""The sales order lifecycle as data: which action moves which status where.

``TRANSITIONS[action]`` = (statuses it may start from, status it leads to). ``DONE[action]``
lists the statuses in which the action has already taken effect: repeating it there (a double
click, a retried request) is a no-op, not an error. Anything else raises
``sales.invalid_transition``. ``submit`` leads to ``pending_approval`` or, when no approval is
needed, on to ``confirmed`` (the service decides; both are listed).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.PENDING_APPROVAL),
    "approve": (frozenset({S.PENDING_APPROVAL}), S.CONFIRMED),
    "reject": (frozenset({S.PENDING_APPROVAL}), S.REJECTED),
    "request_changes": (frozenset({S.PENDING_APPROVAL}), S.DRAFT),
    "reopen": (frozenset({S.REJECTED}), S.DRAFT),
    "hold": (frozenset({S.CONFIRMED}), S.ON_HOLD),
    "release": (frozenset({S.ON_HOLD}), S.CONFIRMED),
    "cancel": (
        frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.CONFIRMED, S.ON_HOLD}),
        S.CANCELLED,
    ),
    "close": (frozenset({S.CONFIRMED, S.ON_HOLD}), S.CLOSED),
    "resume": (frozenset({S.CLOSED}), S.CONFIRMED),
    "complete": (frozenset({S.CONFIRMED}), S.COMPLETED),
    "amend": (frozenset({S.CONFIRMED, S.ON_HOLD}), S.CONFIRMED),
}
DONE: dict[str, frozenset[str]] = {
    "submit": frozenset({S.PENDING_APPROVAL, S.CONFIRMED}),
    "approve": frozenset({S.CONFIRMED}),
    "reject": frozenset({S.REJECTED}),
    "request_changes": frozenset({S.DRAFT}),
    "reopen": frozenset({S.DRAFT}),
    "hold": frozenset({S.ON_HOLD}),
    "release": frozenset({S.CONFIRMED}),
    "cancel": frozenset({S.CANCELLED}),
    "close": frozenset({S.CLOSED}),
    "resume": frozenset(),
    "complete": frozenset({S.COMPLETED}),
    "amend": frozenset(),
}
EDITABLE = frozenset({S.DRAFT})
# Not confirmed yet: the order is still a quotation (its rate is not fixed, nothing is
# reserved, the document prints as a quotation).
QUOTATION = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED})
ACTIONS = tuple(TRANSITIONS)
# The actions a person starts from a button or an endpoint, in the order they are shown.
ORDER_ACTIONS = (
    "submit",
    "approve",
    "reject",
    "request_changes",
    "reopen",
    "hold",
    "release",
    "close",
    "resume",
    "cancel",
)
# Where an order confirmation can go (again) to the customer.
SENDABLE = frozenset({S.CONFIRMED, S.ON_HOLD, S.COMPLETED, S.CLOSED})
# Where invoices can still be made for what was delivered. Not on hold: a hold stops
# invoicing and dispatch on every path (``sales.order_on_hold``).
INVOICEABLE = frozenset({S.CONFIRMED, S.CLOSED})


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def already_done(action: str, status: str) -> bool:
    return status in DONE[action]


def target(action: str) -> str:
    return TRANSITIONS[action][1]


def actions_from(status: str) -> list[str]:
    return [action for action in ACTIONS if allowed(action, status)]
