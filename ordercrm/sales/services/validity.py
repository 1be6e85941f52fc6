"""Quotation validity: a quotation whose validity date has passed is cancelled with the reason
"expired" by the daily task (``sales.tasks.expire_quotations``, ``ordercrm expire_quotations``).

The validity date itself is set where the quotation is made (``drafts._default_validity``:
``Company.quotation_validity_days`` from the order date, 0 = none).
"""

from __future__ import annotations

import datetime

from django.db import transaction

from ordercrm.core.models import Company
from ordercrm.sales import hooks, locks, workflow
from ordercrm.sales.models import ApprovalStatus, SalesOrder
from ordercrm.sales.services._steps import _lock_customer, _move
from ordercrm.sales.services.approval import _close_pending
from ordercrm.sales.services.lines import _company_today
from ordercrm.sales.services.stock import _release_all

EXPIRED = "expired"  # the cancel reason of an expired quotation (``SalesOrder.status_reason``)


def expired_quotations(company, today: datetime.date):
    """Quotations (``workflow.QUOTATION``) whose validity date is before ``today``."""
    return (
        SalesOrder.objects.for_company(company)
        .filter(status__in=workflow.QUOTATION, valid_until__lt=today)
        .order_by("valid_until", "id")
    )


@transaction.atomic
def order_expire(*, order, today: datetime.date | None = None) -> bool:
    """Cancel one quotation whose validity date has passed (the system does it: no actor).

    Re-checked under the order's lock: a quotation confirmed, cancelled or given a later
    validity date meanwhile is left alone (returns False). Pending approvals are voided;
    what a cancel settles (``sales.hooks.after_order_cancelled``: an advance paid on the
    quotation becomes customer credit) is settled. The event ``order.expired`` carries
    ``notify_customer`` (``Company.quotation_expiry_notify``): the customer is emailed then."""
    locked = locks.lock_order(order)
    today = today or _company_today(locked.company)
    if (
        not workflow.EXPIRE.allowed(locked.status)
        or locked.valid_until is None
        or locked.valid_until >= today
    ):
        return False
    _lock_customer(locked, check_hold=False)
    _release_all(locked)
    _close_pending(locked, None, ApprovalStatus.VOID, EXPIRED)
    locked.status_reason = EXPIRED
    _move(
        locked,
        None,
        workflow.EXPIRE,
        changes={"reason": [None, EXPIRED], "valid_until": [str(locked.valid_until), None]},
        payload={
            "reason": EXPIRED,
            "valid_until": locked.valid_until.isoformat(),
            "notify_customer": locked.company.quotation_expiry_notify,
        },
    )
    hooks.after_order_cancelled(order=locked, actor=None, credit_invoices=False)
    return True


def quotations_expire(*, company=None, today: datetime.date | None = None) -> int:
    """Expire every overdue quotation of ``company`` (or of every active company), one order
    per transaction, so one failure does not hold the others back. Returns how many."""
    companies = [company] if company is not None else list(Company.objects.filter(is_active=True))
    expired = 0
    for each in companies:
        day = today or _company_today(each)
        for order_id in list(expired_quotations(each, day).values_list("pk", flat=True)):
            order = SalesOrder(pk=order_id, company_id=each.pk)
            expired += order_expire(order=order, today=day)
    return expired
