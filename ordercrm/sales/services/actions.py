"""One workflow action by name, for the interfaces that offer them as buttons or endpoints."""

from __future__ import annotations

from collections.abc import Callable

from ordercrm.core.exceptions import NotFound
from ordercrm.sales import workflow
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.services.approval import order_approve, order_reject, order_reopen
from ordercrm.sales.services.lifecycle import (
    order_cancel,
    order_close,
    order_hold,
    order_release,
    order_request_changes,
    order_reset_to_draft,
    order_resume,
    order_submit,
)

# The service behind each button of the workflow table, and the keywords its note (comment
# or reason) and credit flag go to; ``test_every_button_has_a_service`` keeps it complete.
SERVICES: dict[workflow.OrderAction, tuple[Callable[..., SalesOrder], str | None, str | None]] = {
    workflow.SUBMIT: (order_submit, None, None),
    workflow.APPROVE: (order_approve, "comment", None),
    workflow.REJECT: (order_reject, "reason", None),
    workflow.REQUEST_CHANGES: (order_request_changes, "comment", None),
    workflow.REOPEN: (order_reopen, None, None),
    workflow.HOLD: (order_hold, "reason", "credit"),
    workflow.RELEASE: (order_release, None, None),
    workflow.CLOSE: (order_close, "reason", None),
    workflow.RESUME: (order_resume, None, None),
    workflow.CANCEL: (order_cancel, "reason", "credit_invoices"),
    workflow.RESET_TO_DRAFT: (order_reset_to_draft, "reason", None),
}


def order_action(
    *,
    order: SalesOrder,
    actor,
    action: str,
    version: int | None = None,
    note: str = "",
    credit: bool = False,
) -> SalesOrder:
    """Run one workflow action by name (a row of ``workflow.BUTTONS``), for the interfaces
    that offer them as buttons or endpoints (web, API). ``note`` is the comment or reason the
    action takes; ``credit`` marks a hold as a credit hold, and makes a cancel credit the
    order's issued invoices. Unknown names are ``core.not_found``."""
    row = workflow.BY_NAME.get(action)
    if row not in SERVICES:
        raise NotFound(details={"action": action})
    service, note_keyword, credit_keyword = SERVICES[row]
    options: dict = {}
    if note_keyword:
        options[note_keyword] = note
    if credit_keyword:
        options[credit_keyword] = credit
    return service(order=order, actor=actor, version=version, **options)
