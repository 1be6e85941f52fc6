"""The wording of in-app notifications, translated when they are read.

A notification stores the key of its message and the values it names (order number,
comment, author), so each reader sees it in the language they read in now: a manager who
switches to English reads English, whatever language the recipient had when it was sent.
``Notification.title`` keeps the text worded at sending, for rows written before the key
existed and for a message that is no longer defined.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

# Marked for makemessages; translated for the reader when shown.
MESSAGES = {
    "approval_requested": gettext_noop("Order %(number)s waits for your approval."),
    "approved": gettext_noop("Order %(number)s was approved."),
    "rejected": gettext_noop("Order %(number)s was rejected."),
    "changes_requested": gettext_noop("Changes were requested on order %(number)s."),
    "approved_with": gettext_noop("Order %(number)s was approved: %(comment)s"),
    "rejected_with": gettext_noop("Order %(number)s was rejected: %(comment)s"),
    "changes_requested_with": gettext_noop(
        "Changes were requested on order %(number)s: %(comment)s"
    ),
    "mentioned": gettext_noop("%(author)s mentioned you on order %(number)s: %(comment)s"),
    "held": gettext_noop("Order %(number)s was put on hold."),
    "backorder_filled": gettext_noop("Stock arrived for backordered lines of order %(number)s."),
    "payment_received": gettext_noop("A payment was received for order %(number)s."),
    "case_escalated": gettext_noop("Case %(number)s breached its SLA."),
    "case_sla_warning": gettext_noop("Case %(number)s is due soon."),
    "case_assigned": gettext_noop("Case %(number)s was assigned to you."),
    "case_customer_answered": gettext_noop("The customer answered on case %(number)s."),
}


def render(message: str, params: dict, fallback: str = "") -> str:
    """``message``'s wording in the active language with ``params`` filled in, or
    ``fallback`` when the key is unknown (an old row) or a value it names is missing."""
    wording = MESSAGES.get(message)
    if wording is None:
        return fallback
    try:
        return gettext(wording) % {name: str(value) for name, value in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        return fallback
