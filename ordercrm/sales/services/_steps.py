"""The spine every order service follows: lock → check → transition → audit → event.

``_begin`` locks the order the actor may see and checks the transition table (and the version
the user loaded); ``_move`` sets the status and writes one audit entry and one outbox event;
``_confirm`` fixes the rate and totals, checks credit, reserves stock and confirms. Locks come
from ``sales.locks`` (which documents their order); ``_lock_draft`` and ``_lock_customer`` add
the draft and credit-hold checks. An order that becomes confirmed (``_transition`` to confirmed:
submit, approve, release, resume) calls ``sales.hooks.after_order_confirmed`` here, the one
place of that fact: billing invoices ``on_order`` orders there. Private to ``sales.services``.
"""

from __future__ import annotations

from django.utils import timezone

from ordercrm.accounts.access import Access, access_for
from ordercrm.core import audit, events
from ordercrm.core.models import CreditPolicy
from ordercrm.core.permissions import Perm
from ordercrm.sales import approvals, counters, hooks, locks, workflow
from ordercrm.sales.exceptions import (
    CreditLimitExceeded,
    CustomerOnCreditHold,
    InvalidTransition,
    NotEditable,
    StaleVersion,
)
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.services.lines import _apply_totals, _lines_of, _take_exchange_rate
from ordercrm.sales.services.stock import _reserve_open
from ordercrm.sales.workflow import Status


def _visible_orders(access: Access):
    return SalesOrder.objects.for_company(access.company).filter(
        access.owner_filter("salesperson", "team")
    )


def _lock(order: SalesOrder, access: Access) -> SalesOrder:
    """The order locked, if the caller may see it (``core.not_found`` otherwise)."""
    return locks.lock_order(order, access=access)


def _lock_draft(order: SalesOrder, actor, version: int) -> SalesOrder:
    """Lock a draft the actor may edit, at the version they loaded (else stale / not editable)."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_EDIT)
    locked = _lock(order, access)
    if locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})
    if locked.status not in workflow.EDITABLE:
        raise NotEditable(details={"status": locked.status})
    return locked


def _lock_customer(order: SalesOrder, *, check_hold: bool = True) -> None:
    """Lock the order's customer row for the credit check (``sales.locks.lock_customer``);
    with ``check_hold`` a customer on credit hold refuses (``sales.customer_on_credit_hold``)."""
    locks.lock_order_customer(order)
    if check_hold and order.customer.credit_hold:
        raise CustomerOnCreditHold(details={"reason": order.customer.credit_hold_reason})


def _check_not_blocked(order: SalesOrder) -> None:
    """A customer blocked until a later date takes no orders yet (``customers.blocked``):
    a quotation is not submitted or approved into one. The block lifts by itself on its date
    (the company's today)."""
    from ordercrm.customers.selectors import require_not_blocked
    from ordercrm.sales.services.lines import _company_today

    require_not_blocked(order.customer, _company_today(order.company))


def _credit_gate(order: SalesOrder) -> dict | None:
    """Under the ``block`` policy an order over the limit is refused; otherwise return the
    credit reason (or None) for the approval path. The customer row must be locked."""
    reason = approvals.credit_reason(order)
    if reason and order.company.credit_policy == CreditPolicy.BLOCK:
        raise CreditLimitExceeded(params={"over_by": reason["over_by"]}, details=reason)
    return reason


def _transition(
    order: SalesOrder,
    actor,
    action: str,
    new_status: str,
    event_type: str,
    changes: dict | None,
    payload: dict | None,
) -> None:
    """Set the status, who and when; write the audit entry and the event."""
    old_status = order.status
    order.status = new_status
    order.status_changed_at = timezone.now()
    order.status_changed_by = actor
    order.version += 1
    order.save()
    counters.order_progress_store(order)  # a confirmation decides ``services_only``
    audit.record(
        actor=actor,
        entity=order,
        action=action,
        changes={"status": [old_status, new_status], **(changes or {})},
    )
    events.emit(
        type=event_type,
        entity=order,
        actor=actor,
        payload={"number": order.number, "status": new_status, **(payload or {})},
    )
    if new_status == Status.CONFIRMED:
        hooks.after_order_confirmed(order=order, actor=actor)


def _move(
    order: SalesOrder,
    actor,
    action: workflow.OrderAction,
    *,
    changes: dict | None = None,
    payload: dict | None = None,
) -> None:
    """Move the order to the action's target: status, audit entry (the action's name) and
    event (the action's event), as the workflow table says."""
    _transition(order, actor, action.name, action.target, action.event, changes, payload)


def _move_to_approval(
    order: SalesOrder,
    actor,
    action: workflow.OrderAction,
    *,
    event: str | None = None,
    changes: dict | None = None,
    payload: dict | None = None,
) -> None:
    """The action ends in ``pending_approval`` instead of its target, because the approval
    rules fired (only actions the table says may wait for approval). ``event`` replaces the
    action's event where the table's word would say too much (an approval that asks again
    is an approval step, not an approval)."""
    if not action.may_wait_for_approval:
        raise ValueError(f"{action.name} never waits for approval")
    _transition(
        order,
        actor,
        action.name,
        Status.PENDING_APPROVAL,
        event or action.event,
        changes,
        payload,
    )


def _begin(
    order: SalesOrder, actor, action: workflow.OrderAction, version: int | None
) -> tuple[SalesOrder, bool]:
    """Lock the order and check the transition and the version, with the permission the
    table gives the action. Returns (order, already_done).

    A repeat (Back and the button again, a second tab, a retry) of an action already done is
    answered "already done" to whoever may see the order, not refused for the permission
    the action would need from the state it is now in (a rep cancels a draft, but not a
    cancelled order). The permission is checked on the status read under the lock."""
    access = access_for(actor, order.company)
    if not action.already_done(order.status):
        access.require(action.permission_in(order.status))
    locked = _lock(order, access)
    if action.already_done(locked.status):
        return locked, True
    access.require(action.permission_in(locked.status))
    if not action.allowed(locked.status):
        raise InvalidTransition(
            params={"status": Status(locked.status).label},
            details={"status": locked.status, "action": action.name},
        )
    if version is not None and locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})
    return locked, False


def _confirm(order: SalesOrder, actor, action: workflow.OrderAction) -> None:
    """Fix the exchange rate (from the company rate table unless set by hand) and the
    company-currency totals, then confirm (audit entry of the action, ``order.confirmed``)."""
    _check_not_blocked(order)
    _take_exchange_rate(order)
    lines = _lines_of(order)
    _apply_totals(order, lines)
    _credit_gate(order)
    _reserve_open(order, lines)
    order.approval_fingerprint = approvals.fingerprint(order, lines)
    order.confirmed_at, order.confirmed_by = timezone.now(), actor
    _transition(
        order,
        actor,
        action.name,
        Status.CONFIRMED,
        workflow.OrderEvent.CONFIRMED,
        {"exchange_rate": [None, str(order.exchange_rate)]},
        {"gross_total": order.gross_total, "currency": order.currency},
    )
