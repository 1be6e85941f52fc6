"""Every row lock of a case. A case is its own aggregate root: its lines, comments,
attachments and clocks are written only under the case's row lock. Cases lock after any
order row they read (a case never writes an order) — nothing else is locked after them."""

from __future__ import annotations

from ordercrm.core.exceptions import NotFound
from ordercrm.service.models import Case


def lock_case(case: Case | object) -> Case:
    """The current row of ``case``, locked for this transaction."""
    pk = getattr(case, "pk", case)
    company_id = getattr(case, "company_id", None)
    rows = Case.objects.unscoped() if company_id is None else Case.objects.for_company(company_id)
    locked = (
        rows.select_for_update(of=("self",))
        .select_related("company", "customer", "team")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound(details={"case_id": str(pk)})
    return locked
