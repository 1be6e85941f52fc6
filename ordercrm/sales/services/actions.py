"""One workflow action by name, for the interfaces that offer them as buttons or endpoints."""

from __future__ import annotations

from ordercrm.core.exceptions import NotFound
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.services.approval import order_approve, order_reject, order_reopen
from ordercrm.sales.services.lifecycle import (
    order_cancel,
    order_close,
    order_hold,
    order_release,
    order_request_changes,
    order_resume,
    order_submit,
)


def order_action(
    *,
    order: SalesOrder,
    actor,
    action: str,
    version: int | None = None,
    note: str = "",
    credit: bool = False,
) -> SalesOrder:
    """Run one workflow action by name, for the interfaces that offer them as buttons or
    endpoints (web, API). ``note`` is the comment or reason the action takes; ``credit``
    marks a hold as a credit hold, and makes a cancel credit the order's issued invoices.
    Unknown names are ``core.not_found``."""
    calls = {
        "submit": lambda: order_submit(order=order, actor=actor, version=version),
        "approve": lambda: order_approve(order=order, actor=actor, version=version, comment=note),
        "reject": lambda: order_reject(order=order, actor=actor, version=version, reason=note),
        "request_changes": lambda: order_request_changes(
            order=order, actor=actor, version=version, comment=note
        ),
        "reopen": lambda: order_reopen(order=order, actor=actor, version=version),
        "hold": lambda: order_hold(
            order=order, actor=actor, version=version, reason=note, credit=credit
        ),
        "release": lambda: order_release(order=order, actor=actor, version=version),
        "close": lambda: order_close(order=order, actor=actor, version=version, reason=note),
        "resume": lambda: order_resume(order=order, actor=actor, version=version),
        "cancel": lambda: order_cancel(
            order=order, actor=actor, version=version, reason=note, credit_invoices=credit
        ),
    }
    if action not in calls:
        raise NotFound(details={"action": action})
    return calls[action]()
